"""A form generated from a plugin's pydantic settings schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


@dataclass
class FormField:
    name: str
    label: str
    kind: str  # text | number | integer | checkbox | select | textarea | password
    help: str = ""
    required: bool = False
    choices: list[Any] | None = None
    value: Any = None
    #: the code set (``scrm.sdk.register_labels``) whose labels name the choices, from the field's
    #: ``json_schema_extra={"labels": "<code set>"}``; without it a choice shows as its value
    labels: str | None = None


def _resolve(schema: dict, prop: dict) -> dict:
    ref = prop.get("$ref") or (prop.get("allOf") or [{}])[0].get("$ref")
    if ref:
        return {**schema.get("$defs", {}).get(ref.split("/")[-1], {}), **{k: v for k, v in prop.items() if k != "$ref"}}
    if "anyOf" in prop:  # Optional[X]
        options = [p for p in prop["anyOf"] if p.get("type") != "null"]
        if options:
            return {**_resolve(schema, options[0]), **{k: v for k, v in prop.items() if k != "anyOf"}}
    return prop


def form_fields(model: type[BaseModel], values: dict[str, Any]) -> list[FormField]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    fields = []
    for name, raw in schema.get("properties", {}).items():
        prop = _resolve(schema, raw)
        kind = {"boolean": "checkbox", "integer": "integer", "number": "number"}.get(prop.get("type"), "text")
        if "enum" in prop:
            kind = "select"
        if prop.get("format") == "password" or prop.get("writeOnly"):
            kind = "password"
        if prop.get("type") == "string" and (prop.get("maxLength") or 0) > 200:
            kind = "textarea"
        fields.append(FormField(
            name=name, label=prop.get("title") or name, kind=kind, help=prop.get("description", ""),
            required=name in required, choices=prop.get("enum"), value=values.get(name, prop.get("default")),
            labels=prop.get("labels"),
        ))
    return fields


def parse_form(model: type[BaseModel], form) -> dict[str, Any]:
    """Submitted form values as the dict to validate (checkboxes absent mean False, empty optional text means None)."""
    out: dict[str, Any] = {}
    for field in form_fields(model, {}):
        if field.kind == "checkbox":
            out[field.name] = field.name in form
        else:
            value = form.get(field.name, "")
            if value == "" and not field.required:
                continue
            out[field.name] = value
    return out
