"""The import rules of ARCHITECTURE.md §2, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from scrm.hostapp.plugin_check import PluginSource, check_sources, installed_plugins, plugins_in

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


def repository_plugins() -> list[PluginSource]:
    """The plugin packages of this repository: first-party plugins and the example plugins of the tests."""
    folders = [*(ROOT / "plugins").glob("*"), *(ROOT / "tests").glob("example_*")]
    return [s for folder in sorted(folders) if (folder / "pyproject.toml").exists() for s in plugins_in(folder)]


def all_plugins() -> list[PluginSource]:
    """In-repo plugins and every plugin installed in this environment (found through its entry points), once each."""
    by_folder = {s.folder: s for s in installed_plugins()}
    for source in repository_plugins():
        by_folder.setdefault(source.folder, source)
    return sorted(by_folder.values(), key=lambda s: s.package)


def test_the_in_repo_plugins_and_the_installed_ones_are_all_checked():
    packages = {s.package for s in all_plugins()}
    assert {"scrm_members", "scrm_wecom", "scrm_example", "scrm_sample_sms"} <= packages
    assert {s.package for s in installed_plugins()} <= packages


@pytest.mark.parametrize("source", all_plugins(), ids=lambda s: s.package)
def test_plugins_import_only_the_sdk_and_the_public_api_of_what_they_require(source):
    """The rules of scrm.hostapp.plugin_check (the same ones ``scrm plugin check`` applies)."""
    violations = check_sources([source])
    assert not violations, "\n".join(v.render(ROOT) for v in violations)


def test_every_package_folder_is_installed():
    """setup.py maps core/, hostapp/ and sdk/ onto scrm.*: every folder with modules must be a package."""
    for top in ("core", "hostapp", "sdk"):
        for folder in (ROOT / top).rglob("*"):
            if folder.is_dir() and any(folder.glob("*.py")) and "migrations" not in folder.parts:
                assert (folder / "__init__.py").exists(), f"{folder.relative_to(ROOT)} lacks __init__.py"
