"""Helpers of the materials and auto-reply tests: a tenant with the plugin and an account on the sandbox, staff on a
CSRF-checking client, and small valid files of each material type."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from oa_fixtures import *  # noqa: F403
from PIL import Image

PNG_SIZE = 64


def png(color=(200, 30, 60), size: int = PNG_SIZE, pad_to: int | None = None) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), color).save(out, "PNG")
    data = out.getvalue()
    if pad_to is not None:  # bytes after IEND: still a valid PNG, of exactly ``pad_to`` bytes
        data += b"\0" * (pad_to - len(data))
    return data


def mp3(size: int = 4096) -> bytes:
    return (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" * 4).ljust(size, b"\0")


def mp4(size: int = 4096) -> bytes:
    return (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41").ljust(size, b"\0")


def wav(seconds: float, rate: int = 8000) -> bytes:
    import struct

    frames = int(seconds * rate)
    data = b"\0" * frames
    return (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate,
                                                                                      1, 8)
            + b"data" + struct.pack("<I", len(data)) + data)


@dataclass
class OAWorld:
    tenant: Any
    account: Any
    control: Any
    staff: Any
    base: str

    def calls(self, path: str) -> list[dict]:
        """The sandbox's log of calls to ``path``."""
        return self.control.http.get("/sandbox/calls", params={"path": path}).json()["calls"]

    def fail(self, path: str, *errcodes: int) -> None:
        """The next calls to ``path`` answer ``errcodes``."""
        assert self.control.http.post("/sandbox/fail", json={"path": path, "errcodes": list(errcodes)}).status_code == 200

    def url(self, path: str) -> str:
        return f"/t/{self.tenant.slug}/official_account{path}"

    def upload(self, kind: str, data: bytes, name: str, **fields):
        return self.staff.post(self.url("/materials/upload"),
                               data={"account_id": str(self.account.id), "kind": kind,
                                     "file": (io.BytesIO(data), name), **fields},
                               content_type="multipart/form-data")


@pytest.fixture
def oa_world(tenant, enable_plugins, oa_sandbox, make_oa_account, oa_admin) -> OAWorld:
    base, control = oa_sandbox
    enable_plugins(tenant, "official_account")
    account = make_oa_account(tenant, api_base=base)
    staff = oa_admin(tenant, role="operator")
    return OAWorld(tenant, account, control, staff, base)


@pytest.fixture
def other_staff(app, make_user):
    """``other_staff(tenant, email)``: a second signed-in user on a client of its own (CSRF on)."""
    from oa_fixtures import CsrfClient

    from scrm.sdk.testing import ADMIN_PASSWORD

    def make(tenant, email: str, role: str = "tenant_admin"):
        make_user(email, tenant, role=role)
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        enabled = app.config["WTF_CSRF_ENABLED"]
        app.config["WTF_CSRF_ENABLED"] = False
        try:
            assert client.post("/login", data={"email": email, "password": ADMIN_PASSWORD}).status_code == 302
        finally:
            app.config["WTF_CSRF_ENABLED"] = enabled
        return CsrfClient(client, home=f"/t/{tenant.slug}/")

    return make


def fresh(db) -> None:
    db.rollback()
    db.expire_all()


__all__ = ["OAWorld", "fresh", "other_staff", "mp3", "mp4", "oa_world", "png", "wav"]
