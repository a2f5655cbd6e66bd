"""The plugin's pages, mounted at ``/t/<tenant>/official_account/`` (the accounts themselves are managed on the host's
channel accounts pages, ``/t/<tenant>/channels/official_account/accounts``).

``build_blueprint(features)`` returns the ``official_account`` blueprint with the blueprint of every feature area
named in ``features`` nested in it (``scrm_official_account.<feature>.views.bp``; endpoints
``official_account.<bp name>.<view>``). Static files: ``url_for("official_account.static",
filename="official_account/<file>")``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from flask import Blueprint


def build_blueprint(features: Iterable[str] = ()) -> Blueprint:
    bp = Blueprint("official_account", __name__, template_folder="../templates", static_folder="../static",
                   static_url_path="/static")
    for feature in features:
        bp.register_blueprint(importlib.import_module(f"scrm_official_account.{feature}.views").bp)
    return bp
