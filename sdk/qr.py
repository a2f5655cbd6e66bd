"""QR images with an optional logo in the centre: the one drawing every marketing, poster and short-link QR code uses.

The data is encoded at error correction H (30 % of the modules may be lost), and the logo sits on a white rounded
square of ``LOGO_SHARE`` of the width (about 5 % of the area), which level H recovers with room to spare. Logos are
checked before decoding (``scrm.sdk.uploads``) and stored as PNG of at most ``STORED_LOGO_SIDE`` pixels a side.
For a short link, ``scrm.sdk.shortlinks.qr_png`` applies the tenant's "logo on QR codes" switch.

    from scrm.sdk import qr
    png = qr.render_qr("https://brand.example/s/Ab3dE7k", size=430, logo_png=qr.tenant_qr_logo(session, tenant_id))
    try:
        logo = qr.validate_logo(uploads.read_upload(request.files.get("logo"), qr.MAX_LOGO_BYTES))
    except qr.LogoRejected as exc:
        flash(qr.logo_message(exc))
"""

from __future__ import annotations

import io

import qrcode
from PIL import Image, ImageDraw
from qrcode.constants import ERROR_CORRECT_H

from . import uploads

SIZES = (258, 344, 430, 860, 1280)
DEFAULT_SIZE = 430
LOGO_SHARE = 0.22
MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_SIDE = 4096
MIN_LOGO_SIDE = 16
STORED_LOGO_SIDE = 512


class LogoRejected(ValueError):
    """An uploaded logo that is not usable: ``reason`` is "empty", "too_large", "size" or "format"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def validate_logo(data: bytes) -> bytes:
    """The logo as a PNG of at most 512 px a side, or ``LogoRejected``: PNG or JPEG, at most 2 MB, 16 to 4096 px a
    side. Size, format and dimensions are checked before the pixels are decoded."""
    try:
        image = uploads.read_image(data, max_bytes=MAX_LOGO_BYTES, max_pixels=MAX_LOGO_SIDE * MAX_LOGO_SIDE,
                                   max_side=MAX_LOGO_SIDE, min_side=MIN_LOGO_SIDE, formats=("PNG", "JPEG"))
    except uploads.ImageRejected as exc:
        reason = {"empty": "empty", "too_large": "too_large", "too_many_pixels": "size", "too_big": "size",
                  "too_small": "size"}.get(exc.reason, "format")
        raise LogoRejected(reason) from exc
    image = image.convert("RGBA")
    image.thumbnail((STORED_LOGO_SIDE, STORED_LOGO_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _qr_image(data: str, size: int) -> Image.Image:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_H, box_size=10, border=2)
    code.add_data(data)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    return image.resize((size, size), Image.Resampling.NEAREST)


def _badge(logo_png: bytes, side: int) -> Image.Image:
    """The logo fitted into a white rounded square of ``side`` pixels."""
    logo = Image.open(io.BytesIO(logo_png)).convert("RGBA")
    inner = max(1, int(side * 0.84))
    logo.thumbnail((inner, inner), Image.Resampling.LANCZOS)
    badge = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    ImageDraw.Draw(badge).rounded_rectangle((0, 0, side - 1, side - 1), radius=max(2, side // 6),
                                            fill=(255, 255, 255, 255))
    badge.alpha_composite(logo, ((side - logo.width) // 2, (side - logo.height) // 2))
    return badge


def render_qr(data: str, size: int = DEFAULT_SIZE, logo_png: bytes | None = None) -> bytes:
    """A PNG of ``size`` × ``size`` pixels (one of ``SIZES``) encoding ``data``, with ``logo_png`` (a PNG from
    ``validate_logo``) centred when given."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}")
    image = _qr_image(data, size)
    if logo_png:
        side = max(8, round(size * LOGO_SHARE))
        badge = _badge(logo_png, side)
        offset = ((size - side) // 2, (size - side) // 2)
        image.paste(badge, offset, badge)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def logo_message(exc: LogoRejected) -> str:
    """The user's-language message for a refused logo."""
    from flask_babel import gettext as _

    if exc.reason == "empty":
        return _("Choose an image file.")
    if exc.reason == "too_large":
        return _("The logo is at most 2 MB.")
    if exc.reason == "size":
        return _("The logo must be between 16 and 4096 pixels a side.")
    return _("The logo must be a PNG or JPEG image.")


def tenant_qr_logo(session, tenant_id: int) -> bytes | None:
    """The tenant's logo when its "logo on QR codes" switch (brand settings) is on, else None: pass it as
    ``logo_png`` to ``render_qr`` for every marketing and poster QR code."""
    from scrm.core.shortlinks import qr_logo

    return qr_logo(session, tenant_id)
