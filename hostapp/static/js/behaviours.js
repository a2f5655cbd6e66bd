/* Declarative page behaviours, so that templates need no inline script or inline event handler (the Content
   Security Policy runs only script files: script-src 'self'). Templates opt in with data attributes:

   data-autosubmit                   on a <select> (or input): submit its form when the value changes
   data-select-all="selector"        on a checkbox: tick or untick every matching box in the same table (or form)
   data-enter-keeps-form             on an input: the Enter key does not submit the form
   data-append-template="id"         on a button: append a copy of <template id="id"> into data-into="#target"
   data-clone-last="selector"        on a button: append a copy of the last matching element (inputs and selects
                                     cleared) into data-into="#target"
   data-copy-option-data="name"      on a <select>: copy the chosen option's data-<name> into the form field <name>
   data-copy="selector"              on a button: copy the matching field's value to the clipboard (the button
                                     says so for two seconds through its data-copied label, when given)

   (data-confirm on a form or submit button and data-remove-closest are handled by filters.js.)
*/
(function () {
  "use strict";

  function closestWith(target, attribute) {
    return target instanceof Element ? target.closest("[" + attribute + "]") : null;
  }

  document.addEventListener("click", function (event) {
    var appender = closestWith(event.target, "data-append-template");
    if (appender) {
      var template = document.getElementById(appender.getAttribute("data-append-template"));
      var into = document.querySelector(appender.getAttribute("data-into"));
      if (template && into) { into.appendChild(template.content.cloneNode(true)); }
      return;
    }
    var copier = closestWith(event.target, "data-copy");
    if (copier) {
      var source = document.querySelector(copier.getAttribute("data-copy"));
      if (source) {
        source.select();
        var done = function () {
          var label = copier.getAttribute("data-copied");
          if (!label) { return; }
          var before = copier.textContent;
          copier.textContent = label;
          setTimeout(function () { copier.textContent = before; }, 2000);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(source.value).then(done, function () { document.execCommand("copy"); done(); });
        } else {
          document.execCommand("copy");
          done();
        }
      }
      return;
    }
    var cloner = closestWith(event.target, "data-clone-last");
    if (cloner) {
      var rows = document.querySelectorAll(cloner.getAttribute("data-clone-last"));
      var target = document.querySelector(cloner.getAttribute("data-into"));
      if (rows.length && target) {
        var copy = rows[rows.length - 1].cloneNode(true);
        copy.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(function (field) {
          field.value = "";
        });
        target.appendChild(copy);
      }
    }
  });

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!(field instanceof Element)) { return; }
    if (field.hasAttribute("data-select-all")) {
      var scope = field.closest("table") || field.form || document;
      scope.querySelectorAll(field.getAttribute("data-select-all")).forEach(function (box) {
        box.checked = field.checked;
      });
    }
    if (field.hasAttribute("data-copy-option-data") && field.selectedOptions && field.form) {
      var name = field.getAttribute("data-copy-option-data");
      var option = field.selectedOptions[0];
      if (field.form.elements[name] && option) { field.form.elements[name].value = option.dataset[name] || ""; }
    }
    if (field.hasAttribute("data-autosubmit") && field.form) {
      if (field.form.requestSubmit) { field.form.requestSubmit(); } else { field.form.submit(); }
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target instanceof Element && event.target.hasAttribute("data-enter-keeps-form")) {
      event.preventDefault();
    }
  });
})();
