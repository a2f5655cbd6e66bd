"""The employee's promotion poster (B.8: the employee's name, an avatar and the exclusive QR code): one PNG the
employee downloads from their H5 page and shares. The QR code is drawn by ``scrm.sdk.qr`` (the tenant's logo in
the centre when its switch is on). The employee has no stored photo here, so the avatar is the first character of
their name in a round badge.

Text is drawn with a CJK font when the machine has one (``SCRM_POSTER_FONT``, else the usual Noto CJK / WenQuanYi
paths); without one the poster carries the badge and the QR code, and the H5 page around it says the rest.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from scrm.sdk import poster, qr

WIDTH, HEIGHT = 750, 1150
QR_SIZE = 430
BAND = (35, 99, 235)
INK = (31, 41, 51)
MUTED = (95, 107, 120)
def render(*, title: str, employee: str, hint: str, qr_data: str, logo_png: bytes | None = None) -> bytes:
    """The poster as PNG bytes (``WIDTH`` × ``HEIGHT``)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BAND)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((40, 240, WIDTH - 40, HEIGHT - 50), radius=28, fill=(255, 255, 255))
    draw.ellipse((WIDTH // 2 - 60, 180, WIDTH // 2 + 60, 300), fill=(255, 255, 255), outline=BAND, width=6)
    code = Image.open(io.BytesIO(qr.render_qr(qr_data, QR_SIZE, logo_png))).convert("RGB")
    image.paste(code, ((WIDTH - QR_SIZE) // 2, 470))
    path = poster.font_path()
    if path is not None:
        big, middle, small, badge = (ImageFont.truetype(path, size) for size in (50, 36, 28, 64))
        poster.centred(draw, WIDTH, 50, poster.wrap(draw, title, big, WIDTH - 100, 2), big, (255, 255, 255), 12)
        initial = (employee or "?")[:1]
        draw.text(((WIDTH - draw.textlength(initial, font=badge)) / 2, 200), initial, font=badge, fill=BAND)
        poster.centred(draw, WIDTH, 320, poster.wrap(draw, employee, middle, WIDTH - 140, 1), middle, INK, 10)
        poster.centred(draw, WIDTH, 380, poster.wrap(draw, hint, small, WIDTH - 140, 2), small, MUTED, 8)
        poster.centred(draw, WIDTH, 470 + QR_SIZE + 40, poster.wrap(draw, title, small, WIDTH - 140, 2), small, INK, 10)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
