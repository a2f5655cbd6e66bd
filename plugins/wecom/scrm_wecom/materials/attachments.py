"""The material centre's public API for other features (mass sends, welcomes, SOP, Moments). Stable signatures.

    from scrm_wecom.materials.attachments import choices, wecom_attachments

    form.material_ids.choices = choices(session, tenant.id, kinds=("poster", "video"))
    body["attachments"] = wecom_attachments(session, tenant.id, [3, 7], client)   # WeCom's attachments JSON

In templates: ``{% from "wecom/materials/_picker.html" import material_picker %}`` then
``{{ material_picker("material_ids", choices, selected) }}`` (a multi-select of the choices, with its label).

Each material becomes one attachment of ``add_msg_template`` / ``send_welcome_msg``: a poster an ``image`` (uploaded
as temporary media, the media id cached per account for its 3 days), a file a ``file``, a video a ``video``, a link
a ``link`` to its page, an article a ``link`` to its page here (untracked: one task goes to many customers; tracked
sends are the sidebar's), a mini program a ``miniprogram`` with its cover uploaded as ``pic_media_id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlmodel import Session, select

from .files import file_of
from .media import media_id
from .models import COVER_ROLE, FILE, FILE_ROLE, KINDS, LINK, MINIPROGRAM, POSTER, VIDEO, Material
from .urls import file_url, preview_url


class AttachmentError(ValueError):
    """A material that cannot be sent: unknown to the tenant, deleted or missing its file (``material_id``)."""

    def __init__(self, material_id: int, reason: str) -> None:
        super().__init__(f"material {material_id}: {reason}")
        self.material_id, self.reason = material_id, reason


def choices(session: Session, tenant_id: int, kinds: Iterable[str] | None = None) -> list[tuple[int, str]]:
    """The materials a form may offer, newest first: ``[(id, "title (kind)")]`` of the tenant's live enterprise and
    team materials (never an employee's personal one), of ``kinds`` only when given (``models.KINDS``)."""
    wanted = tuple(kinds) if kinds is not None else KINDS
    from .labels import KIND_LABELS

    rows = session.exec(select(Material.id, Material.title, Material.kind)
                        .where(Material.tenant_id == tenant_id, Material.deleted_at.is_(None),
                               Material.owner_employee_id.is_(None), Material.kind.in_(wanted))
                        .order_by(Material.id.desc())).all()
    return [(mid, f"{title} ({KIND_LABELS[kind]})")
            for mid, title, kind in rows]


def _material(session: Session, tenant_id: int, material_id: int) -> Material:
    material = session.get(Material, int(material_id))
    if material is None or material.tenant_id != tenant_id or material.owner_employee_id is not None:
        raise AttachmentError(material_id, "unknown")
    if material.deleted_at is not None:
        raise AttachmentError(material_id, "deleted")
    return material


def _media(session: Session, client: Any, material: Material, role: str, media_type: str) -> str:
    file = file_of(session, material.id, role)
    if file is None:
        raise AttachmentError(material.id, f"no {role}")
    return media_id(session, client, file, media_type)


def attachment(session: Session, tenant_id: int, material_id: int, client: Any) -> dict[str, Any]:
    """WeCom's attachment JSON of one material (see the module's description)."""
    material = _material(session, tenant_id, material_id)
    account_id = getattr(client, "account_id", None)
    kind = material.kind
    if kind == POSTER:
        return {"msgtype": "image", "image": {"media_id": _media(session, client, material, FILE_ROLE, "image")}}
    if kind == FILE:
        return {"msgtype": "file", "file": {"media_id": _media(session, client, material, FILE_ROLE, "file")}}
    if kind == VIDEO:
        return {"msgtype": "video", "video": {"media_id": _media(session, client, material, FILE_ROLE, "video")}}
    if kind == MINIPROGRAM:
        return {"msgtype": "miniprogram", "miniprogram": {
            "title": material.title, "appid": material.appid, "page": material.page,
            "pic_media_id": _media(session, client, material, COVER_ROLE, "image")}}
    link: dict[str, Any] = {"title": material.title,
                            "url": material.url if kind == LINK else preview_url(session, material, account_id)}
    cover = file_of(session, material.id, COVER_ROLE)
    if cover is not None:
        link["picurl"] = file_url(session, material, COVER_ROLE, cover.sha256, account_id)
    if material.summary:
        link["desc"] = material.summary
    return {"msgtype": "link", "link": link}


def wecom_attachments(session: Session, tenant_id: int, material_ids: Sequence[int], client: Any
                      ) -> list[dict[str, Any]]:
    """WeCom's ``attachments`` JSON for ``material_ids``, in their order (media uploaded through ``client``, a
    ``WeComClient`` of the sending account, and recorded in the caller's transaction). ``AttachmentError`` for a
    material not of the tenant, deleted, or without its file; ``WeChatAPIError`` when an upload is refused."""
    return [attachment(session, tenant_id, mid, client) for mid in material_ids]


__all__ = ["AttachmentError", "attachment", "choices", "wecom_attachments"]
