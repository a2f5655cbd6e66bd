"""Importing customers: validate every row, then apply the valid rows in resumable batches.

A row is valid when its values pass the same rules as the create form (``clean_profile``), it has a mobile number,
no earlier row of the file has one of its numbers, and its numbers do not belong to two different customers. A row
whose number belongs to a customer updates that customer (One-ID: non-empty cells overwrite, empty cells keep the
stored value); other rows create customers with source "import", and then need a name and the required custom fields.

Applying commits one batch of ``BATCH`` valid rows at a time together with the job's ``applied_rows``; a resumed job
re-reads the file and skips the valid rows already applied, and rows that created customers in a committed batch are
now found by mobile, so nothing is imported twice. Each batch costs a handful of bulk statements, not per-row queries,
and publishes one ``members.customers_imported`` event naming the customers it created and updated.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlmodel import Session

from scrm.sdk import Customer, CustomerEvent, CustomerIdentity, IdentityKind, publish, utcnow

from ..loyalty import levels
from .fields import PROFILE_KEYS, FieldError, custom_fields
from .import_files import read_rows
from .models import CustomField, ImportJob
from .profile import clean_profile

BATCH = 2000
# one event per batch instead of customer.created / customer.updated per row: 100,000 outbox rows and dispatch
# messages would dominate the import's time
IMPORTED_EVENT = "members.customers_imported"
LOOKUP_CHUNK = 900
TRUE_WORDS = ("y", "yes", "1", "true", "是", "会员")
FALSE_WORDS = ("n", "no", "0", "false", "否", "非会员", "")
PERMANENT_WORDS = ("permanent", "永久", "永久有效")


@dataclass
class Row:
    line: int
    clean: dict[str, Any]
    is_member: bool | None = None
    customer_id: int | None = None
    level: tuple[int, date | None] | None = None  # (level id, valid until) when the row names a member level


@dataclass
class Validation:
    total: int = 0
    valid: list[Row] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _row_data(cells: list[str], mapping: dict[str, str]) -> tuple[dict[str, Any], list[str], str | None]:
    data: dict[str, Any] = {}
    mobiles: list[str] = []
    member: str | None = None
    for index, key in mapping.items():
        value = cells[int(index)] if int(index) < len(cells) else ""
        if key == "mobile":
            mobiles.insert(0, value)
        elif key == "mobiles_extra":
            mobiles.extend(v for v in value.replace(",", " ").replace("，", " ").replace(";", " ").split() if v)
        elif key == "is_member":
            member = value
        elif value != "":
            data[key] = value
    data["mobiles"] = [m for m in mobiles if m]
    return data, mobiles, member


def existing_mobiles(session: Session, tenant_id: int, numbers: list[str]) -> dict[str, int]:
    """Number -> customer id for the numbers some customer of the tenant already holds (chunked IN queries)."""
    found: dict[str, int] = {}
    unique = list(dict.fromkeys(numbers))
    for start in range(0, len(unique), LOOKUP_CHUNK):
        chunk = unique[start:start + LOOKUP_CHUNK]
        found.update(session.execute(select(CustomerIdentity.value, CustomerIdentity.customer_id).where(
            CustomerIdentity.tenant_id == tenant_id, CustomerIdentity.kind == IdentityKind.MOBILE,
            CustomerIdentity.value.in_(chunk))).all())
    return found


def validate(session: Session, job: ImportJob, rows: Iterator[list[str]] | None = None) -> Validation:
    """Check every data row of the job's file; nothing is written."""
    fields = custom_fields(session, job.tenant_id, enabled_only=True)
    by_key = {f.key: f for f in fields}
    ladder = levels.by_name(session, job.tenant_id)
    mapping = {i: k for i, k in (job.mapping or {}).items() if k}
    header: list[str] | None = None
    result = Validation()
    candidates: list[Row] = []
    seen: dict[str, int] = {}
    for line, cells in enumerate(rows if rows is not None else read_rows(job.content, job.file_format), 1):
        if header is None:
            header = cells
            continue
        result.total += 1
        data, _mobiles, member = _row_data(cells, mapping)
        try:
            level = _level(data.pop("member_level", ""), data.pop("level_valid_until", ""), ladder)
            clean = clean_profile(session, job.tenant_id, data, partial=True, fields=fields, check_mobiles=False)
        except FieldError as exc:
            for key, message in exc.errors.items():
                result.errors.append({"row": line, "column": _column(key, mapping, header, by_key),
                                      "message": message})
            continue
        if "mobiles" not in data or not clean.get("mobiles"):
            result.errors.append({"row": line, "column": _column("mobiles", mapping, header, by_key),
                                  "message": _("Enter at least one 11-digit mobile number.")})
            continue
        flag = None
        if member is not None:
            word = member.strip().lower()
            if word not in TRUE_WORDS and word not in FALSE_WORDS:
                result.errors.append({"row": line, "column": _column("is_member", mapping, header, by_key),
                                      "message": _("Write Y or N.")})
                continue
            flag = word in TRUE_WORDS
        repeated = next((seen[m] for m in clean["mobiles"] if m in seen), None)
        if repeated is not None:
            result.errors.append({"row": line, "column": _column("mobiles", mapping, header, by_key),
                                  "message": _("Row %(n)s has the same mobile number.", n=repeated)})
            continue
        for number in clean["mobiles"]:
            seen[number] = line
        candidates.append(Row(line, clean, flag, level=level))
    owners = existing_mobiles(session, job.tenant_id, list(seen))
    for row in candidates:
        ids = {owners[m] for m in row.clean["mobiles"] if m in owners}
        if len(ids) > 1:
            result.errors.append({"row": row.line, "column": _column("mobiles", mapping, header or [], by_key),
                                  "message": _("These numbers belong to different customers.")})
            continue
        row.customer_id = ids.pop() if ids else None
        if row.customer_id is None:
            missing = _missing_for_new(row, fields)
            if missing:
                result.errors.append({"row": row.line, "column": _column(missing[0], mapping, header or [], by_key),
                                      "message": missing[1]})
                continue
        result.valid.append(row)
    result.errors.sort(key=lambda e: e["row"])
    return result


def _level(name: str, until: str, ladder: dict[str, Any]) -> tuple[int, date | None] | None:
    """The member level a row names (by name, ignoring case) and its validity: a date, "permanent" / "永久有效", or
    empty for the level's default. Raises FieldError."""
    if not name.strip():
        return None
    level = ladder.get(name.strip().casefold())
    if level is None:
        raise FieldError({"member_level": _("No member level named %(name)s.", name=name.strip())})
    word = until.strip()
    try:
        return level.id, levels.valid_until_for(level, "permanent" if word.lower() in PERMANENT_WORDS else word)
    except levels.LevelError as exc:
        raise FieldError({"level_valid_until": exc.errors["valid_until"]}) from exc


def _missing_for_new(row: Row, fields: list[CustomField]) -> tuple[str, str] | None:
    if not row.clean.get("name"):
        return "name", _("A new customer needs a name.")
    for field_def in fields:
        if field_def.required_member and row.clean.get(field_def.key) in (None, "", []):
            return field_def.key, _("%(name)s is required.", name=field_def.name)
    return None


def _column(key: str, mapping: dict[str, str], header: list[str], by_key: dict[str, CustomField]) -> str:
    key = "mobile" if key == "mobiles" else key
    for index, target in mapping.items():
        if target == key and int(index) < len(header):
            return header[int(index)]
    return by_key[key].name if key in by_key else key


# -- applying ------------------------------------------------------------------------------------------------------


def _attributes(base: dict[str, Any], clean: dict[str, Any]) -> dict[str, Any]:
    out = dict(base or {})
    for key, value in clean.items():
        if (key in PROFILE_KEYS or key.startswith("cf_")) and value not in (None, "", []):
            out[key] = value
    return out


def apply_batch(session: Session, job: ImportJob, rows: list[Row]) -> tuple[int, int]:
    """Write one batch: create new customers, update matched ones, link new mobile identities. Returns
    (created, updated). Matches are looked up again, so a batch applied twice updates instead of duplicating."""
    tenant_id, now = job.tenant_id, utcnow()
    owners = existing_mobiles(session, tenant_id, [m for r in rows for m in r.clean["mobiles"]])
    for row in rows:
        ids = {owners[m] for m in row.clean["mobiles"] if m in owners}
        row.customer_id = ids.pop() if len(ids) == 1 else None
    new_rows = [r for r in rows if r.customer_id is None]
    old_rows = [r for r in rows if r.customer_id is not None]
    if new_rows:
        values = [{"tenant_id": tenant_id, "name": r.clean.get("name") or "", "mobile": r.clean["mobiles"][0],
                   "gender": r.clean.get("gender", 0), "source": "import", "is_member": bool(r.is_member),
                   "attributes": _attributes({}, r.clean), "created_at": now, "updated_at": now} for r in new_rows]
        ids = session.execute(insert(Customer).returning(Customer.id, sort_by_parameter_order=True),
                              values).scalars().all()
        for row, customer_id in zip(new_rows, ids, strict=True):
            row.customer_id = customer_id
    if old_rows:
        current = {r.id: r for r in session.execute(select(
            Customer.id, Customer.name, Customer.gender, Customer.is_member, Customer.attributes, Customer.mobile)
            .where(Customer.tenant_id == tenant_id, Customer.id.in_([r.customer_id for r in old_rows]))).all()}
        changes = []
        for row in old_rows:
            stored = current[row.customer_id]
            changes.append({
                "id": row.customer_id, "name": row.clean.get("name") or stored.name,
                "gender": row.clean.get("gender", stored.gender),
                "is_member": stored.is_member if row.is_member is None else row.is_member,
                "mobile": stored.mobile or row.clean["mobiles"][0],
                "attributes": _attributes(stored.attributes, row.clean), "updated_at": now})
        session.execute(update(Customer), changes)
    links = [{"tenant_id": tenant_id, "customer_id": r.customer_id, "kind": IdentityKind.MOBILE, "value": m,
              "created_at": now} for r in rows for m in r.clean["mobiles"] if m not in owners]
    if links:
        session.execute(insert(CustomerIdentity), links)
    created = {id(r) for r in new_rows}
    session.execute(insert(CustomerEvent), [
        {"tenant_id": tenant_id, "customer_id": r.customer_id, "plugin": "members", "kind": "imported",
         "summary": f"{'created' if id(r) in created else 'updated'} by import #{job.id}", "occurred_at": now,
         "data": {"job_id": job.id, "line": r.line}} for r in rows])
    _assign_levels(session, job, rows)
    publish(session, tenant_id, IMPORTED_EVENT, {
        "job_id": job.id, "created_ids": [r.customer_id for r in new_rows],
        "updated_ids": [r.customer_id for r in old_rows], "source": "import"})
    return len(new_rows), len(old_rows)


def _assign_levels(session: Session, job: ImportJob, rows: list[Row]) -> None:
    """Give the rows' customers the levels the file names (one bulk write per level and validity)."""
    groups: dict[tuple[int, date | None], list[int]] = {}
    for row in rows:
        if row.level is not None:
            groups.setdefault(row.level, []).append(row.customer_id)
    for (level_id, until), ids in groups.items():
        level = levels.get_level(session, job.tenant_id, level_id)
        if level is not None:
            levels.assign(session, job.tenant_id, ids, level, until, actor=f"import #{job.id}")
