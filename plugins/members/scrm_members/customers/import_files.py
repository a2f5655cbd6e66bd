"""Reading uploaded customer files (CSV in UTF-8 or GB18030, XLSX) and mapping their columns to fields."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from scrm.sdk import tabular

from .fields import SYSTEM_FIELDS
from .models import CustomField

MAX_BYTES = 32 * 1024 * 1024
MAX_ROWS = 200_000  # data rows of one file (the header row comes on top)
PREVIEW_ROWS = 10

# import targets besides the system fields: extra mobile numbers, the member flag and the member level
EXTRA_TARGETS = {"mobiles_extra": _l("Other mobiles"), "is_member": _l("Member (Y/N)"),
                 "member_level": _l("Member level (name)"),
                 "level_valid_until": _l("Level valid until (date or permanent)")}
ALIASES = {
    "name": ("姓名", "名字", "客户姓名", "name"), "gender": ("性别", "gender", "sex"),
    "mobile": ("手机号", "手机", "手机号码", "mobile", "phone"), "birthday": ("生日", "出生日期", "birthday"),
    "nickname": ("昵称", "nickname"), "email": ("邮箱", "电子邮箱", "email", "e-mail"),
    "landline": ("固定电话", "座机", "landline"), "fax": ("传真", "传真电话", "fax"),
    "wechat_id": ("微信", "微信号", "wechat", "wechat id", "wechat_id"), "qq": ("qq", "qq号"),
    "region": ("地区", "区域", "所在地区", "region"), "mobiles_extra": ("其他手机号", "other mobiles"),
    "is_member": ("会员", "是否会员", "member", "is_member"),
    "member_level": ("会员等级", "等级", "member level", "member_level", "level"),
    "level_valid_until": ("等级有效期", "有效期至", "level valid until", "level_valid_until"),
}


class ImportFileError(ValueError):
    """The file cannot be read as a table."""


def detect_format(filename: str) -> str:
    lower = (filename or "").lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith(".xlsx"):
        return "xlsx"
    raise ImportFileError(str(_l("Upload a .csv or .xlsx file.")))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if not (value.hour or value.minute or value.second) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(str(_l("The CSV file is neither UTF-8 nor GB18030 text.")))


def read_rows(content: bytes, file_format: str) -> Iterator[list[str]]:
    """Every row of the file's first sheet as a list of cell texts, the header first; blank rows are skipped."""
    if file_format == "csv":
        reader = csv.reader(io.StringIO(_decode(content), newline=""))
        try:
            for row in reader:
                cells = [c.strip() for c in row]
                if any(cells):
                    yield cells
        except csv.Error as exc:
            raise ImportFileError(str(_l("The CSV file is malformed: %(e)s", e=exc))) from exc
        return
    try:
        for row in tabular.xlsx_rows(content, max_rows=MAX_ROWS + 1):
            cells = [_cell(c) for c in row]
            if any(cells):
                yield cells
    except tabular.SheetUnreadable as exc:
        raise ImportFileError(str(_l("The XLSX file cannot be read."))) from exc
    except tabular.SheetTooLarge as exc:
        raise ImportFileError(sheet_too_large(exc)) from exc


def sheet_too_large(exc: tabular.SheetTooLarge) -> str:
    """The translated message for a workbook beyond the reader's bounds."""
    if exc.kind == "columns":
        return str(_l("The sheet has more than %(n)d columns; remove the extra columns and upload it again.",
                      n=exc.limit))
    return str(_l("The sheet has more than %(n)d rows; split the file and upload the parts one by one.",
                  n=exc.limit))


def read_preview(content: bytes, file_format: str) -> tuple[list[str], list[list[str]], int]:
    """(header, first rows, number of data rows); raises ImportFileError for an unreadable or empty file."""
    header: list[str] | None = None
    preview: list[list[str]] = []
    count = 0
    for row in read_rows(content, file_format):
        if header is None:
            header = [c or f"#{i + 1}" for i, c in enumerate(row)]
            continue
        count += 1
        if len(preview) < PREVIEW_ROWS:
            preview.append(row)
    if header is None or count == 0:
        raise ImportFileError(str(_l("The file has no data rows under its header row.")))
    return header, preview, count


def targets(fields: list[CustomField]) -> list[tuple[str, str]]:
    """The fields a column may be mapped to: system fields, other mobiles, member flag, enabled custom fields."""
    out = [(f.key, str(f.label)) for f in SYSTEM_FIELDS]
    out.extend((key, str(label)) for key, label in EXTRA_TARGETS.items())
    out.extend((f.key, f.name) for f in fields)
    return out


def guess_mapping(header: list[str], fields: list[CustomField]) -> dict[str, str]:
    """Column index (as text) -> target key, for headers that name a field."""
    names: dict[str, str] = {}
    for key, aliases in ALIASES.items():
        for alias in aliases:
            names[alias.lower()] = key
    for key, label in targets(fields):
        names.setdefault(label.lower(), key)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for index, title in enumerate(header):
        key = names.get(title.strip().lower().rstrip("*"))
        if key and key not in used:
            mapping[str(index)] = key
            used.add(key)
    return mapping
