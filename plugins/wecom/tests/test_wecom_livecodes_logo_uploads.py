"""Logo uploads of live codes refuse decompression bombs and broken files with a 422 and a clear message, before
any pixel is decoded (issue 11, finding 7); a refused upload changes nothing."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from scrm_wecom.livecodes.models import LiveCode
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import fresh


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few hundred bytes whose header declares ``width`` x ``height`` RGB pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\x00" + b"\x00" * width * 3, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def truncated_png() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((300, 300), 60).convert("RGB").save(out, "PNG")
    return out.getvalue()[: len(out.getvalue()) // 2]


@pytest.fixture
def code(db, world, staff):
    data = {"name": "Entrance", "account_id": str(world.account.id), "kind": "1", "skip_verify": "1",
            "employee_ids": [str(world.employees["zhangsan"].id)]}
    assert staff.post("/t/acme/wecom/livecodes/new", data=data).status_code == 302
    fresh(db)
    return db.exec(select(LiveCode).where(LiveCode.tenant_id == world.tenant.id)).one()


CASES = [(png_declaring(30000, 30000), "between 16 and 4096 pixels"),
         (png_declaring(4097, 4097), "between 16 and 4096 pixels"),
         (truncated_png(), "PNG or JPEG"),
         (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "PNG or JPEG")]


@pytest.mark.parametrize(("data", "message"), CASES)
def test_the_code_logo_refuses_bombs_and_broken_files(db, world, staff, code, data, message):
    response = staff.post(f"/t/acme/wecom/livecodes/{code.id}/logo", data={"logo": (io.BytesIO(data), "logo.png")},
                          content_type="multipart/form-data")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    fresh(db)
    assert db.get(LiveCode, code.id).logo is None


@pytest.mark.parametrize(("data", "message"), CASES[:1] + CASES[2:3])
def test_the_account_logo_refuses_bombs_and_broken_files(db, world, staff, code, data, message):
    response = staff.post(f"/t/acme/wecom/livecodes/accounts/{world.account.id}/logo",
                          data={"code_id": str(code.id), "logo": (io.BytesIO(data), "brand.png")},
                          content_type="multipart/form-data")
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_the_refusal_is_translated(db, world, staff, code):
    staff.get("/lang/zh_CN")
    response = staff.post(f"/t/acme/wecom/livecodes/{code.id}/logo",
                          data={"logo": (io.BytesIO(png_declaring(30000, 30000)), "logo.png")},
                          content_type="multipart/form-data")
    assert response.status_code == 422 and "Logo 的边长必须在 16 到 4096 像素之间" in response.get_data(as_text=True)
