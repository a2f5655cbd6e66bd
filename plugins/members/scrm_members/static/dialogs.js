// The customer list's dialog (<dialog id="members-dialog">): bulk and row actions whose button carries
// hx-post / hx-target="#members-dialog-body" load their form into the dialog, which then opens as a modal.
// The form inside posts into the dialog too: a refused value shows there (422), a success answers HX-Redirect and
// htmx loads the list again as a page. Without JavaScript the same buttons submit their form and the action opens
// as a page.
(function () {
  "use strict";
  var BODY_ID = "members-dialog-body";

  function dialogOf(body) { return body ? body.closest("dialog") : null; }

  // a 422 (nothing selected, a refused value) is a form with its message: show it in the dialog too
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === BODY_ID && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var body = event.detail.target;
    if (!body || body.id !== BODY_ID) { return; }
    var dialog = dialogOf(body);
    var heading = body.querySelector("h1, h2");
    if (heading) {
      heading.id = heading.id || "members-dialog-title";
      dialog.setAttribute("aria-labelledby", heading.id);
    }
    body.querySelectorAll("form[method=post]:not([hx-post])").forEach(function (form) {
      form.setAttribute("hx-post", form.getAttribute("action"));
      form.setAttribute("hx-target", "#" + BODY_ID);
      form.setAttribute("hx-swap", "innerHTML");
      if (window.htmx) { window.htmx.process(form); }
    });
    if (!dialog.open) { dialog.showModal(); }
    var first = body.querySelector("[autofocus], select, input:not([type=hidden]), button");
    if (first) { first.focus(); }
  });

  document.addEventListener("click", function (event) {
    var cancel = event.target instanceof Element ? event.target.closest("[data-dialog-cancel]") : null;
    if (!cancel) { return; }
    var dialog = cancel.closest("dialog");
    if (dialog && dialog.open) {
      event.preventDefault();
      dialog.close();
    }
  });

  document.addEventListener("close", function (event) {
    var dialog = event.target;
    if (dialog instanceof HTMLDialogElement && dialog.querySelector("#" + BODY_ID)) {
      dialog.querySelector("#" + BODY_ID).replaceChildren();  // a closed dialog keeps no stale form
    }
  }, true);
}());
