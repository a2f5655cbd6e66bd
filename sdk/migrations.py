"""For a plugin's ``migrations/env.py``: ``from scrm.sdk.migrations import run_migrations; run_migrations()``."""

from scrm.core.migrate import run_migrations

__all__ = ["run_migrations"]
