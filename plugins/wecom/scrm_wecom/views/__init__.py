"""The plugin's pages, mounted at ``/t/<tenant>/wecom/`` (the corp accounts themselves are managed on the host's
channel accounts pages, ``/t/<tenant>/channels/wecom/accounts``).

``build_blueprint(features)`` returns the ``wecom`` blueprint with the session-archive key pages and the blueprints of the
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


def build_public_blueprint(features: Iterable[str] = ()) -> Blueprint:
    """The ``wecom_public`` blueprint of public and employee H5 pages (``/p/<tenant>/wecom/``) with the ``public.bp``
    of each feature package named in ``features`` nested in it."""
    bp = Blueprint("wecom_public", __name__, template_folder="../templates")
    for feature in features:
        bp.register_blueprint(importlib.import_module(f"scrm_wecom.{feature}.public").bp)
    return bp
