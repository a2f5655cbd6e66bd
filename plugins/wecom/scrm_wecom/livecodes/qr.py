"""QR images of live codes: the code's contact URL at error correction H, the brand logo in the centre on a white
rounded square (about 22 % of the width, which level H recovers), as PNG in the sizes WeCom's admin offers."""

from __future__ import annotations

import io

import qrcode
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageDraw
from qrcode.constants import ERROR_CORRECT_H

from scrm.sdk import uploads

SIZES = (258, 344, 430, 860, 1280)
DEFAULT_SIZE = 430
LOGO_SHARE = 0.22
MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_SIDE = 4096
STORED_LOGO_SIDE = 512


class LogoError(ValueError):
    """The uploaded logo is not a usable PNG or JPEG image."""


def validate_logo(data: bytes) -> bytes:
    """The logo as a PNG of at most 512 px a side, or ``LogoError``: PNG or JPEG, at most 2 MB, 16 to 4096 px.
    Size, format and dimensions are checked before the pixels are decoded (``scrm.sdk.uploads``)."""
    try:
        image = uploads.read_image(data, max_bytes=MAX_LOGO_BYTES, max_pixels=MAX_LOGO_SIDE * MAX_LOGO_SIDE,
                                   max_side=MAX_LOGO_SIDE, min_side=16, formats=("PNG", "JPEG"))
    except uploads.ImageRejected as exc:
        raise LogoError(_logo_message(exc.reason)) from exc
    image = image.convert("RGBA")
    image.thumbnail((STORED_LOGO_SIDE, STORED_LOGO_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _logo_message(reason: str) -> str:
    if reason == "empty":
        return str(_l("Choose an image file."))
    if reason == "too_large":
        return str(_l("The logo is at most 2 MB."))
    if reason in ("too_many_pixels", "too_big", "too_small"):
        return str(_l("The logo must be between 16 and 4096 pixels a side."))
    return str(_l("The logo must be a PNG or JPEG image."))


def _qr_image(url: str, size: int) -> Image.Image:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_H, box_size=10, border=2)
    code.add_data(url)
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


def render_qr(url: str, size: int = DEFAULT_SIZE, logo_png: bytes | None = None) -> bytes:
    """A PNG of ``size`` × ``size`` pixels encoding ``url``, with ``logo_png`` (from ``validate_logo``) centred."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}")
    image = _qr_image(url, size)
    if logo_png:
        side = max(8, round(size * LOGO_SHARE))
        badge = _badge(logo_png, side)
        offset = ((size - side) // 2, (size - side) // 2)
        image.paste(badge, offset, badge)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
