"""Scripts (话术, spec 2.6, 2.7, 3.8): a title (≤ 200 characters) and one or more content items in order, each a text
(≤ 1300 characters) or a material of the item's type; and the XLSX import (text only, bad rows reported, nothing
imported while one row is bad).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, delete, select

from scrm.sdk import tabular, utcnow

from .models import (
    CONTENT_MATERIAL_KINDS,
    CONTENT_TYPES,
    ENTERPRISE,
    SCOPES,
    SCRIPT,
    TEXT,
    Material,
    Script,
    ScriptContent,
)
from .scope import default_group
from .service import Invalid, group_of

TITLE_MAX = 200  # spec 4.1
TEXT_MAX = 1300  # spec 4.1
CONTENTS_MAX = 20  # no maximum in the manual; its example holds 12 items
IMPORT_MAX_ROWS = 2000
IMPORT_MAX_BYTES = 2 * 1024 * 1024
#: the import template's columns (row 1): group, title, text
TEMPLATE_TITLES = ("分组", "标题", "内容")


@dataclass
class Item:
    type: str
    text: str = ""
    material_id: int | None = None


@dataclass
class ScriptValues:
    title: str
    group_id: int | None = None
    items: list[Item] = field(default_factory=list)


def _check(session: Session, tenant_id: int, scope: str, v: ScriptValues) -> dict[str, object]:
    errors: dict[str, object] = {}
    title = v.title.strip()
    if not title:
        errors["title"] = _l("Enter a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _l("A title is at most %(n)s characters.", n=TITLE_MAX)
    if v.group_id is not None:
        group = group_of(session, tenant_id, SCRIPT, v.group_id)
        if group is None or group.scope != scope:
            errors["group_id"] = _l("Choose a group of this tab.")
    if not v.items:
        errors["items"] = _l("Add at least one content item.")
    elif len(v.items) > CONTENTS_MAX:
        errors["items"] = _l("At most %(n)s content items.", n=CONTENTS_MAX)
    for index, item in enumerate(v.items):
        key = f"item-{index}"
        if item.type not in CONTENT_TYPES:
            errors[key] = _l("Choose the type of this item.")
        elif item.type == TEXT:
            if not item.text.strip():
                errors[key] = _l("Write the text of this item.")
            elif len(item.text) > TEXT_MAX:
                errors[key] = _l("A text item is at most %(n)s characters.", n=TEXT_MAX)
        else:
            material = session.get(Material, item.material_id) if item.material_id else None
            if material is None or material.tenant_id != tenant_id or material.deleted_at is not None \
                    or material.owner_employee_id is not None or material.kind not in CONTENT_MATERIAL_KINDS[item.type]:
                errors[key] = _l("Choose a material of this type.")
    return errors


def save_script(session: Session, tenant_id: int, scope: str, v: ScriptValues, created_by: str,
                script: Script | None = None) -> Script:
    """Create (or update ``script``) with its items in order; ``Invalid`` and nothing changed otherwise."""
    if scope not in SCOPES:
        raise Invalid({"scope": _l("Choose enterprise or team.")})
    errors = _check(session, tenant_id, scope, v)
    if errors:
        raise Invalid(errors)
    group = group_of(session, tenant_id, SCRIPT, v.group_id) if v.group_id else None
    group = group or default_group(session, tenant_id, SCRIPT, scope)
    if script is None:
        script = Script(tenant_id=tenant_id, group_id=group.id, scope=scope, title="", created_by=created_by)
    script.group_id, script.scope, script.title, script.updated_at = group.id, scope, v.title.strip(), utcnow()
    session.add(script)
    session.flush()
    session.exec(delete(ScriptContent).where(ScriptContent.script_id == script.id))
    for seq, item in enumerate(v.items):
        session.add(ScriptContent(tenant_id=tenant_id, script_id=script.id, seq=seq, type=item.type,
                                  text=item.text if item.type == TEXT else "",
                                  material_id=None if item.type == TEXT else item.material_id))
    session.flush()
    return script


def contents(session: Session, script_ids: list[int]) -> dict[int, list[ScriptContent]]:
    out: dict[int, list[ScriptContent]] = {i: [] for i in script_ids}
    if script_ids:
        for row in session.exec(select(ScriptContent).where(ScriptContent.script_id.in_(script_ids))
                                .order_by(ScriptContent.script_id, ScriptContent.seq)):
            out[row.script_id].append(row)
    return out


# -- import --------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    row: int  # the sheet's row number (1 is the title row)
    message: str


class ImportFailed(ValueError):
    """The file was refused: ``errors`` per row (or row 0 for the whole file); nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def template_rows() -> list[list[str]]:
    return [list(TEMPLATE_TITLES), ["新品推荐", "秋冬新品介绍", "您好，秋冬新品已到店，会员专享9折，欢迎到店试穿～"],
            ["", "售后咨询", "您好，请提供订单号，我马上为您查询。"]]


def import_scripts(session: Session, tenant_id: int, content: bytes, created_by: str) -> int:
    """Import the scripts of an XLSX file (spec 3.8): one text script per row (group, title, text); a row without a
    group goes to the enterprise 默认分组; a group that does not exist is created, usable by all employees
    (enterprise scope). Every row is checked first: with any bad row ``ImportFailed`` lists them all and nothing is
    written. Returns the number of scripts imported."""
    if len(content) > IMPORT_MAX_BYTES:
        raise ImportFailed([RowError(0, str(_l("The file is larger than 2 MB.")))])
    try:
        rows = list(tabular.xlsx_rows(content, max_rows=IMPORT_MAX_ROWS + 1, max_columns=10))
    except tabular.SheetTooLarge:
        raise ImportFailed([RowError(0, str(_l("At most %(n)s rows per file.", n=IMPORT_MAX_ROWS)))]) from None
    except tabular.SheetUnreadable:
        raise ImportFailed([RowError(0, str(_l("The file is not an Excel workbook (.xlsx).")))]) from None
    if not rows or [str(c or "").strip() for c in rows[0][:3]] != list(TEMPLATE_TITLES):
        raise ImportFailed([RowError(1, str(_l("The first row must be the template's titles: %(titles)s",
                                                titles=" / ".join(TEMPLATE_TITLES))))])
    errors: list[RowError] = []
    parsed: list[tuple[str, str, str]] = []
    for number, row in enumerate(rows[1:], 2):
        cells = [("" if c is None else str(c)).strip() for c in row]
        if not any(cells):
            continue
        if len(cells) > 3 and any(cells[3:]):
            errors.append(RowError(number, str(_l("Only text content can be imported (one text per row)."))))
            continue
        cells += [""] * (3 - len(cells))
        group, title, text = cells[:3]
        if not title:
            errors.append(RowError(number, str(_l("Enter a title."))))
        elif len(title) > TITLE_MAX:
            errors.append(RowError(number, str(_l("A title is at most %(n)s characters.", n=TITLE_MAX))))
        elif not text:
            errors.append(RowError(number, str(_l("Write the text of this item."))))
        elif len(text) > TEXT_MAX:
            errors.append(RowError(number, str(_l("A text item is at most %(n)s characters.", n=TEXT_MAX))))
        elif len(group) > 20:
            errors.append(RowError(number, str(_l("A group name is at most %(n)s characters.", n=20))))
        else:
            parsed.append((group, title, text))
    if errors:
        raise ImportFailed(errors)
    if not parsed:
        raise ImportFailed([RowError(0, str(_l("The file holds no scripts.")))])
    from .models import ContentGroup

    groups: dict[str, int] = {}
    for name, title, text in parsed:
        if name not in groups:
            if not name:
                groups[name] = default_group(session, tenant_id, SCRIPT, ENTERPRISE).id
            else:
                found = session.exec(select(ContentGroup).where(
                    ContentGroup.tenant_id == tenant_id, ContentGroup.library == SCRIPT,
                    ContentGroup.name == name)).first()
                if found is None:
                    found = ContentGroup(tenant_id=tenant_id, library=SCRIPT, scope=ENTERPRISE, name=name)
                    session.add(found)
                    session.flush()
                groups[name] = found.id
        group = session.get(ContentGroup, groups[name])
        script = Script(tenant_id=tenant_id, group_id=group.id, scope=group.scope, title=title,
                        created_by=created_by)
        session.add(script)
        session.flush()
        session.add(ScriptContent(tenant_id=tenant_id, script_id=script.id, seq=0, type=TEXT, text=text))
    session.flush()
    return len(parsed)
