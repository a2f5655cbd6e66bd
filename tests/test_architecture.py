"""The import rules of ARCHITECTURE.md §2, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def sources(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.py") if "migrations/versions" not in p.as_posix()]


@pytest.mark.parametrize("path", sources(ROOT / "core"), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_imports_no_host_sdk_flask_or_plugin(path):
    bad = {n for n in imports_of(path)
           if n.split(".")[0] in ("flask", "flask_babel", "flask_wtf", "werkzeug")
           or n.startswith(("scrm.hostapp", "scrm.sdk", "scrm_"))}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def plugin_sources() -> list[Path]:
    out = []
    for folder in [*(ROOT / "plugins").glob("*/scrm_*"), *(ROOT / "tests").glob("*_plugin/scrm_*")]:
        out.extend(sources(folder))
    return out


@pytest.mark.parametrize("path", plugin_sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_plugins_import_only_the_sdk(path):
    own = path.relative_to(ROOT).parts
    package = next(p for p in own if p.startswith("scrm_"))
    bad = {n for n in imports_of(path)
           if n.startswith(("scrm.core", "scrm.hostapp"))
           or (n.startswith("scrm_") and n.split(".")[0] != package)}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_every_package_folder_is_installed():
    """setup.py maps core/, hostapp/ and sdk/ onto scrm.*: every folder with modules must be a package."""
    for top in ("core", "hostapp", "sdk"):
        for folder in (ROOT / top).rglob("*"):
            if folder.is_dir() and any(folder.glob("*.py")) and "migrations" not in folder.parts:
                assert (folder / "__init__.py").exists(), f"{folder.relative_to(ROOT)} lacks __init__.py"
