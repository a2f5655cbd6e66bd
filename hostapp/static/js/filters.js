/* Filter and list helpers loaded on every page (no inline scripts: the CSP allows only our own files).
 *
 * - Checkbox dropdowns (macros/filters.html): one open at a time, closed by an outside click or Escape, and the
 *   summary shows what is ticked. Without this file they still open and submit as plain <details>.
 * - data-shown-by="NAME" data-shown-value="VALUE": the element shows only while the form's control NAME has
 *   VALUE (e.g. a "new category" name field under a category select); without this file it always shows.
 * - data-remove-closest="SELECTOR" on a button: remove the closest such ancestor (e.g. a condition row).
 * - data-confirm on a submit button or a form: ask before submitting; "{n}" in the text becomes the number of
 *   ticked boxes named by data-confirm-count (e.g. customer_id) in the form.
 */
(function () {
  "use strict";

  function dropdowns() {
    return document.querySelectorAll("details[data-check-dropdown]");
  }

  function refreshSummary(details) {
    var summary = details.querySelector(".check-dropdown-summary");
    if (!summary) return;
    var picked = [];
    details.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      if (box.checked) picked.push(box.parentElement.textContent.trim());
    });
    if (picked.length === 0) summary.textContent = summary.dataset.none;
    else if (picked.length <= 2) summary.textContent = picked.join(", ");
    else summary.textContent = summary.dataset.many.replace("{n}", String(picked.length));
  }

  document.addEventListener("toggle", function (event) {
    var opened = event.target;
    if (!opened.matches || !opened.matches("details[data-check-dropdown]") || !opened.open) return;
    dropdowns().forEach(function (other) { if (other !== opened) other.open = false; });
    var panel = opened.querySelector(".check-dropdown-panel");  // keep the panel on a narrow screen
    if (panel) {
      panel.classList.remove("align-end");
      if (panel.getBoundingClientRect().right > document.documentElement.clientWidth) panel.classList.add("align-end");
    }
  }, true);

  document.addEventListener("change", function (event) {
    var details = event.target.closest && event.target.closest("details[data-check-dropdown]");
    if (details) refreshSummary(details);
  });

  document.addEventListener("click", function (event) {
    dropdowns().forEach(function (details) {
      if (details.open && !details.contains(event.target)) details.open = false;
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    dropdowns().forEach(function (details) {
      if (details.open) {
        details.open = false;
        details.querySelector("summary").focus();
      }
    });
  });

  function syncShownBy(root) {
    root.querySelectorAll("[data-shown-by]").forEach(function (element) {
      var form = element.closest("form");
      var control = form && form.elements[element.dataset.shownBy];
      if (control) element.hidden = control.value !== element.dataset.shownValue;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { syncShownBy(document); });
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.querySelector("[data-shown-by]")) syncShownBy(form);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-remove-closest]");
    if (!button) return;
    var target = button.closest(button.dataset.removeClosest);
    if (target) target.remove();
  });

  function confirmText(element, form) {
    var text = element.dataset.confirm;
    var countName = element.dataset.confirmCount;
    if (countName && form) {
      var ticked = form.querySelectorAll('input[type=checkbox][name="' + countName + '"]:checked').length;
      text = text.replace("{n}", String(ticked));
    }
    return text;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var source = button && button.dataset.confirm ? button : (form.dataset.confirm ? form : null);
    if (source && !window.confirm(confirmText(source, form))) event.preventDefault();
  });
})();
