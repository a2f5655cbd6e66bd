"""Application messages to employees (``message/send``): text or text cards, sent once per ledger key.

Other modules call :func:`queue_app_message` inside their transaction with a recipient employee, the content and an
idempotency key; the message goes through the platform's outbound path (``scrm.sdk.send_message``: the ledger row,
then the send job calling ``WeComPlugin.deliver`` after the commit). ``notifications`` delivers the members plugin's
``members.notification`` events this way; ``channel`` is WeCom's side of the path (capabilities, ``deliver``).
(The names are loaded lazily: ``models`` is imported while the plugin's tables are being declared.)
"""

from __future__ import annotations

from typing import Any

from .content import AppContent, Text, TextCard

__all__ = ["AppContent", "Text", "TextCard", "queue_app_message", "retry_failed"]


def __getattr__(name: str) -> Any:
    if name in ("queue_app_message", "retry_failed"):
        from . import outbound

        return getattr(outbound, name)
    raise AttributeError(name)
