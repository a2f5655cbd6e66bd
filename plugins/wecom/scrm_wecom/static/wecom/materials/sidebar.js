/* The chat sidebar: inside the WeCom client (user agent "wxwork") load its JS-SDK, sign wx.config and
   wx.agentConfig, read the chat's customer; a send asks the server for the messages (recording the send and its
   tracked link) and hands them to sendChatMessage one by one. Deleting an own material asks for confirmation. */
(function () {
  "use strict";
  var root = document.querySelector("[data-testid=sidebar]");
  if (!root) { return; }
  var status = root.querySelector("[data-status]");
  var externalUserId = root.getAttribute("data-external-userid");
  var apis = ["sendChatMessage", "getCurExternalContact"];
  function say(name) { status.textContent = root.getAttribute("data-say-" + name); status.hidden = false; }
  function loadSdk() {
    return new Promise(function (resolve) {
      if (!/wxwork/i.test(navigator.userAgent) || !root.getAttribute("data-jssdk")) { resolve(null); return; }
      var script = document.createElement("script");
      script.src = root.getAttribute("data-jssdk");
      script.onload = function () { resolve(window.wx || window.jWeixin || null); };
      script.onerror = function () { resolve(null); };
      document.head.appendChild(script);
    });
  }
  var wx = null;
  var ready = loadSdk().then(function (sdk) {
    wx = sdk;
    if (!wx) { return null; }
    var url = root.getAttribute("data-config-url") + "?url=" + encodeURIComponent(location.href.split("#")[0]);
    return fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (c) {
      return new Promise(function (resolve) {
        wx.config({beta: true, debug: false, appId: c.corpid, timestamp: c.timestamp, nonceStr: c.nonceStr,
                   signature: c.signature, jsApiList: apis});
        wx.ready(function () {
          wx.agentConfig({corpid: c.corpid, agentid: c.agentid, timestamp: c.timestamp, nonceStr: c.nonceStr,
                          signature: c.agentSignature, jsApiList: apis, fail: function () { resolve(); },
                          success: function () {
                            wx.invoke("getCurExternalContact", {}, function (res) {
                              if (res.err_msg === "getCurExternalContact:ok") { externalUserId = res.userId; }
                              resolve();
                            });
                          }});
        });
        wx.error(function () { resolve(); });
      });
    });
  });
  function post(url, field, id) {
    var body = new FormData();
    body.append(field, id);
    body.append("external_userid", externalUserId || "");
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       headers: {"X-CSRFToken": root.getAttribute("data-csrf")}}).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.json();
    });
  }
  function deliver(messages) {
    if (!wx) { say("ready"); return Promise.resolve(); }
    return messages.reduce(function (chain, m) {
      return chain.then(function () {
        return new Promise(function (resolve) { wx.invoke("sendChatMessage", m, function () { resolve(); }); });
      });
    }, Promise.resolve()).then(function () { say("sent"); });
  }
  root.addEventListener("submit", function (e) {  // deleting an own material asks first
    var form = e.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); }
  });
  // the SOP quick replies for the chat's customer: listed above the tabs; "send" records the send, finishes the
  // to-do and hands its messages to the chat, "done" finishes it
  var replies = root.querySelector("[data-testid=sop-replies]");
  function loadReplies() {
    if (!replies || !externalUserId) { return Promise.resolve(); }
    var url = replies.getAttribute("data-url") + "?external_userid=" + encodeURIComponent(externalUserId);
    return fetch(url, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { replies.innerHTML = html; replies.hidden = !html.trim(); });
  }
  ready.then(loadReplies);
  if (replies) {
    replies.addEventListener("click", function (e) {
      var button = e.target.closest("[data-sop-send], [data-sop-done]");
      if (!button) { return; }
      var send = button.hasAttribute("data-sop-send");
      button.disabled = true;
      ready.then(function () {
        var body = new FormData();
        body.append("external_userid", externalUserId || "");
        return fetch(button.getAttribute(send ? "data-sop-send" : "data-sop-done"), {
          method: "POST", body: body, credentials: "same-origin",
          headers: {"X-CSRFToken": root.getAttribute("data-csrf")}}).then(function (r) {
          if (!r.ok) { throw new Error(String(r.status)); }
          return r.json();
        });
      }).then(function (data) {
        if (!send) { return null; }
        root.setAttribute("data-last-send", JSON.stringify(data.messages));
        return deliver(data.messages);
      }).then(loadReplies).catch(function () { say("failed"); button.disabled = false; });
    });
  }
  root.addEventListener("click", function (e) {
    var button = e.target.closest("[data-send-material], [data-send-script]");
    if (!button) { return; }
    var material = button.getAttribute("data-send-material"), script = button.getAttribute("data-send-script");
    button.disabled = true;
    ready.then(function () {
      return material ? post(root.getAttribute("data-send-url"), "material_id", material)
                      : post(root.getAttribute("data-script-url"), "script_id", script);
    }).then(function (data) {
      root.setAttribute("data-last-send", JSON.stringify(data.messages));
      return deliver(data.messages);
    }).catch(function () { say("failed"); }).then(function () { button.disabled = false; });
  });
})();
