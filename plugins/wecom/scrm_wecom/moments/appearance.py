"""The look of the Moments pages (spec §2.1.1, §2.1.3, §4.1 rules 4 and 5): a background wall and a signature.

The brand's settings (``MomentsSettings``) hold the unified background and signature and the two switches of this
module's callers: ``unify_background`` (every page shows the brand's background and signature and employees cannot
change theirs) and ``mobile_publish`` (employees publish and delete their own posts from the phone). Each
employee's page (``MomentsPage``) holds the employee's own background and signature, shown while the brand does not
unify them. A page with neither shows the default look (a plain wall, no signature).

A background is a PNG or JPG image of at most 2 MB (recommended 720×560), checked through the material centre's
cover check (``scrm.sdk.uploads``: byte size, format and declared dimensions before a pixel is decoded).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from scrm.sdk import utcnow

from ..materials import files
from .autosync import settings_of
from .models import MomentsPage, MomentsSettings

BACKGROUND_MAX = files.COVER_MAX  # 2 MB
RECOMMENDED_SIZE = (720, 560)  # spec §2.1.1 / §4.1 rule 4
MAX_SIGNATURE = 100
BRAND, OWN, DEFAULT = "brand", "own", "default"


class AppearanceError(ValueError):
    """Invalid settings or look; ``fields`` maps form field names to messages."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class Unified(PermissionError):
    """The brand unifies the background and signature: an employee cannot change theirs (spec §4.1 rule 5)."""

    message = _l("Your brand uses one background and signature on every Moments page: they cannot be changed here.")


class PublishingOff(PermissionError):
    """The brand has not turned on mobile publishing (spec §4.1 rule 6)."""

    message = _l("Your brand has not turned on publishing from the phone: you cannot publish or delete Moments.")


@dataclass(frozen=True)
class BrandInput:
    """What the settings form submits: the switches, the signature and a checked background (None: keep)."""

    unify_background: bool
    signature: str
    mobile_publish: bool
    background: files.CheckedFile | None = None
    remove_background: bool = False


@dataclass(frozen=True)
class Look:
    """What a page shows: where its background comes from (brand / own / default), its version (ETag) and the
    signature."""

    source: str
    signature: str
    version: str = ""  # the background's ETag ("" without a background)

    @property
    def has_background(self) -> bool:
        return bool(self.version)


def version_of(data: bytes | None) -> str:
    return hashlib.sha256(data).hexdigest()[:32] if data else ""


def check_background(data: bytes, name: str = "background") -> files.CheckedFile:
    """The checked background image, or :class:`AppearanceError` on ``background``."""
    try:
        return files.check_cover(data, name)
    except files.FileRejected as exc:
        raise AppearanceError({"background": exc.message}) from exc


def _signature(raw: str, errors: dict[str, str]) -> str:
    signature = " ".join((raw or "").split())
    if len(signature) > MAX_SIGNATURE:
        errors["signature"] = str(_l("At most %(n)s characters.", n=MAX_SIGNATURE))
    return signature


def brand_settings(session: Session, tenant_id: int) -> MomentsSettings:
    """The brand's settings row (unsaved defaults when it has none)."""
    return settings_of(session, tenant_id) or MomentsSettings(tenant_id=tenant_id)


def unified(session: Session, tenant_id: int) -> bool:
    row = settings_of(session, tenant_id)
    return bool(row and row.unify_background)


def mobile_publish_on(session: Session, tenant_id: int) -> bool:
    row = settings_of(session, tenant_id)
    return bool(row and row.mobile_publish)


def save_brand(session: Session, tenant_id: int, data: BrandInput) -> MomentsSettings:
    """Store the brand's look and switches; :class:`AppearanceError` with every problem, nothing changed. With
    unify on, a background (kept or new) and a signature are required (spec §3.1)."""
    errors: dict[str, str] = {}
    row = brand_settings(session, tenant_id)
    signature = _signature(data.signature, errors)
    keeps = row.background is not None and not data.remove_background
    if data.unify_background and data.background is None and not keeps:
        errors["background"] = str(_l("Upload the background every page shows."))
    if data.unify_background and not signature:
        errors["signature"] = errors.get("signature") or str(_l("Enter the signature every page shows."))
    if errors:
        raise AppearanceError(errors)
    if data.background is not None:
        row.background, row.background_mime = data.background.data, data.background.mime
    elif data.remove_background:
        row.background, row.background_mime = None, ""
    row.unify_background, row.signature, row.mobile_publish = data.unify_background, signature, data.mobile_publish
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def save_own(session: Session, page: MomentsPage, *, signature: str, background: files.CheckedFile | None = None,
             remove_background: bool = False) -> MomentsPage:
    """Store an employee's own background and signature: :class:`Unified` while the brand unifies them,
    :class:`AppearanceError` for a signature past 100 characters; nothing changed on either."""
    if unified(session, page.tenant_id):
        raise Unified()
    errors: dict[str, str] = {}
    text = _signature(signature, errors)
    if errors:
        raise AppearanceError(errors)
    if background is not None:
        page.background, page.background_mime = background.data, background.mime
    elif remove_background:
        page.background, page.background_mime = None, ""
    page.signature = text
    session.add(page)
    session.flush()
    return page


def look_of(session: Session, page: MomentsPage) -> Look:
    """What ``page`` shows: the brand's background and signature when unified, else the employee's own, else the
    default look."""
    row = settings_of(session, page.tenant_id)
    if row is not None and row.unify_background:
        return Look(BRAND, row.signature, version_of(row.background))
    if page.background is not None or page.signature:
        return Look(OWN, page.signature, version_of(page.background))
    return Look(DEFAULT, "")


def background_of(session: Session, page: MomentsPage) -> tuple[bytes, str] | None:
    """The background image ``page`` shows (bytes, MIME type), or None."""
    row = settings_of(session, page.tenant_id)
    if row is not None and row.unify_background:
        return (row.background, row.background_mime) if row.background else None
    return (page.background, page.background_mime) if page.background else None
