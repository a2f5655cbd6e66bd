/* The mass-send form: shows the fields of the chosen audience, message type and send mode, and refreshes the
   estimated recipients (预计发送人数) from the server whenever a filter changes. No inline script (CSP). */
(function () {
  "use strict";

  function value(form, name) {
    var checked = form.querySelector("input[name=" + name + "]:checked");
    return checked ? checked.value : "";
  }

  function toggle(form) {
    var audience = value(form, "audience_mode"), type = value(form, "msg_type"), mode = value(form, "send_mode");
    form.querySelectorAll("[data-when-audience]").forEach(function (n) { n.hidden = n.dataset.whenAudience !== audience; });
    form.querySelectorAll("[data-when-type]").forEach(function (n) { n.hidden = n.dataset.whenType !== type; });
    form.querySelectorAll("[data-when-mode]").forEach(function (n) { n.hidden = n.dataset.whenMode !== mode; });
  }

  function estimate(form) {
    var data = new FormData(form);
    var token = form.querySelector("input[name=csrf_token]");
    fetch(form.dataset.estimateUrl, {method: "POST", body: data, credentials: "same-origin",
                                     headers: token ? {"X-CSRFToken": token.value} : {}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) {
        if (!answer) { return; }
        form.querySelector("[data-estimate]").textContent = String(answer.estimated);
        form.querySelector("[data-estimate-message]").textContent = answer.message || "";
      })
      .catch(function () { /* the server checks again on submit */ });
  }

  function init(form) {
    toggle(form);
    form.addEventListener("change", function (event) {
      toggle(form);
      var name = event.target.name || "";
      if (["audience_mode", "tag_ids", "genders", "province", "city", "follow_from", "follow_to"].indexOf(name) >= 0) {
        estimate(form);
      }
    });
  }

  function start() { document.querySelectorAll("[data-mass-form]").forEach(init); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
