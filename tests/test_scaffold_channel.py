"""``scrm plugin new NAME --channel``: a channel plugin distribution (account settings, capabilities and rate, sends
through the outbound path, signed callbacks, delivery reports, a sandbox) that installs, passes ruff and its own
tests out of the box."""

from __future__ import annotations

import re
import uuid

import pytest
from test_scaffold import TEST_PREFIX, _remove_leftovers, _require_build_tools, lint_install_and_test, new

from scrm.hostapp.plugin_check import check_path
from scrm.hostapp.scaffold import PluginNames, render

CHANNEL_FILES = {"settings.py", "provider.py", "sandbox.py", "callbacks.py", "timeline.py", "jobs.py", "plugin.py"}


def test_the_channel_distribution_adds_the_channel_files_to_the_plain_ones(tmp_path):
    result = new("parcel_sms", "--channel", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    target = tmp_path / "scrm-parcel-sms"
    files = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    plain = {p.as_posix() for p in render(PluginNames("parcel_sms"))}
    assert plain < files
    assert {f"scrm_parcel_sms/{name}" for name in CHANNEL_FILES} | {"tests/test_parcel_sms_channel.py"} <= files
    plugin = (target / "scrm_parcel_sms/plugin.py").read_text(encoding="utf-8")
    assert "class ParcelSmsPlugin(ChannelPlugin):" in plugin
    for contract in ("capabilities = ", "rate_limit = ", "account_settings_model = ", "def deliver(",
                     "def handle_callback(", "def sandbox_app(", "def check_account("):
        assert contract in plugin, contract
    readme = (target / "README.md").read_text(encoding="utf-8")
    assert "## Install and enable" in readme and "## The channel" in readme
    assert check_path(target) == []  # the import rules of scrm plugin check


def test_without_the_flag_no_channel_file_is_written(tmp_path):
    assert new("parcel_sms", "--dir", str(tmp_path)).exit_code == 0
    package = tmp_path / "scrm-parcel-sms" / "scrm_parcel_sms"
    assert not (package / "sandbox.py").exists() and not (package / "callbacks.py").exists()
    assert "class ParcelSmsPlugin(Plugin):" in (package / "plugin.py").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_scaffolded_channel_installs_and_its_own_tests_pass(tmp_path):
    _require_build_tools()
    _remove_leftovers()
    name = f"{TEST_PREFIX}{uuid.uuid4().hex[:8]}"
    target = tmp_path / PluginNames(name).distribution
    created = new(name, "--channel", "--dir", str(tmp_path))
    assert created.exit_code == 0 and f"created {target}" in created.output, created.output

    run = lint_install_and_test(target, name, tmp_path)
    assert "skipped" not in run.stdout and "failed" not in run.stdout, run.stdout[-2000:]
    written = sum(p.read_text(encoding="utf-8").count("\ndef test_") for p in (target / "tests").glob("test_*.py"))
    passed = re.search(r"(\d+) passed", run.stdout)
    assert passed and int(passed.group(1)) >= written >= 20, run.stdout[-2000:]  # the channel's tests ran too
