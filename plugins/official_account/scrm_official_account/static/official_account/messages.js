// 消息管理 reply box: show only the inputs of the chosen reply kind (text, script, image, video).
(function () {
  "use strict";
  function update(form) {
    var checked = form.querySelector('input[name="kind"]:checked');
    var kind = checked ? checked.value : "text";
    form.querySelectorAll("[data-kind]").forEach(function (part) {
      part.hidden = part.getAttribute("data-kind") !== kind;
    });
  }
  document.querySelectorAll("form[data-oa-reply]").forEach(function (form) {
    form.addEventListener("change", function () { update(form); });
    update(form);
  });
  var chat = document.querySelector("[data-oa-chat]");
  if (chat) { chat.scrollTop = chat.scrollHeight; }
})();
