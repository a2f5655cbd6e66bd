"""What an application message says: a text or a text card, cut to WeCom's limits.

WeCom counts bytes: a text card's title at most 128 bytes, its description 512, its button text 4 characters, a
text 2048 bytes. Longer values are cut on a UTF-8 character boundary and end with "…", so a long customer name
never makes WeCom refuse the whole message (40058); a longer button text is left out (WeCom then shows "详情").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TITLE_BYTES = 128
DESCRIPTION_BYTES = 512
BUTTON_CHARS = 4
TEXT_BYTES = 2048
ELLIPSIS = "…"


def cut_bytes(value: str, limit: int) -> str:
    """``value`` shortened to at most ``limit`` UTF-8 bytes (ending with "…" when it was cut)."""
    data = value.encode("utf-8")
    if len(data) <= limit:
        return value
    room = limit - len(ELLIPSIS.encode("utf-8"))
    return data[:room].decode("utf-8", errors="ignore") + ELLIPSIS


@dataclass(frozen=True)
class Text:
    """A plain-text app message (cut to WeCom's byte limit when sent)."""

    content: str

    msgtype = "text"

    def to_content(self) -> dict[str, Any]:
        return {"content": cut_bytes(self.content, TEXT_BYTES)}


@dataclass(frozen=True)
class TextCard:
    """A card: title, description (plain text; WeCom renders ``<div class="gray">`` and friends), a link and an
    optional button text (WeCom shows "详情" without one)."""

    title: str
    description: str
    url: str
    button: str | None = None

    msgtype = "textcard"

    def to_content(self) -> dict[str, Any]:
        content = {"title": cut_bytes(self.title, TITLE_BYTES),
                   "description": cut_bytes(self.description, DESCRIPTION_BYTES), "url": self.url}
        if self.button and len(self.button) <= BUTTON_CHARS:  # a cut word reads worse than WeCom's default "详情"
            content["btntxt"] = self.button
        return content


AppContent = Text | TextCard
