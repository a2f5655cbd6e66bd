"""A small OpenAPI 3.1 generator: operations declare their request and response pydantic models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel


@dataclass
class Operation:
    path: str
    method: str
    summary: str
    tag: str
    request: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    params: list[dict[str, Any]] = field(default_factory=list)
    auth: str = "tenant"  # tenant | platform


class OpenAPIRegistry:
    def __init__(self) -> None:
        self.operations: list[Operation] = []

    def operation(self, path: str, method: str, summary: str, tag: str, **kwargs: Any):
        def register(view):
            self.operations.append(Operation(path, method.lower(), summary, tag, **kwargs))
            return view

        return register

    def document(self, title: str, version: str, server: str = "/api/v1") -> dict[str, Any]:
        components: dict[str, Any] = {"Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string"}, "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}},
        }}

        def ref(model: type[BaseModel]) -> dict[str, str]:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                components[name] = sub
            components[model.__name__] = schema
            return {"$ref": f"#/components/schemas/{model.__name__}"}

        paths: dict[str, Any] = {}
        for op in self.operations:
            entry: dict[str, Any] = {
                "summary": op.summary, "tags": [op.tag], "operationId": f"{op.method}_{op.path}".replace("/", "_")
                .replace("{", "").replace("}", ""),
                "security": [{"bearer": []}], "parameters": op.params,
                "responses": {
                    str(op.status): {"description": "OK", **({"content": {"application/json": {
                        "schema": ref(op.response)}}} if op.response else {})},
                    "4XX": {"description": "Bad input, authentication or permission error",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                },
            }
            for name in _path_params(op.path):
                entry["parameters"] = [{"name": name, "in": "path", "required": True,
                                        "schema": {"type": "string" if name == "name" else "integer"}},
                                       *entry["parameters"]]
            if op.request is not None:
                entry["requestBody"] = {"required": True,
                                        "content": {"application/json": {"schema": ref(op.request)}}}
            paths.setdefault(op.path, {})[op.method] = entry
        return {
            "openapi": "3.1.0",
            "info": {"title": title, "version": version,
                     "description": "Tenant tokens see one tenant; platform tokens manage tenants."},
            "servers": [{"url": server}],
            "paths": paths,
            "components": {"schemas": components, "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "an API token (scrm_...)"}}},
        }


def _path_params(path: str) -> list[str]:
    import re

    return re.findall(r"{(\w+)}", path)


registry = OpenAPIRegistry()
