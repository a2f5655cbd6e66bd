"""Checks of an uploaded material file before anything decodes it, and the file rows.

Limits are WeCom's for temporary media (``media/upload``): an image (JPG/PNG) at most 10 MB, a video (MP4) at most
10 MB, a file at most 20 MB; every file more than 5 bytes. Images go through ``scrm.sdk.uploads`` (size, format and
declared dimensions before a pixel is decoded); a PDF must start with ``%PDF-``, an MP4 carry an ``ftyp`` box.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from scrm.sdk import uploads

from .models import FILE, POSTER, VIDEO, MaterialFile

IMAGE_MAX = 10 * 1024 * 1024
VIDEO_MAX = 10 * 1024 * 1024
FILE_MAX = 20 * 1024 * 1024
MIN_BYTES = 6
COVER_MAX = 2 * 1024 * 1024  # a cover (link picture, mini program cover) is an image WeCom shows small
IMAGE_FORMATS = ("PNG", "JPEG")
MAX_SIDE = 8000

MESSAGES = {
    "empty": _l("Choose a file to upload."),
    "too_large": _l("The file is too large (at most %(mb)s MB)."),
    "too_small": _l("The file is too small to be a real file."),
    "not_an_image": _l("The file is not a PNG or JPG image."),
    "format": _l("The file is not a PNG or JPG image."),
    "too_many_pixels": _l("The image has too many pixels."),
    "too_big": _l("The image is too large (at most %(side)s pixels on a side)."),
    "not_pdf": _l("The file is not a PDF."),
    "not_mp4": _l("The file is not an MP4 video."),
}


class FileRejected(ValueError):
    """An upload refused before decoding; ``message`` is translated for the form."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.message = str(MESSAGES[code]) % params if params else str(MESSAGES[code])


@dataclass(frozen=True)
class CheckedFile:
    data: bytes
    mime: str
    name: str


def _image(data: bytes, name: str, max_bytes: int) -> CheckedFile:
    try:
        image = uploads.read_image(data, max_bytes=max_bytes, max_side=MAX_SIDE, formats=IMAGE_FORMATS)
    except uploads.ImageRejected as exc:
        if exc.reason == "too_large":
            raise FileRejected("too_large", mb=max_bytes // (1024 * 1024)) from exc
        if exc.reason == "too_big":
            raise FileRejected("too_big", side=MAX_SIDE) from exc
        raise FileRejected(exc.reason if exc.reason in MESSAGES else "not_an_image") from exc
    return CheckedFile(data, "image/png" if image.format == "PNG" else "image/jpeg", name)


def check_upload(kind: str, data: bytes, name: str) -> CheckedFile:
    """The checked file of a material of ``kind`` (poster, file, video), or ``FileRejected``."""
    limit = {POSTER: IMAGE_MAX, VIDEO: VIDEO_MAX, FILE: FILE_MAX}[kind]
    if not data:
        raise FileRejected("empty")
    if len(data) > limit:
        raise FileRejected("too_large", mb=limit // (1024 * 1024))
    if len(data) < MIN_BYTES:
        raise FileRejected("too_small")
    if kind == POSTER:
        return _image(data, name, limit)
    if kind == FILE:
        if not data.startswith(b"%PDF-"):
            raise FileRejected("not_pdf")
        return CheckedFile(data, "application/pdf", name)
    if data[4:8] != b"ftyp":
        raise FileRejected("not_mp4")
    return CheckedFile(data, "video/mp4", name)


def check_cover(data: bytes, name: str) -> CheckedFile:
    """A cover image (PNG/JPG, at most 2 MB), or ``FileRejected``."""
    if not data:
        raise FileRejected("empty")
    if len(data) > COVER_MAX:
        raise FileRejected("too_large", mb=COVER_MAX // (1024 * 1024))
    return _image(data, name, COVER_MAX)


def store(session: Session, tenant_id: int, material_id: int, role: str, checked: CheckedFile) -> MaterialFile:
    """Keep ``checked`` as the material's file of ``role`` (replacing the previous one)."""
    row = session.exec(select(MaterialFile).where(MaterialFile.material_id == material_id,
                                                  MaterialFile.role == role)).first()
    if row is None:
        row = MaterialFile(tenant_id=tenant_id, material_id=material_id, role=role, mime=checked.mime,
                           sha256="", data=b"")
    row.mime, row.name, row.size = checked.mime, checked.name[:200], len(checked.data)
    row.data, row.sha256 = checked.data, hashlib.sha256(checked.data).hexdigest()
    session.add(row)
    return row


def file_of(session: Session, material_id: int, role: str) -> MaterialFile | None:
    return session.exec(select(MaterialFile).where(MaterialFile.material_id == material_id,
                                                   MaterialFile.role == role)).first()
