/* The script form: content rows (add, remove), the text box or the material list of each row's type. */
(function () {
  "use strict";
  var form = document.querySelector("[data-testid=script-form]");
  if (!form) { return; }
  var list = form.querySelector("[data-items]");
  function sync(row) {
    var type = row.querySelector("select[name=item_type]").value;
    row.querySelector("[data-for=text]").hidden = type !== "text";
    row.querySelector("[data-for=material]").hidden = type === "text";
    row.querySelectorAll("option[data-type]").forEach(function (o) { o.hidden = o.getAttribute("data-type") !== type; });
  }
  list.querySelectorAll("[data-item]").forEach(sync);
  form.addEventListener("change", function (e) { var row = e.target.closest("[data-item]"); if (row) { sync(row); } });
  form.addEventListener("click", function (e) {
    if (e.target.matches("[data-remove]")) { e.target.closest("[data-item]").remove(); }
    if (e.target.matches("[data-add]")) {
      var row = form.querySelector("[data-item-template]").content.firstElementChild.cloneNode(true);
      list.appendChild(row);
      sync(row);
    }
  });
})();
