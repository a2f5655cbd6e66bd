"""The condition editor shared by segments and automatic tags: reading its form into a condition tree, and what its
template needs (filter types grouped by section, the choices of each row).

Form fields: every row posts ``c`` = its index ``i``, then ``c<i>_type``, ``c<i>_negate`` and its values:
``c<i>_values`` (repeated, choices and yes/no), ``c<i>_text`` (comma-separated), ``c<i>_from`` / ``c<i>_to`` (dates,
or ``MM-DD`` month and day for ``monthday_range``) or ``c<i>_min`` / ``c<i>_max`` (numbers). Several values of one row are OR; rows are AND.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from scrm.sdk import FilterType

from .audiences import SECTION_LABELS, SECTIONS, choices_for, rule_conditions

SPLIT = re.compile(r"[,，|]")


def _number(raw: str) -> Any:
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        return raw
    if not math.isfinite(value):  # "1e999", "inf", "nan": kept as typed, refused by the filter, never Infinity in JSON
        return raw
    return int(value) if value.is_integer() else value


def parse_condition(form, index: str, types: dict[str, FilterType]) -> dict[str, Any] | None:
    key = (form.get(f"c{index}_type") or "").strip()
    if not key:
        return None
    filter_type = types.get(key)
    kind = filter_type.value_kind if filter_type is not None else "choice"
    values: list[Any]
    if kind in ("date_range", "monthday_range"):
        span = {k: form.get(f"c{index}_{k}", "").strip() for k in ("from", "to")}
        span = {k: v for k, v in span.items() if v}
        values = [span] if span else []
    elif kind == "number_range":
        span = {k: _number(form.get(f"c{index}_{k}", "")) for k in ("min", "max")}
        span = {k: v for k, v in span.items() if v is not None}
        values = [span] if span else []
    else:
        values = [v for v in form.getlist(f"c{index}_values") if str(v).strip()]
        values += [v.strip() for v in SPLIT.split(form.get(f"c{index}_text", "")) if v.strip()]
    condition: dict[str, Any] = {"type": key, "values": values}
    if form.get(f"c{index}_negate"):
        condition["negate"] = True
    return condition


def parse_rule(form, types: list[FilterType]) -> dict[str, Any]:
    """The condition tree the editor posted (rows without a type are ignored)."""
    by_key = {f.key: f for f in types}
    conditions = []
    for index in form.getlist("c"):
        condition = parse_condition(form, index, by_key)
        if condition is not None:
            conditions.append(condition)
    return {"conditions": conditions}


@dataclass
class Row:
    index: int
    condition: dict[str, Any]
    filter_type: FilterType | None
    choices: list[tuple[str, str]] | None

    @property
    def selected(self) -> set[str]:
        return {str(v) for v in self.condition.get("values", []) if not isinstance(v, dict)}

    @property
    def text(self) -> str:
        return ", ".join(str(v) for v in self.condition.get("values", []) if not isinstance(v, dict))

    def span(self, key: str) -> str:
        for value in self.condition.get("values", []):
            if isinstance(value, dict) and value.get(key) is not None:
                return str(value[key])
        return ""


def grouped_types(types: list[FilterType]) -> list[tuple[str, list[FilterType]]]:
    """Filter types by section, in the editor's section order (unknown sections last)."""
    order = {s: i for i, s in enumerate(SECTIONS)}
    sections: dict[str, list[FilterType]] = {}
    for filter_type in types:
        sections.setdefault(filter_type.section, []).append(filter_type)
    return [(str(SECTION_LABELS.get(s, s)), sorted(sections[s], key=lambda f: str(f.label)))
            for s in sorted(sections, key=lambda s: (order.get(s, len(order)), s))]


def section_counts(rule: dict[str, Any] | None, types: list[FilterType]) -> list[tuple[str, int]]:
    """How many conditions of ``rule`` each builder section holds ("基本属性 (2)"), in the sections' order."""
    by_key = {f.key: f for f in types}
    order = {s: i for i, s in enumerate(SECTIONS)}
    counts: dict[str, int] = {}
    for condition in rule_conditions(rule):
        filter_type = by_key.get(condition.get("type"))
        if filter_type is not None:
            counts[filter_type.section] = counts.get(filter_type.section, 0) + 1
    return [(str(SECTION_LABELS.get(s, s)), counts[s])
            for s in sorted(counts, key=lambda s: (order.get(s, len(order)), s))]


def make_row(session: Session, tenant_id: int, index: int, condition: dict[str, Any], types: list[FilterType],
             visible_tag_ids: set[int] | None) -> Row:
    filter_type = next((f for f in types if f.key == condition.get("type")), None)
    choices = None
    if filter_type is not None:
        raw = choices_for(session, tenant_id, filter_type, visible_tag_ids)
        choices = [(str(v), str(label)) for v, label in raw] if raw is not None else None
    return Row(index, condition, filter_type, choices)


def editor_rows(session: Session, tenant_id: int, rule: dict[str, Any] | None, types: list[FilterType],
                visible_tag_ids: set[int] | None) -> list[Row]:
    """One row per condition of ``rule``, and one empty row when it has none."""
    conditions = rule_conditions(rule) or [{"type": "", "values": []}]
    return [make_row(session, tenant_id, i, c, types, visible_tag_ids) for i, c in enumerate(conditions)]
