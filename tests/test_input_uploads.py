"""Image uploads are checked before they are decoded (issue 11, finding 7): ``scrm.sdk.uploads.read_image`` refuses
a file over its byte bound, a decompression bomb (a tiny PNG declaring 30,000 x 30,000 pixels) from its header alone,
and a truncated or foreign file, each with a reason a view turns into a 422."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from scrm.sdk import uploads


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int, rows: int = 1) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` RGB pixels, carrying the data of ``rows`` rows only."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"".join(b"\x00" + b"\x00" * width * 3 for _ in range(rows)), 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def real_png(side: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def no_decoding(monkeypatch):
    """Any pixel decoding fails the test: the checks must come from the header."""
    def refuse(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(Image.Image, "load", refuse)
    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", refuse)


def test_a_tiny_png_declaring_30000_by_30000_is_refused_from_its_header(no_decoding):
    bomb = png_declaring(30000, 30000)
    assert len(bomb) < 2000
    with pytest.raises(uploads.ImageRejected) as refused:
        uploads.read_image(bomb, max_bytes=2 * 1024 * 1024)
    assert refused.value.reason == "too_many_pixels"


def test_a_canvas_within_pils_bound_but_over_ours_is_refused_before_decoding(no_decoding):
    with pytest.raises(uploads.ImageRejected) as refused:
        uploads.read_image(png_declaring(4097, 4096), max_bytes=2 * 1024 * 1024, max_pixels=4096 * 4096)
    assert (refused.value.reason, refused.value.limit) == ("too_many_pixels", 4096 * 4096)


def test_the_pixel_bound_is_inclusive():
    image = uploads.read_image(real_png(64), max_bytes=10_000, max_pixels=64 * 64)
    assert image.size == (64, 64)
    with pytest.raises(uploads.ImageRejected, match="too_many_pixels"):
        uploads.read_image(real_png(64), max_bytes=10_000, max_pixels=64 * 64 - 1)


def test_the_byte_size_comes_first(no_decoding):
    bomb = png_declaring(30000, 30000)
    with pytest.raises(uploads.ImageRejected) as refused:
        uploads.read_image(bomb, max_bytes=len(bomb) - 1)
    assert (refused.value.reason, refused.value.limit) == ("too_large", len(bomb) - 1)


def test_a_file_of_exactly_the_byte_bound_is_read():
    data = real_png(8)
    assert uploads.read_image(data, max_bytes=len(data)).size == (8, 8)


def test_a_truncated_file_is_not_an_image():
    data = real_png(256)
    with pytest.raises(uploads.ImageRejected, match="not_an_image"):
        uploads.read_image(data[: len(data) // 2], max_bytes=1_000_000)


@pytest.mark.parametrize(("data", "reason"), [(b"", "empty"), (b"not an image", "not_an_image"),
                                              (b"\x89PNG\r\n\x1a\n", "not_an_image")])
def test_foreign_files_are_refused(data, reason):
    with pytest.raises(uploads.ImageRejected, match=reason):
        uploads.read_image(data, max_bytes=1_000_000)


def test_formats_and_sides():
    gif = io.BytesIO()
    Image.new("RGB", (32, 32)).save(gif, "GIF")
    with pytest.raises(uploads.ImageRejected, match="format"):
        uploads.read_image(gif.getvalue(), max_bytes=1_000_000, formats=("PNG", "JPEG"))
    with pytest.raises(uploads.ImageRejected, match="too_small"):
        uploads.read_image(real_png(15), max_bytes=1_000_000, min_side=16)
    with pytest.raises(uploads.ImageRejected, match="too_big"):
        uploads.read_image(real_png(65), max_bytes=1_000_000, max_side=64)
    assert uploads.read_image(real_png(16), max_bytes=1_000_000, min_side=16, max_side=16).size == (16, 16)


def test_pils_own_guard_follows_the_platform_bound():
    assert Image.MAX_IMAGE_PIXELS == uploads.MAX_PIXELS


def test_read_upload_reads_one_byte_past_the_bound():
    assert uploads.read_upload(io.BytesIO(b"x" * 100), 10) == b"x" * 11
    assert uploads.read_upload(None, 10) == b""
