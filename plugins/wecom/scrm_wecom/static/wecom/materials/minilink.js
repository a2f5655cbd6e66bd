/* "Insert mini program link" next to a text field ([data-minilink] names the field's id): the button opens a panel
   with the brand's mini program links and a box to paste one; Insert puts the link at the cursor when it is a whole
   link (the server's pattern, data-pattern) and when the text still fits the field's maxlength and data-max-bytes.
   The server checks the text again when the form is saved. */
(function () {
  "use strict";
  function bytes(text) { return new TextEncoder().encode(text).length; }
  function setup(box) {
    var area = document.getElementById(box.getAttribute("data-minilink"));
    if (!area) { return; }
    var whole = new RegExp("^(?:" + box.getAttribute("data-pattern") + ")$");
    var panel = box.querySelector("[data-minilink-panel]");
    var opener = box.querySelector("[data-minilink-open]");
    var choice = box.querySelector("[data-minilink-choice]");
    var paste = box.querySelector("[data-minilink-paste]");
    var error = box.querySelector("[data-minilink-error]");
    var start = 0, end = 0;
    function remember() {
      if (typeof area.selectionStart === "number") { start = area.selectionStart; end = area.selectionEnd; }
    }
    ["keyup", "click", "select", "input", "blur"].forEach(function (name) { area.addEventListener(name, remember); });
    remember();
    start = end = area.value.length;
    function say(name) {
      error.textContent = name ? box.getAttribute("data-say-" + name) : "";
      error.hidden = !name;
    }
    opener.addEventListener("click", function () {
      panel.hidden = !panel.hidden;
      opener.setAttribute("aria-expanded", String(!panel.hidden));
      say(null);
    });
    choice.addEventListener("change", function () { if (choice.value) { paste.value = ""; } });
    box.querySelector("[data-minilink-insert]").addEventListener("click", function () {
      var link = (paste.value || choice.value || "").trim();
      if (!link) { say("empty"); return; }
      if (!whole.test(link)) { say("invalid"); return; }
      var before = area.value.slice(0, start), after = area.value.slice(end);
      // a link needs a break after it when letters or digits follow, or they would read as part of its code
      var text = link + (/^[A-Za-z0-9\/]/.test(after) ? " " : "");
      var result = before + text + after;
      var maxChars = parseInt(area.getAttribute("maxlength"), 10);
      var maxBytes = parseInt(area.getAttribute("data-max-bytes"), 10);
      if ((maxChars > 0 && result.length > maxChars) || (maxBytes > 0 && bytes(result) > maxBytes)) {
        say("too-long"); return;
      }
      area.value = result;
      start = end = before.length + text.length;
      area.focus();
      area.setSelectionRange(start, end);
      area.dispatchEvent(new Event("input", {bubbles: true}));
      paste.value = ""; choice.value = "";
      say(null);
      panel.hidden = true;
      opener.setAttribute("aria-expanded", "false");
    });
  }
  document.querySelectorAll("[data-minilink]").forEach(setup);
})();
