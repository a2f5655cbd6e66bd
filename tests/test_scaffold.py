"""``scrm plugin new NAME``: names are validated in one line; the distribution it writes installs, passes ruff with
the host's rules, and its own tests pass against the host."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from scrm.hostapp.cli import main
from scrm.hostapp.scaffold import PluginNames, validate_name

ROOT = Path(__file__).resolve().parents[1]
TEST_PREFIX = "scaffoldtest_"


def new(*args: str):
    return CliRunner().invoke(main, ["plugin", "new", *args], catch_exceptions=False)


def one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


# -- names and folders -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, reason", [
    ("Loyalty", "lowercase"),
    ("1loyalty", "starting with a letter"),
    ("l", "2 to 31"),
    ("loyalty-points", "lowercase letters, digits or underscores"),
    ("x" * 32, "2 to 31"),
    ("loyalty_", "must not end with '_'"),
    ("gift__cards", "contain '__'"),
    ("class", "keyword"),
    ("host", "reserved"),
    ("callbacks", "reserved"),
    ("admin", "reserved"),
    ("static", "reserved"),
    ("customer", "core table 'customer'"),
    ("tag", "core table 'tag'"),
    ("example", "already installed"),
    ("members_extra", "table prefix of the installed plugin 'members'"),
])
def test_a_bad_name_is_one_line_exit_1_and_writes_nothing(tmp_path, name, reason):
    line = one_error_line(new(name, "--dir", str(tmp_path)))
    assert reason in line
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_refused_and_left_alone(tmp_path):
    existing = tmp_path / "scrm-loyalty"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine", encoding="utf-8")
    assert "already exists" in one_error_line(new("loyalty", "--dir", str(tmp_path)))
    assert [p.name for p in existing.iterdir()] == ["keep.txt"]


def test_a_missing_parent_folder_is_refused(tmp_path):
    assert "does not exist" in one_error_line(new("loyalty", "--dir", str(tmp_path / "nowhere")))
    assert not (tmp_path / "nowhere").exists()


def test_names_are_checked_against_the_plugins_given():
    validate_name("loyalty", installed=[])
    with pytest.raises(ValueError, match="already installed"):
        validate_name("loyalty", installed=["loyalty"])
    with pytest.raises(ValueError, match="table prefix"):
        validate_name("loyalty", installed=["loyalty_points"])


def test_the_distribution_has_the_promised_layout(tmp_path):
    result = new("gift_cards", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    target = tmp_path / "scrm-gift-cards"
    assert f"created {target}" in result.output
    files = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    assert files == {
        ".gitignore", "CHANGELOG.md", "README.md", "pyproject.toml", "tests/test_gift_cards_plugin.py",
        "scrm_gift_cards/__init__.py", "scrm_gift_cards/plugin.py", "scrm_gift_cards/models.py",
        "scrm_gift_cards/views.py", "scrm_gift_cards/jobs.py", "scrm_gift_cards/templates/gift_cards/index.html",
        "scrm_gift_cards/migrations/env.py", "scrm_gift_cards/migrations/script.py.mako",
        "scrm_gift_cards/migrations/versions/gift_cards_0001_item.py",
    }
    pyproject = (target / "pyproject.toml").read_text(encoding="utf-8")
    assert 'name = "scrm-gift-cards"' in pyproject and 'version = "0.1.0"' in pyproject
    assert 'gift_cards = "scrm_gift_cards.plugin:GiftCardsPlugin"' in pyproject
    plugin = (target / "scrm_gift_cards/plugin.py").read_text(encoding="utf-8")
    assert "class GiftCardsPlugin(Plugin):" in plugin and 'api = ">=1,<2"' in plugin
    migration = (target / "scrm_gift_cards/migrations/versions/gift_cards_0001_item.py").read_text(encoding="utf-8")
    assert 'revision: str = "gift_cards_0001"' in migration and '"gift_cards_item"' in migration
    assert "__" + "NAME" + "__" not in "".join(p.read_text(encoding="utf-8") for p in target.rglob("*") if p.is_file())


# -- the real thing: install it, lint it, run its tests ----------------------------------------------------------------


def _pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
                          capture_output=True, text=True, timeout=300)


def _remove_leftovers() -> None:
    """Uninstall distributions an interrupted earlier run of this test left installed."""
    stale = {d.metadata["Name"] for d in importlib.metadata.distributions()
             if (d.metadata["Name"] or "").replace("_", "-").startswith("scrm-" + TEST_PREFIX.replace("_", "-"))}
    if stale:
        _pip("uninstall", "-y", *sorted(stale))


def _require_build_tools() -> None:
    """``--no-build-isolation`` builds with this environment's setuptools, which needs ``wheel`` before 70.1."""
    from importlib.util import find_spec

    from packaging.version import Version

    if find_spec("setuptools") is None:
        pytest.fail("the scaffold test builds with this environment's setuptools: pip install setuptools wheel")
    if Version(importlib.metadata.version("setuptools")) < Version("70.1") and find_spec("wheel") is None:
        pytest.fail("setuptools < 70.1 needs the wheel package to build: pip install wheel (or setuptools>=70.1)")


def _ruff(target: Path, *config: str) -> None:
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", *config, str(target)],
                          capture_output=True, text=True, timeout=120, cwd=target)
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.slow
def test_a_scaffolded_plugin_installs_and_its_own_tests_pass(tmp_path):
    _require_build_tools()
    _remove_leftovers()
    name = f"{TEST_PREFIX}{uuid.uuid4().hex[:8]}"  # unique: a distribution left installed cannot clash with a later run
    target = tmp_path / PluginNames(name).distribution
    created = new(name, "--dir", str(tmp_path))
    assert created.exit_code == 0 and f"created {target}" in created.output, created.output

    run = lint_install_and_test(target, name, tmp_path)
    assert " passed" in run.stdout and "skipped" not in run.stdout, run.stdout[-2000:]


def lint_install_and_test(target, name: str, tmp_path) -> subprocess.CompletedProcess:
    """Lint a scaffolded distribution (its own settings and the host's), install it, run its own tests on SQLite
    with a manifest naming only it, and uninstall it again; returns the finished pytest run (it passed)."""
    _ruff(target)  # the distribution's own lint settings
    _ruff(target, "--config", str(ROOT / "pyproject.toml"))  # the host repository's
    installed = _pip("install", "--no-deps", "--no-build-isolation", "-e", str(target))
    try:
        assert installed.returncode == 0, installed.stdout + installed.stderr
        manifest = tmp_path / "plugins.toml"
        manifest.write_text(f"[plugins.{name}]\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k not in ("SCRM_TEST_DATABASE_URL", "SCRM_TEST_REDIS_URL")}
        env["SCRM_TEST_PLUGINS_TOML"] = str(manifest)
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", str(target / "tests"), "-p", "no:cacheprovider"],
                             capture_output=True, text=True, timeout=600, cwd=target, env=env)
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        return run
    finally:
        _pip("uninstall", "-y", PluginNames(name).distribution)
        assert name not in {ep.name for ep in importlib.metadata.entry_points(group="scrm.plugins")}
