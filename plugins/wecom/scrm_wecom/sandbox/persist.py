"""Keeping the sandbox's corps across restarts (the demo mounts the sandbox in the served platform): the corps and
the settings are written to a JSON file after every request that may have changed them, and read back at start.

Tokens, welcome codes, the call log, injected failures and rate limits are not kept: they are short-lived by nature
(a platform that still holds a token of the previous run gets 40014 and fetches a new one).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask, request

from .state import Corp, SandboxState

log = logging.getLogger(__name__)

SETTINGS = ("token_ttl", "welcome_code_ttl")


def dump(state: SandboxState) -> dict[str, Any]:
    with state.lock:
        return {"corps": [dataclasses.asdict(corp) for corp in state.corps.values()],
                "settings": {name: getattr(state.settings, name) for name in SETTINGS}}


def _corp(data: dict[str, Any]) -> Corp:
    known = {f.name for f in dataclasses.fields(Corp)}
    corp = Corp(**{k: v for k, v in data.items() if k in known})
    corp.departments = {int(k): v for k, v in corp.departments.items()}  # JSON object keys are strings
    return corp


def load(state: SandboxState, data: dict[str, Any]) -> None:
    with state.lock:
        state.corps = {corp.corp_id: corp for corp in map(_corp, data.get("corps") or [])}
        for name, value in (data.get("settings") or {}).items():
            if name in SETTINGS:
                setattr(state.settings, name, value)


def keep_state(app: Flask, state: SandboxState, path: Path) -> None:
    """Load ``path`` into ``state`` now (when it exists) and write it back after every non-GET request."""
    path = Path(path)
    if path.exists():
        try:
            load(state, json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("sandbox state %s unreadable, starting empty: %s", path, exc)

    @app.after_request
    def save(response):
        if request.method != "GET":
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            with state.lock:
                temporary.write_text(json.dumps(dump(state), ensure_ascii=False), encoding="utf-8")
                os.replace(temporary, path)
        return response
