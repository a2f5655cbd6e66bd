// The bulk tagging dialog (批量打标签): tag-source tabs (arrow keys move between them), a search box filtering the
// tags of the open tab, and the selected tags listed live with their count ("已选择标签 N个"), each removable.
// Without this script every tab's tags are listed one after another and the form still works. The form is set up
// on load (the dialog's own page) and whenever htmx loads it into the customer list's dialog.
(function () {
  "use strict";
  if (window.scrmMembersTagDialog) { return; }  // the list page and a loaded fragment may both name this file
  window.scrmMembersTagDialog = true;

  function setUp(form) {
    if (form.getAttribute("data-ready") === "1") { return; }
    form.setAttribute("data-ready", "1");
    var tablist = form.querySelector("[role='tablist']");
    var tabs = Array.prototype.slice.call(form.querySelectorAll("[role='tab']"));
    var panels = Array.prototype.slice.call(form.querySelectorAll("[role='tabpanel']"));
    var search = form.querySelector(".tag-search");
    var countNode = form.querySelector("[data-testid='chosen-count']");
    var list = form.querySelector(".tag-chosen-list");
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name='tag_id']"));

    function select(tab, focus) {
      tabs.forEach(function (t) {
        var on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.tabIndex = on ? 0 : -1;
        t.classList.toggle("primary", on);
      });
      panels.forEach(function (p) { p.hidden = p.id !== tab.getAttribute("aria-controls"); });
      if (focus) { tab.focus(); }
      filter();
    }

    function filter() {
      var q = (search.value || "").trim().toLowerCase();
      panels.forEach(function (panel) {
        var shown = 0;
        panel.querySelectorAll(".tag-group").forEach(function (group) {
          var inGroup = 0;
          group.querySelectorAll(".tag-option").forEach(function (option) {
            var match = !q || option.getAttribute("data-name").indexOf(q) !== -1;
            option.hidden = !match;
            option.style.display = match ? "inline-flex" : "none";
            if (match) { inGroup += 1; }
          });
          group.hidden = inGroup === 0;
          shown += inGroup;
        });
        var none = panel.querySelector(".tag-no-match");
        if (none) { none.hidden = !(q && shown === 0); }
      });
    }

    function render() {
      var seen = {};
      var chosen = [];
      boxes.forEach(function (box) {
        if (box.checked && !seen[box.value]) { seen[box.value] = true; chosen.push(box); }
      });
      countNode.textContent = form.getAttribute("data-count-template").replace("__N__", String(chosen.length));
      while (list.firstChild) { list.removeChild(list.firstChild); }
      chosen.forEach(function (box) {
        var item = document.createElement("li");
        item.className = "badge";
        item.setAttribute("data-tag-id", box.value);
        item.appendChild(document.createTextNode(box.getAttribute("data-name") + " "));
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "link";
        remove.textContent = "×";
        remove.setAttribute("aria-label", form.getAttribute("data-remove-label") + " " + box.getAttribute("data-name"));
        remove.addEventListener("click", function () { setChecked(box.value, false); });
        item.appendChild(remove);
        list.appendChild(item);
      });
    }

    function setChecked(value, checked) {
      // a tag can be listed in two tabs (a manual tag I created is also in "personal"): keep its boxes in step
      boxes.forEach(function (box) { if (box.value === value) { box.checked = checked; } });
      render();
    }

    boxes.forEach(function (box) {
      box.addEventListener("change", function () { setChecked(box.value, box.checked); });
    });
    search.addEventListener("input", filter);
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }  // Enter in the search box does not submit the form
    });
    tablist.hidden = false;
    form.querySelectorAll(".tag-panel-title").forEach(function (title) { title.hidden = true; });
    tabs.forEach(function (tab, index) {
      tab.addEventListener("click", function () { select(tab, false); });
      tab.addEventListener("keydown", function (event) {
        var next = null;
        if (event.key === "ArrowRight") { next = tabs[(index + 1) % tabs.length]; }
        if (event.key === "ArrowLeft") { next = tabs[(index - 1 + tabs.length) % tabs.length]; }
        if (event.key === "Home") { next = tabs[0]; }
        if (event.key === "End") { next = tabs[tabs.length - 1]; }
        if (next) { event.preventDefault(); select(next, true); }
      });
    });
    if (tabs.length) { select(tabs[0], false); }
    render();
  }

  function scan(root) {
    if (!root || !root.querySelectorAll) { return; }
    if (root.matches && root.matches("[data-testid='bulk-tag-form']")) { setUp(root); }
    root.querySelectorAll("[data-testid='bulk-tag-form']").forEach(setUp);
  }

  scan(document);
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
}());
