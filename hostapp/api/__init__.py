"""REST API ``/api/v1``: JSON in and out, per-tenant bearer tokens, errors as ``{"error": {"code", "message"}}``."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, Flask, abort, g, jsonify, request
from pydantic import BaseModel, ValidationError
from sqlmodel import select
from werkzeug.exceptions import HTTPException

from scrm.core.models import ApiToken, Tenant
from scrm.core.services.tokens import hash_token, touch_token
from scrm.core.timeutil import utcnow

from ..platform_ext import db, platform
from .inputs import InvalidParameter, check_values, strict_loads
from .openapi import registry

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PREFIX = "/api/"


def is_api_request(path: str) -> bool:
    """Whether ``path`` is served by the REST API (token authentication only, no cookie session)."""
    return path.startswith(PREFIX)


def has_bearer_token() -> bool:
    """Whether the request carries an ``Authorization: Bearer`` credential."""
    return request.headers.get("Authorization", "").startswith("Bearer ")


class ApiError(Exception):
    """Raise in an API view to answer ``status`` with ``{"error": {"code", "message", "fields"}}``."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None):
    """The JSON error response ``{"error": {"code", "message"[, "fields"]}}`` with ``status``."""
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return jsonify(body), status


def authenticate() -> None:
    """Resolve the bearer token into ``g.api_token`` and ``g.tenant`` (None for platform tokens)."""
    header = request.headers.get("Authorization", "")
    if not has_bearer_token():
        raise ApiError(401, "unauthorized", "send an API token as 'Authorization: Bearer <token>'")
    digest = hash_token(header[7:].strip())
    token = db().exec(select(ApiToken).where(ApiToken.token_hash == digest)).first()
    if token is None or token.revoked:
        raise ApiError(401, "unauthorized", "the API token is unknown or revoked")
    g.api_token = token
    g.tenant = db().get(Tenant, token.tenant_id) if token.tenant_id else None
    if g.tenant is not None and not g.tenant.active:
        raise ApiError(403, "tenant_inactive", "the tenant of this token is deactivated")
    g.hooks = platform().hooks(db(), g.tenant) if g.tenant is not None else None
    touch_token(platform().engine, token, utcnow())  # its own short write, once a minute: a read stays a read


def tenant_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("tenant") is None:
            raise ApiError(403, "tenant_token_required", "this endpoint needs a tenant API token")
        return view(*args, **kwargs)

    return wrapped


def platform_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("tenant") is not None:
            raise ApiError(403, "platform_token_required", "this endpoint needs a platform API token")
        return view(*args, **kwargs)

    return wrapped


def body(model: type[BaseModel]) -> BaseModel:
    """The request's JSON object validated by ``model``: 400 ``invalid_json`` for a body that is not a JSON object
    (NaN, Infinity, ``1e999``, integers beyond 64 bits and nesting deeper than ``MAX_JSON_DEPTH`` included), 422
    ``validation_error`` naming each field the model refuses or no column could hold."""
    raw = request.get_data(cache=True)
    try:
        data = strict_loads(raw) if raw else None
    except ValueError as exc:
        raise ApiError(400, "invalid_json", f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "the request body must be a JSON object")
    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in exc.errors()}
        raise ApiError(422, "validation_error", "; ".join(f"{k}: {v}" for k, v in fields.items()), fields) from exc
    problem = check_values(result.model_dump(), "body")
    if problem is not None:
        raise ApiError(422, "validation_error", problem)
    return result


def api_actor() -> str:
    """The audit actor of the request's API token (``api:<prefix>``)."""
    return f"api:{g.api_token.prefix}"


@bp.before_request
def _auth():
    if request.endpoint in ("api.openapi",):
        return None
    authenticate()
    return None


@bp.after_request
def _commit(response):
    if response.status_code < 400:
        db().commit()
    return response


@bp.get("/openapi.json")
def openapi():
    return jsonify(registry.document("SCRM platform API", "1.0"))


def _api_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(exc: ApiError):
        db().rollback()
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(InvalidParameter)
    def handle_invalid_parameter(exc: InvalidParameter):
        db().rollback()
        if is_api_request(request.path):
            return error_response(400, "invalid_parameter", str(exc))
        return str(exc), 400, {"Content-Type": "text/plain; charset=utf-8"}


def mount_plugin_api(app: Flask, plugin: str, bp_plugin: Blueprint) -> None:
    """Mount a plugin's API blueprint at ``/api/v1/<plugin>/``: token auth, and 404 when the plugin is disabled."""
    app.register_blueprint(bp_plugin, url_prefix=f"/api/v1/{plugin}")

    def gate():
        authenticate()
        if g.tenant is None:
            raise ApiError(403, "tenant_token_required", "this endpoint needs a tenant API token")
        if plugin not in g.hooks.enabled:
            abort(404)

    app.before_request_funcs.setdefault(bp_plugin.name, []).insert(0, gate)
    app.after_request_funcs.setdefault(bp_plugin.name, []).append(_commit)


def init_api(app: Flask) -> None:
    from . import customers, plugins, shortlinks, tenants  # noqa: F401  (routes)

    app.register_blueprint(bp)
    _api_error_handlers(app)

    def is_api() -> bool:
        return request.path.startswith("/api/")

    default_handler = app.handle_http_exception

    def handle_http(exc: HTTPException):
        if is_api():
            return error_response(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description
                                  or exc.name)
        return default_handler(exc)

    app.handle_http_exception = handle_http
