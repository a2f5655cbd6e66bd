"""Checking uploaded images before anything decodes them: the one path every image upload goes through.

    from scrm.sdk import uploads
    try:
        image = uploads.read_image(uploads.read_upload(request.files.get("logo"), MAX_BYTES), max_bytes=MAX_BYTES,
                                   max_side=4096, min_side=16, formats=("PNG", "JPEG"))
    except uploads.ImageRejected as exc:
        ...  # answer 422 with a message for ``exc.reason`` (and ``exc.limit``)

The byte size is checked first, then the format and the dimensions as the file's header declares them (PIL's lazy
open reads the header only), and only then are the pixels decoded. A decompression bomb (a small file declaring a
huge canvas) or a truncated or foreign file is refused with ``ImageRejected``, never a server error.
"""

from __future__ import annotations

import io
import warnings
from typing import IO

from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 40_000_000  # about 6,300 x 6,300: more than any upload the platform asks for
# PIL's own guard (a warning past the bound, an error past twice it) for any code that opens an image elsewhere
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

REASONS = ("empty", "too_large", "not_an_image", "format", "too_many_pixels", "too_small", "too_big")


class ImageRejected(ValueError):
    """An upload that is not an acceptable image. ``reason`` is one of ``REASONS``; ``limit`` the bound it broke
    (bytes for "too_large", pixels for "too_many_pixels", a side in pixels for "too_small" / "too_big")."""

    def __init__(self, reason: str, limit: int | None = None) -> None:
        super().__init__(reason if limit is None else f"{reason} ({limit})")
        self.reason, self.limit = reason, limit


def read_upload(upload: IO[bytes] | None, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of an uploaded file (enough to tell it is too large without reading it all);
    ``b""`` for no file."""
    if upload is None:
        return b""
    return upload.read(max_bytes + 1)


def read_image(data: bytes, *, max_bytes: int, max_pixels: int = MAX_PIXELS, max_side: int | None = None,
               min_side: int | None = None, formats: tuple[str, ...] | None = None) -> Image.Image:
    """The decoded image of ``data``, or ``ImageRejected``: the byte size, the format and the declared dimensions
    are checked before a single pixel is decoded."""
    if not data:
        raise ImageRejected("empty")
    if len(data) > max_bytes:
        raise ImageRejected("too_large", max_bytes)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))  # lazy: reads the header only
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected("too_many_pixels", max_pixels) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ImageRejected("not_an_image") from exc
        if formats is not None and image.format not in formats:
            raise ImageRejected("format")
        width, height = image.size
        if width * height > max_pixels:
            raise ImageRejected("too_many_pixels", max_pixels)
        if max_side is not None and max(width, height) > max_side:
            raise ImageRejected("too_big", max_side)
        if min_side is not None and min(width, height) < min_side:
            raise ImageRejected("too_small", min_side)
        try:
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected("too_many_pixels", max_pixels) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:  # truncated or corrupt pixel data
            raise ImageRejected("not_an_image") from exc
    return image
