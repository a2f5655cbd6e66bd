/* The material form: show the fields of the chosen type only (data-kinds lists the types a block belongs to). */
(function () {
  "use strict";
  var form = document.querySelector("[data-testid=material-form]");
  if (!form) { return; }
  function show() {
    var checked = form.querySelector("input[name=kind]:checked");
    var kind = checked ? checked.value : "";
    form.querySelectorAll("[data-kinds]").forEach(function (el) {
      el.hidden = el.getAttribute("data-kinds").split(" ").indexOf(kind) < 0;
    });
  }
  form.addEventListener("change", show);
  show();
})();
