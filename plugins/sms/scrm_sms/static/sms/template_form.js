/* The SMS template and signature forms: insert-variable buttons and live counters (no inline script: CSP).

   <button data-insert-variable="${name}" data-into="#id">   inserts the variable at the caret of the textarea
   <input|textarea data-counter="max" name="n">              "n/max" in <span data-counter-for="n">
   <textarea data-segments name="n">                         billed messages (70, then 67 per part) in
                                                             <span data-segments-for="n" data-label="... {n} ...">
*/
(function () {
  "use strict";

  function units(text) {
    return text.length;  // UTF-16 units: an emoji counts 2, as carriers count it
  }

  function segments(length) {
    if (length === 0) { return 0; }
    return length <= 70 ? 1 : Math.ceil(length / 67);
  }

  function signatureText() {
    var select = document.querySelector("select[name=signature_id]");
    var option = select && select.selectedOptions && select.selectedOptions[0];
    return option && option.dataset.text ? option.dataset.text : "";
  }

  function marketing() {
    var checked = document.querySelector("input[name=category]:checked");
    return checked && checked.value === "marketing";
  }

  function refresh() {
    document.querySelectorAll("[data-counter]").forEach(function (field) {
      var out = document.querySelector('[data-counter-for="' + field.name + '"]');
      if (!out) { return; }
      var count = Array.from(field.value.trim()).length;
      out.textContent = count + "/" + field.dataset.counter;
      out.classList.toggle("error", count > Number(field.dataset.counter));
    });
    document.querySelectorAll("textarea[data-segments]").forEach(function (field) {
      var out = document.querySelector('[data-segments-for="' + field.name + '"]');
      if (!out) { return; }
      var body = field.value.trim().replace(/\$\{link\}/g, "x".repeat(24)).replace(/\$\{[^}]*\}/g, "xxxx");
      var text = "【" + signatureText() + "】" + body + (marketing() ? " 回TD退订" : "");
      out.textContent = (out.dataset.label || "{n}").replace("{n}", segments(units(text)));
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-insert-variable]") : null;
    if (!button) { return; }
    var area = document.querySelector(button.dataset.into);
    if (!area) { return; }
    var value = button.dataset.insertVariable;
    var start = area.selectionStart || 0, end = area.selectionEnd || 0;
    area.value = area.value.slice(0, start) + value + area.value.slice(end);
    area.focus();
    area.selectionStart = area.selectionEnd = start + value.length;
    refresh();
  });
  document.addEventListener("input", refresh);
  document.addEventListener("change", refresh);
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", refresh); } else { refresh(); }
})();
