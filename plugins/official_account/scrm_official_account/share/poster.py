"""The sharer's poster (分享海报): one PNG a fan saves and sends, with the campaign's name, the sharer's name, the
reward line and the sharer's parameter QR code (drawn by ``scrm.sdk.qr``, the tenant's logo in the centre when its
switch is on). A friend who scans it follows the account through the sharer's scene, which counts the help.

Text is drawn with a CJK font when the machine has one (``SCRM_POSTER_FONT``, else the usual Noto CJK / WenQuanYi
paths); without one the poster carries the QR code and the colour bands only, and the page around it says the rest.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from scrm.sdk import poster, qr

WIDTH, HEIGHT = 750, 1100
QR_SIZE = 430
BRAND = (7, 193, 96)
INK = (31, 41, 51)
MUTED = (95, 107, 120)
def render(*, title: str, sharer: str, reward: str, hint: str, qr_data: str, logo_png: bytes | None = None) -> bytes:
    """The poster as PNG bytes (``WIDTH`` × ``HEIGHT``)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BRAND)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((40, 250, WIDTH - 40, HEIGHT - 60), radius=28, fill=(255, 255, 255))
    code = Image.open(io.BytesIO(qr.render_qr(qr_data, QR_SIZE, logo_png))).convert("RGB")
    image.paste(code, ((WIDTH - QR_SIZE) // 2, 420))
    path = poster.font_path()
    if path is not None:
        big, middle, small = (ImageFont.truetype(path, size) for size in (52, 34, 28))
        poster.centred(draw, WIDTH, 70, poster.wrap(draw, title, big, WIDTH - 100, 2), big, (255, 255, 255), 14)
        y = poster.centred(draw, WIDTH, 290, poster.wrap(draw, sharer, middle, WIDTH - 140, 1), middle, INK, 10)
        poster.centred(draw, WIDTH, y + 4, poster.wrap(draw, reward, small, WIDTH - 140, 1), small, MUTED, 8)
        poster.centred(draw, WIDTH, 420 + QR_SIZE + 40, poster.wrap(draw, hint, small, WIDTH - 140, 2), small, INK, 10)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
