"""The sharer's poster (分享海报): one PNG a fan saves and sends, with the campaign's name, the sharer's name, the
reward line and the sharer's parameter QR code (drawn by ``scrm.sdk.qr``, the tenant's logo in the centre when its
switch is on). A friend who scans it follows the account through the sharer's scene, which counts the help.

Text is drawn with a CJK font when the machine has one (``SCRM_POSTER_FONT``, else the usual Noto CJK / WenQuanYi
paths); without one the poster carries the QR code and the colour bands only, and the page around it says the rest.
"""

from __future__ import annotations

import io
import os
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from scrm.sdk import qr

WIDTH, HEIGHT = 750, 1100
QR_SIZE = 430
BRAND = (7, 193, 96)
INK = (31, 41, 51)
MUTED = (95, 107, 120)
FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


@lru_cache(maxsize=1)
def font_path() -> str | None:
    """A font that has Chinese glyphs, or None."""
    for candidate in (os.environ.get("SCRM_POSTER_FONT"), *FONT_PATHS):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _lines(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int, limit: int) -> list[str]:
    """``text`` wrapped character by character (Chinese has no spaces) into at most ``limit`` lines."""
    lines, current = [], ""
    for char in text:
        if draw.textlength(current + char, font=font) > width:
            lines.append(current)
            current = char
            if len(lines) == limit:
                break
        else:
            current += char
    else:
        lines.append(current)
    if len(lines) > limit:
        lines = lines[:limit]
    return [line for line in lines if line]


def _centred(draw: ImageDraw.ImageDraw, y: int, lines: list[str], font: ImageFont.FreeTypeFont, fill,
             spacing: int) -> int:
    for line in lines:
        draw.text(((WIDTH - draw.textlength(line, font=font)) / 2, y), line, font=font, fill=fill)
        y += font.size + spacing
    return y


def render(*, title: str, sharer: str, reward: str, hint: str, qr_data: str, logo_png: bytes | None = None) -> bytes:
    """The poster as PNG bytes (``WIDTH`` × ``HEIGHT``)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BRAND)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((40, 250, WIDTH - 40, HEIGHT - 60), radius=28, fill=(255, 255, 255))
    code = Image.open(io.BytesIO(qr.render_qr(qr_data, QR_SIZE, logo_png))).convert("RGB")
    image.paste(code, ((WIDTH - QR_SIZE) // 2, 420))
    path = font_path()
    if path is not None:
        big, middle, small = (ImageFont.truetype(path, size) for size in (52, 34, 28))
        _centred(draw, 70, _lines(draw, title, big, WIDTH - 100, 2), big, (255, 255, 255), 14)
        y = _centred(draw, 290, _lines(draw, sharer, middle, WIDTH - 140, 1), middle, INK, 10)
        _centred(draw, y + 4, _lines(draw, reward, small, WIDTH - 140, 1), small, MUTED, 8)
        _centred(draw, 420 + QR_SIZE + 40, _lines(draw, hint, small, WIDTH - 140, 2), small, INK, 10)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
