/* A tracked material page: report how long it has been open, every 5 s and when the customer leaves. */
(function () {
  "use strict";
  var holder = document.querySelector("[data-beacon-url]");
  if (!holder) { return; }
  var url = holder.getAttribute("data-beacon-url"), beacon = holder.getAttribute("data-beacon");
  var csrf = holder.getAttribute("data-csrf"), started = Date.now();
  function report() {
    var body = new FormData();
    body.append("beacon", beacon);
    body.append("seconds", String(Math.round((Date.now() - started) / 1000)));
    body.append("csrf_token", csrf);
    if (navigator.sendBeacon && document.visibilityState === "hidden") { navigator.sendBeacon(url, body); return; }
    fetch(url, {method: "POST", body: body, credentials: "same-origin", keepalive: true});
  }
  setInterval(report, 5000);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") { report(); } });
  window.addEventListener("pagehide", report);
})();
