"""Creating, editing and deleting materials and groups: the one gate of their rules (spec 3.1, 3.3, 3.6, 4.1).

``save_material`` validates everything first and changes nothing when a rule is broken (``Invalid`` with one message
per form field); files arrive already checked (:mod:`.files`).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlparse

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from scrm.sdk import Department, Tag, utcnow

from . import files, minilinks
from .models import (
    ARTICLE,
    COVER_ROLE,
    FILE,
    FILE_ROLE,
    KINDS,
    LINK,
    MATERIAL,
    MINIPROGRAM,
    PERSONAL,
    PERSONAL_KINDS,
    POSTER,
    SCOPES,
    TEAM,
    VIDEO,
    ContentGroup,
    Material,
)
from .scope import default_group

TITLE_MAX = 20  # spec 4.1: a material title is at most 20 characters
GROUP_NAME_MAX = 20
SUMMARY_MAX = 120
BODY_MAX = 5000
URL_MAX = 1000
PAGE_MAX = 256
APPID_RE = re.compile(r"^wx[0-9a-f]{16}$")
FILE_KINDS = (POSTER, FILE, VIDEO)


class Invalid(ValueError):
    """Broken rules: ``errors`` maps a form field to its message (a lazy string)."""

    def __init__(self, errors: dict[str, object]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class MaterialValues:
    kind: str
    title: str
    group_id: int | None = None
    summary: str = ""
    url: str = ""
    body: str = ""
    appid: str = ""
    page: str = ""
    text_link: str = ""
    tag_ids: list[int] = field(default_factory=list)
    file: files.CheckedFile | None = None
    cover: files.CheckedFile | None = None


def is_http_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def group_of(session: Session, tenant_id: int, library: str, group_id: int | None) -> ContentGroup | None:
    if group_id is None:
        return None
    group = session.get(ContentGroup, group_id)
    if group is None or group.tenant_id != tenant_id or group.library != library:
        return None
    return group


def _check(session: Session, tenant_id: int, scope: str, v: MaterialValues, material: Material | None
           ) -> tuple[dict[str, object], ContentGroup | None]:
    errors: dict[str, object] = {}
    if scope not in SCOPES and scope != PERSONAL:
        errors["scope"] = _l("Choose enterprise or team.")
    title = v.title.strip()
    if not title:
        errors["title"] = _l("Enter a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _l("A title is at most %(n)s characters.", n=TITLE_MAX)
    group = None
    if v.group_id is not None:
        group = group_of(session, tenant_id, MATERIAL, v.group_id)
        if group is None or group.scope != scope:
            errors["group_id"] = _l("Choose a group of this tab.")
    if v.kind not in KINDS:
        errors["kind"] = _l("Choose a material type.")
    if len(v.summary) > SUMMARY_MAX:
        errors["summary"] = _l("A summary is at most %(n)s characters.", n=SUMMARY_MAX)
    if v.kind == LINK and not (v.url and len(v.url) <= URL_MAX and is_http_url(v.url)):
        errors["url"] = _l("Enter the page's address (http:// or https://).")
    if v.kind == ARTICLE:
        if not v.body.strip():
            errors["body"] = _l("Write the article.")
        elif len(v.body) > BODY_MAX:
            errors["body"] = _l("An article is at most %(n)s characters.", n=BODY_MAX)
        if v.url and not (len(v.url) <= URL_MAX and is_http_url(v.url)):
            errors["url"] = _l("Enter the page's address (http:// or https://).")
    if v.kind in FILE_KINDS and v.file is None and (material is None or material.kind != v.kind):
        errors["file"] = _l("Upload the file.")
    if v.kind == MINIPROGRAM:
        if not APPID_RE.match(v.appid):
            errors["appid"] = _l("A mini program AppID is wx followed by 16 letters or digits.")
        if not v.page.strip() or len(v.page) > PAGE_MAX:
            errors["page"] = _l("Enter the mini program page (at most %(n)s characters).", n=PAGE_MAX)
        elif not v.page.split("?")[0].endswith(".html"):  # WeCom refuses a page path without it (40058)
            errors["page"] = _l("A mini program page path ends in .html, e.g. pages/index/index.html.")
        if v.cover is None and (material is None or material.kind != MINIPROGRAM):
            errors["cover"] = _l("A mini program needs a cover image.")
        if v.text_link.strip() and not minilinks.is_link(v.text_link.strip()):
            errors["text_link"] = minilinks.MALFORMED % {"fragment": v.text_link.strip()[:40]}
    if v.tag_ids:
        found = set(session.exec(select(Tag.id).where(Tag.tenant_id == tenant_id, Tag.id.in_(v.tag_ids))).all())
        if found != set(v.tag_ids):
            errors["tag_ids"] = _l("Choose tags of this brand.")
    return errors, group


def save_material(session: Session, tenant_id: int, scope: str, v: MaterialValues, created_by: str,
                  material: Material | None = None) -> Material:
    """Create (or update ``material``) in the caller's transaction; ``Invalid`` and nothing changed otherwise. No
    group: the tab's 默认分组."""
    if scope == PERSONAL:
        raise Invalid({"scope": _l("Choose enterprise or team.")})
    return _save(session, tenant_id, scope, v, created_by, material)


def save_personal(session: Session, tenant_id: int, employee_id: int, v: MaterialValues, created_by: str,
                  material: Material | None = None) -> Material:
    """An employee's own material (个人素材, added in the sidebar): a link or a poster, in the tenant's personal
    默认分组 (no groups of their own), owned by ``employee_id``; ``Invalid`` and nothing changed otherwise."""
    if v.kind not in PERSONAL_KINDS:
        raise Invalid({"kind": _l("Choose a link or a poster.")})
    v.group_id, v.tag_ids = None, []
    saved = _save(session, tenant_id, PERSONAL, v, created_by, material)
    saved.owner_employee_id = employee_id
    session.add(saved)
    session.flush()
    return saved


def _save(session: Session, tenant_id: int, scope: str, v: MaterialValues, created_by: str,
          material: Material | None) -> Material:
    errors, group = _check(session, tenant_id, scope, v, material)
    if errors:
        raise Invalid(errors)
    group = group or default_group(session, tenant_id, MATERIAL, scope)
    if material is None:
        material = Material(tenant_id=tenant_id, group_id=group.id, scope=scope, kind=v.kind, title="",
                            token=secrets.token_urlsafe(16), created_by=created_by)
    material.group_id, material.scope, material.kind = group.id, scope, v.kind
    material.title, material.summary = v.title.strip(), v.summary.strip()
    material.url = v.url.strip() if v.kind in (LINK, ARTICLE) else ""
    material.body = v.body if v.kind == ARTICLE else ""
    material.appid, material.page = (v.appid, v.page.strip()) if v.kind == MINIPROGRAM else ("", "")
    material.text_link = v.text_link.strip() if v.kind == MINIPROGRAM else ""
    material.track_tag_ids = sorted(set(v.tag_ids))
    material.updated_at = utcnow()
    if v.file is not None and v.kind in FILE_KINDS:
        material.file_name = v.file.name[:200]
    session.add(material)
    session.flush()
    if v.file is not None and v.kind in FILE_KINDS:
        files.store(session, tenant_id, material.id, FILE_ROLE, v.file)
    if v.cover is not None:
        files.store(session, tenant_id, material.id, COVER_ROLE, v.cover)
    return material


def delete_material(material: Material) -> None:
    """Remove from lists and the sidebar; links already sent answer that the material is gone (nothing recorded)."""
    material.deleted_at = utcnow()


def save_group(session: Session, tenant_id: int, library: str, scope: str, name: str, department_ids: list[int],
               group: ContentGroup | None = None) -> ContentGroup:
    """A group of ``library`` in ``scope`` (spec 3.1): a name; a team group needs at least one department."""
    errors: dict[str, object] = {}
    name = name.strip()
    if not name:
        errors["name"] = _l("Enter the group's name.")
    elif len(name) > GROUP_NAME_MAX:
        errors["name"] = _l("A group name is at most %(n)s characters.", n=GROUP_NAME_MAX)
    if scope not in SCOPES:
        errors["scope"] = _l("Choose enterprise or team.")
    departments = sorted(set(department_ids))
    if scope == TEAM:
        found = set(session.exec(select(Department.id).where(Department.tenant_id == tenant_id,
                                                             Department.id.in_(departments))).all())
        if not departments:
            errors["department_ids"] = _l("A team group needs at least one department.")
        elif found != set(departments):
            errors["department_ids"] = _l("Choose departments of this brand.")
    if errors:
        raise Invalid(errors)
    if group is None:
        group = ContentGroup(tenant_id=tenant_id, library=library, scope=scope, name=name)
    group.name = name
    group.department_ids = departments if scope == TEAM else []
    session.add(group)
    session.flush()
    return group


def delete_group(session: Session, group: ContentGroup) -> int:
    """Delete a group (never a 默认分组): its materials or scripts move to the default group of the tab; returns
    how many moved."""
    from .models import Script

    if group.is_default:
        raise Invalid({"group": _l("The default group cannot be deleted.")})
    default = default_group(session, group.tenant_id, group.library, group.scope)
    model = Material if group.library == MATERIAL else Script
    rows = session.exec(select(model).where(model.tenant_id == group.tenant_id, model.group_id == group.id)).all()
    for row in rows:
        row.group_id = default.id
        session.add(row)
    session.flush()
    session.delete(group)
    return len(rows)
