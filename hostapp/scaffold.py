"""``scrm plugin new NAME``: a third-party plugin distribution that installs and whose tests pass."""

from __future__ import annotations

from pathlib import Path

# the scaffold's templates are written by the plugin-scaffolding work; see tests/test_scaffold.py


def scaffold(name: str, directory: Path) -> Path:  # pragma: no cover - replaced below
    raise NotImplementedError
