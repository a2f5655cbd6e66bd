"""The plugin's pages, mounted at ``/t/<tenant>/wecom/``: the WeCom corp accounts of the tenant.

``build_blueprint(features)`` returns the ``wecom`` blueprint with the account pages and the blueprints of the
feature packages named in ``features`` nested in it (each ``scrm_wecom.<feature>.views.bp``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from flask import Blueprint


def build_blueprint(features: Iterable[str] = ()) -> Blueprint:
    from . import accounts

    bp = Blueprint("wecom", __name__, template_folder="../templates")
    accounts.register(bp)
    for feature in features:
        bp.register_blueprint(importlib.import_module(f"scrm_wecom.{feature}.views").bp)
    return bp
