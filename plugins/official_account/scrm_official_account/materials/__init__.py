"""Materials (素材管理): news, image, voice and video materials of an account, reused by replies, menus, mass sends
and messages. The public API of this area (other areas of the plugin import only these names):

* ``get_material(session, tenant_id, account_id, material_id) -> MaterialView | None``: a material of that
  account (kind, name, WeChat media id and URL, video title, news articles with their covers), read now, so the
  latest edit of a news material is what a later reply, menu push or mass send uses;
* ``set_references(session, tenant_id, referrer_type, referrer_id, material_ids, label="")``: declare which
  materials one referrer (``"auto_reply"``, ``"menu_item"``, ``"mass_send"``, ``"message"``) uses; ``[]`` when it is
  deleted or changed to text. A material with a reference cannot be deleted (``MaterialInUse``, MATERIAL_IN_USE);
* ``picker_choices(session, tenant_id, account_id, kinds)``: the materials a picker offers, newest first; the
  template partial ``official_account/materials/_picker.html`` renders them (``material_picker(...)`` macro).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from .models import IMAGE, KINDS, NEWS, VIDEO, VOICE, Material
from .service import MaterialError, MaterialInUse, MaterialView, set_references, view_of


def get_material(session: Session, tenant_id: int, account_id: int, material_id: int) -> MaterialView | None:
    material = session.exec(select(Material).options(defer(Material.data)).where(
        Material.id == material_id, Material.tenant_id == tenant_id, Material.account_id == account_id)).first()
    return view_of(session, material) if material is not None else None


def picker_choices(session: Session, tenant_id: int, account_id: int,
                   kinds: tuple[str, ...] | list[str] = KINDS, limit: int = 200) -> dict[str, list[dict[str, Any]]]:
    """``{kind: [{"id", "name", "kind", "url"}]}`` of the account's materials of ``kinds``, newest first."""
    out: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    rows = session.exec(select(Material.id, Material.name, Material.kind, Material.url).where(
        Material.tenant_id == tenant_id, Material.account_id == account_id, col(Material.kind).in_(list(kinds)))
        .order_by(col(Material.id).desc()).limit(limit * max(1, len(kinds))))
    for row in rows:
        if len(out[row.kind]) < limit:
            out[row.kind].append({"id": row.id, "name": row.name, "kind": row.kind, "url": row.url})
    return out


__all__ = ["IMAGE", "KINDS", "NEWS", "VIDEO", "VOICE", "MaterialError", "MaterialInUse", "MaterialView",
           "get_material", "picker_choices", "set_references"]
