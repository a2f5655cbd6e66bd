"""Drawing posters that carry Chinese text: the font, wrapping and centring every poster uses (a share-for-gift
poster, an employee's promotion poster). The QR code itself comes from :mod:`scrm.sdk.qr`.

Text is drawn with a CJK font when the machine has one (``SCRM_POSTER_FONT``, else the usual Noto CJK / WenQuanYi
paths); without one :func:`font_path` is None and a poster draws its bands and QR code only, the page around it
saying the rest.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import ImageDraw

__all__ = ["FONT_PATHS", "centred", "font_path", "wrap"]

FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


@lru_cache(maxsize=1)
def font_path() -> str | None:
    """A font file with Chinese glyphs (``SCRM_POSTER_FONT`` first), or None."""
    for candidate in (os.environ.get("SCRM_POSTER_FONT"), *FONT_PATHS):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def wrap(draw: ImageDraw.ImageDraw, text: str, font: Any, width: int, limit: int) -> list[str]:
    """``text`` cut character by character (Chinese has no spaces) into at most ``limit`` lines of ``width`` px."""
    lines, current = [], ""
    for char in text:
        if draw.textlength(current + char, font=font) > width:
            lines.append(current)
            current = char
            if len(lines) == limit:
                return [line for line in lines if line]
        else:
            current += char
    lines.append(current)
    return [line for line in lines[:limit] if line]


def centred(draw: ImageDraw.ImageDraw, canvas_width: int, y: int, lines: list[str], font: Any, fill: Any,
            spacing: int) -> int:
    """Draw ``lines`` centred on a canvas ``canvas_width`` px wide from ``y``; returns the y below the last."""
    for line in lines:
        draw.text(((canvas_width - draw.textlength(line, font=font)) / 2, y), line, font=font, fill=fill)
        y += font.size + spacing
    return y
