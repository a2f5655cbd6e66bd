"""The members plugin's REST API in the host's OpenAPI document: every route of the ``members_api`` blueprints is
described under its path and method, with request and response schemas that resolve, query parameters and the
status of a create; and no other model of the same name shadows a members schema."""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import pytest
from pydantic import BaseModel

API_PREFIX = "/api/v1"
# by module path: the area packages re-export their blueprint under the name ``api``
API_MODULES = [importlib.import_module(f"scrm_members.{area}.api") for area in ("customers", "segments", "loyalty")]
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def document(client) -> dict[str, Any]:
    response = client.get(f"{API_PREFIX}/openapi.json")
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))


def members_routes(app) -> set[tuple[str, str]]:
    """(document path, method) for every rule of the members API blueprints, e.g. ("/members/fields", "get")."""
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("members_api."):
            continue
        assert rule.rule.startswith(API_PREFIX + "/members/")
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len(API_PREFIX):])
        out.update((path, method.lower()) for method in rule.methods - IGNORED_METHODS)
    return out


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for path, item in document["paths"].items() if path.startswith("/members/")
            for method in item}


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def test_the_document_is_openapi_3_1_shaped(document):
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] and document["info"]["version"]
    assert isinstance(document["paths"], dict) and isinstance(document["components"]["schemas"], dict)


def test_every_members_api_route_is_documented_and_nothing_else(app, document):
    routes = members_routes(app)
    assert len(routes) >= 20, "the members API blueprints are not mounted"
    assert routes - documented(document) == set(), "routes missing from the OpenAPI document"
    assert documented(document) - routes == set(), "documented operations no route serves"


def test_members_operations_have_summaries_path_parameters_and_responses(app, document):
    for path, method in members_routes(app):
        operation = document["paths"][path][method]
        assert operation["summary"] and operation["tags"] == ["members"], (path, method)
        declared = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), (path, method)
        success = [code for code in operation["responses"] if code.startswith("2")]
        assert len(success) == 1, (path, method)
        content = operation["responses"][success[0]].get("content")
        assert content and "$ref" in content["application/json"]["schema"], f"{method} {path} has no response model"


def test_request_bodies_and_every_reference_resolve_to_component_schemas(app, document):
    schemas = document["components"]["schemas"]
    for path, method in members_routes(app):
        operation = document["paths"][path][method]
        if "requestBody" in operation:
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, (path, method)
    for ref in refs(document):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref


@pytest.mark.parametrize(("path", "method", "model"), [
    ("/members/customers/{customer_id}/profile", "patch", "ProfilePatch"),
    ("/members/tag-categories", "post", "CategoryIn"),
    ("/members/tags", "post", "TagsIn"),
    ("/members/customers/{customer_id}/tags", "post", "TagIdsIn"),
    ("/members/customers/{customer_id}/tags", "delete", "TagIdsIn"),
    ("/members/segments", "post", "SegmentIn"),
    ("/members/blacklist", "post", "BlacklistIn"),
    ("/members/orders", "post", "OrdersIn"),
    ("/members/points/adjustments", "post", "AdjustIn"),
])
def test_write_endpoints_name_their_request_model(document, path, method, model):
    body = document["paths"][path][method]["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"]["$ref"] == f"#/components/schemas/{model}"


def test_creates_answer_201_and_reads_200(document):
    paths = document["paths"]
    for path in ("/members/tag-categories", "/members/tags", "/members/segments", "/members/blacklist",
                 "/members/orders", "/members/points/adjustments"):
        assert set(paths[path]["post"]["responses"]) == {"201", "4XX"}, path
    for path in ("/members/fields", "/members/tags", "/members/segments", "/members/orders",
                 "/members/customers/{customer_id}/profile", "/members/segments/{segment_id}/count"):
        assert "200" in paths[path]["get"]["responses"], path


def test_lists_declare_their_query_parameters(document):
    def query(path: str) -> dict[str, dict]:
        return {p["name"]: p for p in document["paths"][path]["get"]["parameters"] if p["in"] == "query"}

    assert {"cursor", "limit"} <= set(query("/members/segments/{segment_id}/members"))
    assert {"cursor", "limit", "history"} <= set(query("/members/blacklist"))
    assert {"cursor", "limit", "customer_id", "source"} <= set(query("/members/orders"))
    assert set(query("/members/tags")) == {"tab"} and set(query("/members/tag-categories")) == {"tab"}
    assert query("/members/orders")["limit"]["schema"]["maximum"] == API_MODULES[2].MAX_LIMIT


def test_the_batch_order_shape_is_documented(document):
    schemas = document["components"]["schemas"]
    variants = {r["$ref"].rsplit("/", 1)[1] for r in schemas["OrdersIn"]["anyOf"]}
    assert variants == {"OrderIn", "OrderBatchIn"}
    assert schemas["OrderBatchIn"]["properties"]["orders"]["items"]["$ref"] == "#/components/schemas/OrderIn"


def api_models() -> list[type[BaseModel]]:
    return [value for module in API_MODULES for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == module.__name__]


def test_no_other_model_shadows_a_members_schema(document):
    """Component schemas are keyed by class name: a host or plugin model of the same name would replace ours."""
    schemas = document["components"]["schemas"]
    models = api_models()
    assert len(models) >= 30
    for model in models:
        if model.__name__ in schemas:
            own = model.model_json_schema(ref_template="#/components/schemas/{model}")
            own.pop("$defs", None)
            assert schemas[model.__name__] == own, f"{model.__name__} is shadowed by another model"
