"""The customer list's dialog (``<dialog id="members-dialog">``, ``static/dialogs.js``): the manual's dialogs
(批量打标签, 移交客户, 加入黑名单) load their form into it with htmx and post it there, so a refused value shows in the
dialog. A page opened there extends ``members/_dialog_target.html``; a view that redirects after a successful post
uses :func:`done`, so that htmx leaves the dialog for the page (a plain redirect would be followed inside the
dialog's request and the list drawn in the dialog)."""

from __future__ import annotations

from flask import Response, redirect, request

BODY_ID = "members-dialog-body"


def in_dialog() -> bool:
    """True when htmx asked for this response to fill the customer list's dialog."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == BODY_ID


def done(target: str) -> Response:
    """Go to ``target`` (an already safe address) after a successful post: an ordinary redirect, or from the dialog
    ``HX-Redirect`` (htmx then loads ``target`` as a page, where the flashed message shows)."""
    if in_dialog():
        return Response(status=204, headers={"HX-Redirect": target})
    return redirect(target)
