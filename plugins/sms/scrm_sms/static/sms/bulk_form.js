// The bulk-send form: shows the audience part of the chosen mode, fills the content from a template, counts the
// characters and asks the server for the live estimate (recipients x billed segments, invalid numbers).
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  if (!form) { return; }
  var timer = null;
  function mode() { var c = form.querySelector("input[name=mode]:checked"); return c ? c.value : "tags"; }
  function showMode() {
    form.querySelectorAll("[data-mode]").forEach(function (el) { el.hidden = el.getAttribute("data-mode") !== mode(); });
  }
  function estimate() {
    var params = new URLSearchParams();
    ["mode", "phones", "segment_id", "category", "signature", "content"].forEach(function (name) {
      var el = name === "mode" ? null : form.elements[name];
      params.set(name, name === "mode" ? mode() : (el ? el.value : ""));
    });
    Array.prototype.forEach.call(form.elements.tag_ids.selectedOptions || [], function (o) { params.append("tag_ids", o.value); });
    fetch(form.getAttribute("data-estimate-url") + "?" + params.toString(), {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (d) {
        form.querySelector("[data-recipients]").textContent = d.recipients;
        form.querySelector("[data-billed]").textContent = d.billed;
        form.querySelector("[data-invalid]").textContent = d.invalid;
      }).catch(function () {});
  }
  // only the signatures approved on the chosen account are offered
  function showSignatures() {
    var account = form.elements.account_id ? form.elements.account_id.value : "";
    var select = form.elements.signature;
    Array.prototype.forEach.call(select.options, function (o) {
      var other = o.value !== "" && o.getAttribute("data-account") !== account;
      o.hidden = other; o.disabled = other;
      if (other && o.selected) { select.value = ""; }
    });
  }
  function later() { clearTimeout(timer); timer = setTimeout(estimate, 300); }
  function count() { form.querySelector("[data-count]").textContent = form.elements.content.value.length; }
  form.addEventListener("input", function () { count(); later(); });
  form.addEventListener("change", function (e) {
    if (e.target.name === "template_id") {
      var opt = e.target.selectedOptions[0];
      if (opt && opt.getAttribute("data-content")) { form.elements.content.value = opt.getAttribute("data-content"); }
    }
    if (e.target.name === "account_id") { showSignatures(); }
    showMode(); count(); later();
  });
  showSignatures(); showMode(); count(); estimate();
})();
