"""``scrm plugin check PATH`` and the rule engine it shares with the architecture test: a plugin imports
``scrm.sdk`` and the top-level package of a plugin it requires, nothing else of the platform or of other plugins."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from scrm.hostapp.cli import main
from scrm.hostapp.plugin_check import check_path, plugins_in

PYPROJECT = """\
[project]
name = "scrm-parcel"
version = "0.1.0"

[project.entry-points."scrm.plugins"]
parcel = "scrm_parcel.plugin:ParcelPlugin"
"""
PLUGIN = """\
from scrm.sdk import ChannelPlugin


class ParcelPlugin(ChannelPlugin):
    requires = ("wecom",)
"""


def distribution(tmp_path: Path, **modules: str) -> Path:
    """An out-of-tree plugin distribution ``scrm-parcel`` requiring wecom, with extra ``modules`` (name -> source)."""
    root = tmp_path / "scrm-parcel"
    package = root / "scrm_parcel"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (package / "__init__.py").write_text('"""Parcel."""\n', encoding="utf-8")
    (package / "plugin.py").write_text(PLUGIN, encoding="utf-8")
    for name, source in modules.items():
        (package / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return root


def check(path: Path):
    return CliRunner().invoke(main, ["plugin", "check", str(path)], catch_exceptions=False)


ALLOWED = """\
import scrm.sdk
from scrm.sdk import hookimpl, send_message
from scrm.sdk.wechat import WXBizMsgCrypt
from scrm.sdk.web import current_tenant
from scrm_wecom import WeComClient, queue_app_message
import scrm_wecom
from scrm_parcel.plugin import ParcelPlugin
from . import plugin
import httpx
"""


def test_a_plugin_that_follows_the_rules_is_ok(tmp_path):
    result = check(distribution(tmp_path, allowed=ALLOWED))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "ok"


@pytest.mark.parametrize("line, reason", [
    ("from scrm.core.models import Customer", "only scrm.sdk"),
    ("import scrm.hostapp.callbacks", "only scrm.sdk"),
    ("from scrm import core", "only scrm.sdk"),
    ("from scrm_wecom.client import WeComClient", "deeper than the public API of required plugin 'wecom'"),
    ("import scrm_wecom.sync.models", "deeper than the public API"),
    ("from scrm_wecom import client", "submodule client of required plugin 'wecom' is not its public API"),
    ("from scrm_members import area", "list 'members' in requires"),
    ("import scrm_members", "list 'members' in requires"),
])
def test_each_broken_rule_is_one_line_with_file_and_line_and_exit_1(tmp_path, line, reason):
    root = distribution(tmp_path, good=ALLOWED, bad=f'"""A module."""\n\n\n{line}\n')
    result = check(root)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("scrm_parcel/bad.py:4: imports ") and reason in lines[0], lines[0]


def test_every_violation_is_reported_and_imports_inside_functions_count(tmp_path):
    root = distribution(tmp_path, bad="""\
        from scrm.core.db import session_scope


        def later():
            from scrm_wecom.accounts import find_account
            return find_account
        """)
    violations = check_path(root)
    assert [(v.path.name, v.line) for v in violations] == [("bad.py", 1), ("bad.py", 5)]


def test_without_the_requirement_the_top_level_import_is_refused_too(tmp_path):
    root = distribution(tmp_path, uses="from scrm_wecom import WeComClient\n")
    (root / "scrm_parcel" / "plugin.py").write_text(PLUGIN.replace('("wecom",)', "()"), encoding="utf-8")
    assert plugins_in(root)[0].requires == ()
    result = check(root)
    assert result.exit_code == 1 and "scrm_parcel/uses.py:1:" in result.output and "requires" in result.output


def test_a_package_folder_is_checked_with_its_distribution_requires(tmp_path):
    root = distribution(tmp_path, uses="from scrm_wecom import WeComClient\n")
    [source] = plugins_in(root / "scrm_parcel")
    assert (source.name, source.requires) == ("parcel", ("wecom",))
    assert check(root / "scrm_parcel").output.strip() == "ok"


def test_a_folder_without_a_plugin_is_one_error_line(tmp_path):
    result = check(tmp_path)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"error: no plugin package (scrm_* with an __init__.py, or a "
                                                  f"scrm.plugins entry point) in '{tmp_path}'"]


def test_the_first_party_plugins_pass_the_command():
    root = Path(__file__).resolve().parents[1]
    for folder in ("plugins/wecom", "plugins/members", "plugins/sms", "plugins/official_account", "tests/example_plugin",
                   "tests/example_channel"):
        result = check(root / folder)
        assert (result.exit_code, result.output.strip()) == (0, "ok"), (folder, result.output)
