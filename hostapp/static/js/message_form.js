/* Message forms with attachments (e.g. WeCom welcome messages): progressive enhancement, no inline scripts.
 *
 * A [data-message-form] block holds a text area [data-message-text], insert-variable buttons
 * [data-insert-variable], attachment slots [data-attachment] with a kind select [data-attachment-type] and fields
 * labelled [data-for-types="link video"], and a phone preview [data-phone-preview] (sample values in data-samples,
 * kind labels in data-kind-labels). This file shows only the chosen kind's fields, inserts a variable at the cursor
 * and keeps the preview in step. The server validates every kind's fields on its own. Attachments picked in a
 * material picker [data-material-picker] (checked boxes) and kept attachments [data-kept-attachment] (data-title,
 * data-kind-label, a checkbox to keep it) show as cards too.
 */
(function () {
  "use strict";

  function syncKind(slot) {
    var select = slot.querySelector("[data-attachment-type]");
    if (!select) return;
    slot.querySelectorAll("[data-for-types]").forEach(function (field) {
      var show = select.value !== "" && field.dataset.forTypes.split(" ").indexOf(select.value) >= 0;
      field.hidden = !show;
    });
  }

  function insertAtCursor(area, text) {
    var start = area.selectionStart, end = area.selectionEnd;
    if (typeof start !== "number") { start = end = area.value.length; }
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    var cursor = start + text.length;
    area.focus();
    area.setSelectionRange(cursor, cursor);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function fill(text, samples) {
    return text.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(samples, name) ? samples[name] : whole;
    });
  }

  function value(slot, name) {
    var input = slot.querySelector('[name$="-' + name + '"]');
    return input && !input.closest("[hidden]") ? input.value.trim() : "";
  }

  function card(slot, kinds) {
    var kind = slot.querySelector("[data-attachment-type]").value;
    if (!kind) return null;
    var box = document.createElement("div");
    box.className = "phone-card";
    box.dataset.previewKind = kind;
    var title = document.createElement("div");
    title.className = "phone-card-title";
    title.textContent = value(slot, "title") || value(slot, "url") || value(slot, "pic_url") ||
      value(slot, "media_id") || kinds[kind] || kind;
    box.appendChild(title);
    var desc = value(slot, "desc") || value(slot, "page");
    if (desc) {
      var line = document.createElement("div");
      line.className = "small";
      line.textContent = desc;
      box.appendChild(line);
    }
    var label = document.createElement("div");
    label.className = "phone-card-kind";
    label.textContent = kinds[kind] || kind;
    box.appendChild(label);
    return box;
  }

  function refresh(form) {
    var preview = form.querySelector("[data-phone-preview]");
    if (!preview) return;
    var samples = JSON.parse(preview.dataset.samples || "{}");
    var kinds = JSON.parse(preview.dataset.kindLabels || "{}");
    var chat = preview.querySelector("[data-phone-chat]");
    var area = form.querySelector("[data-message-text]");
    var bubble = chat.querySelector("[data-preview-text]");
    var text = area ? area.value.trim() : "";
    bubble.textContent = fill(text, samples);
    bubble.hidden = text === "";
    chat.querySelectorAll(".phone-card").forEach(function (old) { old.remove(); });
    form.querySelectorAll("[data-attachment]").forEach(function (slot) {
      var box = card(slot, kinds);
      if (box) chat.appendChild(box);
    });
    form.querySelectorAll("[data-kept-attachment]").forEach(function (item) {
      var keep = item.querySelector("input[type=checkbox]");
      if (!keep || keep.checked) chat.appendChild(simpleCard(item.dataset.title, item.dataset.kindLabel));
    });
    form.querySelectorAll("[data-material-picker] input:checked").forEach(function (box) {
      chat.appendChild(simpleCard(box.parentNode.textContent.trim(), box.dataset.kindLabel || ""));
    });
  }

  function simpleCard(title, kind) {
    var box = document.createElement("div");
    box.className = "phone-card";
    var line = document.createElement("div");
    line.className = "phone-card-title";
    line.textContent = title || "";
    box.appendChild(line);
    var label = document.createElement("div");
    label.className = "phone-card-kind";
    label.textContent = kind || "";
    box.appendChild(label);
    return box;
  }

  function formOf(element) {
    return element.closest("[data-message-form]");
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-message-form]").forEach(function (form) {
      form.querySelectorAll("[data-attachment]").forEach(syncKind);
      refresh(form);
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-insert-variable]");
    if (!button) return;
    event.preventDefault();
    var form = formOf(button);
    var area = form && form.querySelector("[data-message-text]");
    if (area) insertAtCursor(area, button.dataset.insertVariable);
  });

  function onEdit(event) {
    var form = event.target.closest && formOf(event.target);
    if (!form) return;
    var slot = event.target.closest("[data-attachment]");
    if (slot && event.target.matches("[data-attachment-type]")) syncKind(slot);
    refresh(form);
  }
  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);
})();
