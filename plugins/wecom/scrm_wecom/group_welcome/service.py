"""Group welcome templates (spec §2.3, §3.3, §4.3): validation, create / edit / delete through WeCom's
``group_welcome_template`` API, and the tenant-scoped reads.

The attachment is a material of the material centre (a poster becomes an ``image`` with its media id, uploaded
once per account and reused while fresh; a link or article material a ``link``). Attachments typed before the
material centre (an image address or a link) stay readable and are kept on edit until replaced or removed.

Every write goes to WeCom first and is kept here only when WeCom accepted it, so the template and the local row
never disagree. Edits made in WeCom's admin console are not read back (WeCom offers no change notification).
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from scrm.sdk import ChannelAccount, utcnow
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import SecretKind, list_accounts
from ..materials.minilinks import text_error
from .models import GroupWelcomeTemplate

PATH = "/cgi-bin/externalcontact/group_welcome_template"
MAX_TEXT = 1000
MAX_TEMPLATES = 100  # WeCom keeps at most 100 group welcome materials per corp
ATTACHMENT_TYPES = ("image", "link")
#: the material kinds a group welcome attaches: a poster as an image, a link or an article as a link
MATERIAL_KINDS = ("poster", "link", "article")
#: WeCom's group welcome template takes the text and at most one attachment
MAX_MATERIALS = 1
INVALID_TEMPLATE = 40058


class GroupWelcomeError(ValueError):
    """Invalid input; ``fields`` maps form field names to messages."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass
class GroupWelcomeInput:
    account_id: int | None
    text: str
    material_ids: list[int] = field(default_factory=list)
    #: keep the attachment typed before the material centre (edit only, when no material is chosen)
    keep_typed: bool = False
    notify_employees: bool = False


@dataclass(frozen=True)
class GroupWelcomeValues:
    account: ChannelAccount
    text: str
    attachment: dict[str, Any]
    notify_employees: bool


def validate(session: Session, tenant_id: int, data: GroupWelcomeInput, *, creating: bool = True,
             current: GroupWelcomeTemplate | None = None) -> GroupWelcomeValues:
    """Text is required (§3.3), at most one attachment (a poster, link or article material of the tenant, or the
    attachment typed earlier, kept on edit), at most 100 templates per account."""
    errors: dict[str, str] = {}
    accounts = [a for a in list_accounts(session, tenant_id) if a.active]
    if current is not None:
        account = next((a for a in list_accounts(session, tenant_id) if a.id == current.account_id), None)
    else:
        account = next((a for a in accounts if a.id == data.account_id), None)
        if account is None and data.account_id is None and len(accounts) == 1:
            account = accounts[0]
    if account is None:
        errors["account_id"] = str(_l("Choose a WeCom account.") if accounts else _l("Add a WeCom account first."))
    text = (data.text or "").strip()
    if not text:
        errors["text"] = str(_l("Enter the welcome text."))
    elif len(text) > MAX_TEXT:
        errors["text"] = str(_l("At most %(n)s characters.", n=MAX_TEXT))
    elif (malformed := text_error(text)) is not None:  # spec 2.3.1: mini program links in the text
        errors["text"] = malformed
    attachment: dict[str, Any] = {}
    offered = _offered_ids(session, tenant_id, data.material_ids)
    if len(data.material_ids) > MAX_MATERIALS:
        errors["material_ids"] = str(_l("Choose at most one attachment."))
    elif data.material_ids and any(mid not in offered for mid in data.material_ids):
        errors["material_ids"] = str(_l("Choose materials of this brand's material library."))
    elif data.material_ids:
        attachment = _material_attachment(session, tenant_id, data.material_ids[0])
    elif data.keep_typed and current is not None and is_typed(current.attachment):
        attachment = dict(current.attachment)
    if creating and account is not None and count(session, tenant_id, account.id) >= MAX_TEMPLATES:
        errors["limit"] = str(_l("WeCom keeps at most %(n)s group welcome messages per account.", n=MAX_TEMPLATES))
    if errors:
        raise GroupWelcomeError(errors)
    return GroupWelcomeValues(account, text, attachment, bool(data.notify_employees))  # type: ignore[arg-type]


def choices(session: Session, tenant_id: int) -> list[tuple[int, str]]:
    from ..materials.attachments import choices

    return choices(session, tenant_id, kinds=MATERIAL_KINDS)


def _offered_ids(session: Session, tenant_id: int, ids: list[int]) -> set[int]:
    """Those of ``ids`` that are live poster, link or article materials of the tenant."""
    from ..materials.models import Material

    if not ids:
        return set()
    return set(session.exec(select(Material.id).where(
        Material.tenant_id == tenant_id, Material.deleted_at.is_(None), Material.kind.in_(MATERIAL_KINDS),
        Material.owner_employee_id.is_(None), Material.id.in_([int(i) for i in ids]))).all())


def _material_attachment(session: Session, tenant_id: int, material_id: int) -> dict[str, Any]:
    from ..materials.models import POSTER, Material

    material = session.get(Material, int(material_id))
    return {"type": "image" if material.kind == POSTER else "link", "material_id": material.id,
            "title": material.title}


def is_typed(attachment: dict[str, Any] | None) -> bool:
    """An attachment typed before the material centre (an image address or a link, no material)."""
    return bool(attachment) and attachment.get("type") in ATTACHMENT_TYPES and "material_id" not in attachment


def material_ids_of(row: GroupWelcomeTemplate) -> list[int]:
    attachment = row.attachment or {}
    return [int(attachment["material_id"])] if "material_id" in attachment else []


def wecom_body(session: Session, tenant_id: int, values: GroupWelcomeValues | GroupWelcomeTemplate,
               client: Any) -> dict[str, Any]:
    """The ``group_welcome_template`` content: text and the attachment in WeCom's shape (a material's attachment
    made by the material centre, its media uploaded through ``client`` when needed)."""
    body: dict[str, Any] = {"text": {"content": values.text}}
    attachment = values.attachment or {}
    if "material_id" in attachment:
        from ..materials.attachments import wecom_attachments

        [made] = wecom_attachments(session, tenant_id, [int(attachment["material_id"])], client)
        body[made["msgtype"]] = made[made["msgtype"]]
    elif attachment.get("type") == "image":
        body["image"] = {"pic_url": attachment["pic_url"]}
    elif attachment.get("type") == "link":
        link = {"title": attachment["title"], "url": attachment["url"]}
        for key in ("desc", "picurl"):
            if attachment.get(key):
                link[key] = attachment[key]
        body["link"] = link
    return body


def create(session: Session, client: Any, tenant_id: int, values: GroupWelcomeValues,
           created_by: str = "") -> GroupWelcomeTemplate:
    """Register the template in WeCom (``notify`` tells every member when asked), then keep it here; if the local
    insert fails the WeCom template is deleted again. Flushes."""
    body = {**wecom_body(session, tenant_id, values, client), "notify": 1 if values.notify_employees else 0}
    if client.agent_id:
        body["agentid"] = client.agent_id
    template_id = str(client.call(SecretKind.CONTACT, "POST", f"{PATH}/add", json=body)["template_id"])
    try:
        row = GroupWelcomeTemplate(tenant_id=tenant_id, account_id=values.account.id, template_id=template_id,
                                   text=values.text, attachment=values.attachment,
                                   notify_employees=values.notify_employees, created_by=created_by[:200])
        session.add(row)
        session.flush()
    except Exception:
        with suppress(Exception):
            client.call(SecretKind.CONTACT, "POST", f"{PATH}/del", json={"template_id": template_id})
        raise
    return row


def update(session: Session, client: Any, row: GroupWelcomeTemplate, values: GroupWelcomeValues) -> None:
    """Change the template in WeCom, then here. Flushes."""
    body = {"template_id": row.template_id, **wecom_body(session, row.tenant_id, values, client)}
    if client.agent_id:
        body["agentid"] = client.agent_id
    client.call(SecretKind.CONTACT, "POST", f"{PATH}/edit", json=body)
    row.text, row.attachment, row.updated_at = values.text, values.attachment, utcnow()
    session.add(row)
    session.flush()


def remove(session: Session, client: Any, row: GroupWelcomeTemplate) -> None:
    """Delete the template in WeCom (one WeCom no longer knows counts as deleted), then here. Flushes."""
    body: dict[str, Any] = {"template_id": row.template_id}
    if client.agent_id:
        body["agentid"] = client.agent_id
    try:
        client.call(SecretKind.CONTACT, "POST", f"{PATH}/del", json=body)
    except WeChatAPIError as exc:
        if exc.errcode != INVALID_TEMPLATE:
            raise
    session.delete(row)
    session.flush()


# -- reads -------------------------------------------------------------------------------------------------------------


def get(session: Session, tenant_id: int, template_id: int) -> GroupWelcomeTemplate | None:
    return session.exec(select(GroupWelcomeTemplate).where(GroupWelcomeTemplate.id == template_id,
                                                           GroupWelcomeTemplate.tenant_id == tenant_id)).first()


def newest_first(session: Session, tenant_id: int, account_id: int | None = None) -> list[GroupWelcomeTemplate]:
    query = select(GroupWelcomeTemplate).where(GroupWelcomeTemplate.tenant_id == tenant_id)
    if account_id is not None:
        query = query.where(GroupWelcomeTemplate.account_id == account_id)
    return list(session.exec(query.order_by(GroupWelcomeTemplate.created_at.desc(), GroupWelcomeTemplate.id.desc())))


def count(session: Session, tenant_id: int, account_id: int) -> int:
    return len(newest_first(session, tenant_id, account_id))


def kind_of(row: GroupWelcomeTemplate) -> str:
    """``text``, ``text_image`` or ``text_link`` (the list's 类型)."""
    kind = (row.attachment or {}).get("type")
    return f"text_{kind}" if kind in ATTACHMENT_TYPES else "text"
