/* The custom menu editor (自定义菜单): builds the menu tree from <script id="menu-tree-data">, lets the user add,
   remove, reorder and fill in items, checks the limits as they type, and puts the tree as JSON into the form's
   hidden input "tree" on submit. No inline script (CSP script-src 'self'); texts come from
   <script id="menu-editor-config">. The server checks everything again (menus.tree.validate). */
(function () {
  "use strict";

  function readJson(id, fallback) {
    var node = document.getElementById(id);
    if (!node) { return fallback; }
    try { return JSON.parse(node.textContent); } catch (e) { return fallback; }
  }

  function bytes(text) { return new TextEncoder().encode(text).length; }
  function chars(text) { return Array.from(text).length; }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; }
      else if (key.indexOf("on") === 0) { node.addEventListener(key.slice(2), attrs[key]); }
      else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function init(root) {
    var form = root.closest("form");
    var input = form.querySelector("[data-menu-tree-input]");
    var config = readJson("menu-editor-config", {limits: {}, text: {}});
    var T = config.text, L = config.limits;
    var materials = readJson("menu-materials-data", []);
    var tree = readJson("menu-tree-data", []);
    if (!Array.isArray(tree)) { tree = []; }

    function t(key, n) { return (T[key] || key).replace("{n}", n); }

    function move(list, index, delta) {
      var target = index + delta;
      if (target < 0 || target >= list.length) { return; }
      var item = list.splice(index, 1)[0];
      list.splice(target, 0, item);
      render();
    }

    function field(labelText, control, help, testid) {
      var wrap = el("div", {"class": "field"}, [el("label", {text: labelText}), control]);
      if (help) { wrap.appendChild(el("p", {"class": "help", text: help})); }
      var error = el("div", {"class": "error", "data-error": testid || ""});
      wrap.appendChild(error);
      control._error = error;
      return wrap;
    }

    function textInput(item, key, testid, maxlength) {
      var attrs = {value: item[key] || "", "data-testid": testid};
      if (maxlength) { attrs.maxlength = String(maxlength); }
      var node = el("input", attrs);
      node.addEventListener("input", function () { item[key] = node.value; check(); });
      return node;
    }

    function actionFields(item, prefix) {
      var box = el("div", {"class": "menu-action"});
      var select = el("select", {"data-testid": prefix + "-type"}, [
        el("option", {value: "", text: T.choose}), el("option", {value: "view", text: T.view}),
        el("option", {value: "miniprogram", text: T.miniprogram}), el("option", {value: "click", text: T.click})]);
      select.value = item.type || "";
      select.addEventListener("change", function () {
        item.type = select.value;
        if (item.type === "click" && !item.reply) { item.reply = {kind: "text", text: ""}; }
        render();
      });
      box.appendChild(field(T.type, select, "", prefix + "-type"));
      item._type = select;
      if (item.type === "view" || item.type === "miniprogram") {
        var url = textInput(item, "url", prefix + "-url");
        url.type = "url";
        item._url = url;
        box.appendChild(field(item.type === "view" ? T.url : T.fallback_url, url, "", prefix + "-url"));
      }
      if (item.type === "miniprogram") {
        item._appid = textInput(item, "appid", prefix + "-appid", 18);
        item._pagepath = textInput(item, "pagepath", prefix + "-pagepath", 256);
        box.appendChild(field(T.appid, item._appid, "", prefix + "-appid"));
        box.appendChild(field(T.pagepath, item._pagepath, "", prefix + "-pagepath"));
      }
      if (item.type === "click") {
        item.reply = item.reply || {kind: "text", text: ""};
        var kind = el("select", {"data-testid": prefix + "-reply-kind"}, [
          el("option", {value: "text", text: T.reply_text}), el("option", {value: "material", text: T.reply_material})]);
        kind.value = item.reply.kind === "material" ? "material" : "text";
        kind.addEventListener("change", function () {
          item.reply = kind.value === "material" ? {kind: "material", material_id: null} : {kind: "text", text: ""};
          render();
        });
        box.appendChild(field(T.reply_kind, kind, "", prefix + "-reply-kind"));
        if (item.reply.kind === "material") {
          var options = [el("option", {value: "", text: T.choose})];
          materials.forEach(function (m) { options.push(el("option", {value: String(m.id), text: m.name + " (" + m.kind + ")"})); });
          var pick = el("select", {"data-testid": prefix + "-material"}, options);
          pick.value = item.reply.material_id ? String(item.reply.material_id) : "";
          pick.addEventListener("change", function () { item.reply.material_id = pick.value ? Number(pick.value) : null; check(); });
          item._reply = pick;
          box.appendChild(field(T.reply_material, pick, materials.length ? "" : T.no_materials, prefix + "-material"));
        } else {
          var text = el("textarea", {rows: "3", maxlength: String(L.reply_max), "data-testid": prefix + "-text"});
          text.value = item.reply.text || "";
          text.addEventListener("input", function () { item.reply.text = text.value; check(); });
          item._reply = text;
          box.appendChild(field(T.reply_text, text, "", prefix + "-text"));
        }
      }
      return box;
    }

    function render() {
      root.textContent = "";
      var list = el("ol", {"class": "menu-tops", style: "list-style:none;padding:0"});
      tree.forEach(function (top, i) {
        var prefix = "top-" + (i + 1);
        top.sub_button = top.sub_button || [];
        var name = textInput(top, "name", prefix + "-name");
        top._name = name;
        var head = el("div", {"class": "toolbar"}, [
          el("strong", {text: t("menu", i + 1)}),
          el("button", {type: "button", "class": "button", text: T.left, onclick: function () { move(tree, i, -1); }}),
          el("button", {type: "button", "class": "button", text: T.right, onclick: function () { move(tree, i, 1); }}),
          el("button", {type: "button", "class": "link", "data-testid": prefix + "-remove", text: T.remove,
                        onclick: function () { tree.splice(i, 1); render(); }})]);
        var card = el("li", {"class": "card", "data-testid": prefix}, [head, field(T.name, name, T.top_name_help, prefix + "-name")]);
        if (top.sub_button.length) {
          card.appendChild(el("p", {"class": "help", text: T.has_subs}));
          var subs = el("ol", {"class": "menu-subs"});
          top.sub_button.forEach(function (sub, j) {
            var subPrefix = prefix + "-sub-" + (j + 1);
            var subName = textInput(sub, "name", subPrefix + "-name");
            sub._name = subName;
            subs.appendChild(el("li", {"class": "card", "data-testid": subPrefix}, [
              el("div", {"class": "toolbar"}, [
                el("strong", {text: t("sub", j + 1)}),
                el("button", {type: "button", "class": "button", text: T.up, onclick: function () { move(top.sub_button, j, -1); }}),
                el("button", {type: "button", "class": "button", text: T.down, onclick: function () { move(top.sub_button, j, 1); }}),
                el("button", {type: "button", "class": "link", "data-testid": subPrefix + "-remove", text: T.remove,
                              onclick: function () { top.sub_button.splice(j, 1); render(); }})]),
              field(T.name, subName, T.sub_name_help, subPrefix + "-name"),
              actionFields(sub, subPrefix)]));
          });
          card.appendChild(subs);
        } else {
          card.appendChild(actionFields(top, prefix));
        }
        if (top.sub_button.length < L.sub_max) {
          card.appendChild(el("button", {type: "button", "class": "button", "data-testid": prefix + "-add-sub", text: T.add_sub,
                                         onclick: function () { top.sub_button.push({name: "", type: ""}); render(); }}));
        }
        list.appendChild(card);
      });
      root.appendChild(list);
      if (tree.length < L.top_max) {
        root.appendChild(el("button", {type: "button", "class": "button", "data-testid": "add-top", text: T.add_top,
                                       onclick: function () { tree.push({name: "", type: "", sub_button: []}); render(); }}));
      }
      root.appendChild(el("div", {"class": "error", "data-testid": "menu-editor-error", role: "alert"}));
      check();
    }

    function setError(control, message) {
      if (control && control._error) { control._error.textContent = message || ""; }
      return message ? 1 : 0;
    }

    function checkAction(item) {
      var bad = 0;
      if (!item.type) { return setError(item._type, T.err_content); }
      setError(item._type, "");
      if (item.type === "view" || item.type === "miniprogram") {
        var url = (item.url || "").trim();
        bad += setError(item._url, !url ? T.err_content : (!/^https?:\/\/\S+$/i.test(url) || bytes(url) > 1024) ? T.err_url : "");
      }
      if (item.type === "miniprogram") {
        bad += setError(item._appid, /^wx[0-9a-f]{16}$/.test((item.appid || "").trim()) ? "" : T.err_appid);
        bad += setError(item._pagepath, (item.pagepath || "").trim() ? "" : T.err_pagepath);
      }
      if (item.type === "click") {
        var reply = item.reply || {};
        if (reply.kind === "material") { bad += setError(item._reply, reply.material_id ? "" : T.err_reply); }
        else {
          var text = (reply.text || "").trim();
          bad += setError(item._reply, !text ? T.err_reply : chars(text) > L.reply_max ? T.err_reply_long : "");
        }
      }
      return bad;
    }

    function check() {
      var bad = 0;
      tree.forEach(function (top) {
        var name = (top.name || "").trim();
        bad += setError(top._name, !name ? T.err_name : bytes(name) > L.top_name_bytes ? T.err_top_name : "");
        if (top.sub_button && top.sub_button.length) {
          top.sub_button.forEach(function (sub) {
            var subName = (sub.name || "").trim();
            bad += setError(sub._name, !subName ? T.err_name : chars(subName) > L.sub_name_chars ? T.err_sub_name : "");
            bad += checkAction(sub);
          });
        } else {
          bad += checkAction(top);
        }
      });
      var summary = root.querySelector("[data-testid=menu-editor-error]");
      if (summary) { summary.textContent = tree.length < 1 ? T.err_min_top : ""; }
      return bad + (tree.length < 1 ? 1 : 0);
    }

    function clean(item) {
      var out = {name: (item.name || "").trim()};
      if (item.sub_button && item.sub_button.length) {
        out.sub_button = item.sub_button.map(clean);
        return out;
      }
      ["type", "url", "appid", "pagepath", "key"].forEach(function (key) { if (item[key]) { out[key] = String(item[key]).trim(); } });
      if (item.type === "click") { out.reply = item.reply; }
      return out;
    }

    form.addEventListener("submit", function () {
      // the server validates and explains every problem too: submit even when the editor found some
      input.value = JSON.stringify(tree.map(clean));
    });
    render();
  }

  function start() {
    document.querySelectorAll("[data-menu-editor]").forEach(init);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
