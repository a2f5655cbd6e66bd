/* The SOP task page inside the WeCom client: when the JS-SDK is present (wx.invoke), the "Send in WeCom" form is
   shown and sends the content to the current chat with sendChatMessage before recording the send. Outside the
   client the page keeps the copy button (behaviours.js copies; the form records the send). */
(function () {
  "use strict";
  var form = document.querySelector("[data-sop-wecom]");
  if (!form || !window.wx || typeof window.wx.invoke !== "function") { return; }
  form.hidden = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var content = document.getElementById("sop-content").value;
    window.wx.invoke("sendChatMessage", {msgtype: "text", enterChat: true, text: {content: content}}, function (res) {
      if (res && res.err_msg === "sendChatMessage:ok") { form.submit(); }
    });
  });
}());
