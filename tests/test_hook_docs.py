"""The hook reference ``docs/hooks.md`` is generated from the hookspecs: each hook documented with a worked example
that is valid Python, and the committed file is what the generator writes today."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from click.testing import CliRunner

from scrm.core.plugins.hookspecs import hook_names
from scrm.hostapp.cli import main
from scrm.hostapp.hook_docs import render, spec_functions, split_example

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "hooks.md"


@pytest.mark.parametrize("name", hook_names())
def test_every_hookspec_has_a_contract_and_a_worked_example_that_parses(name):
    contract, example = split_example(inspect.getdoc(spec_functions()[name]) or "")
    assert contract, f"hook {name} has no documentation"
    assert example, f"hook {name} has no 'Example::' section"
    tree = ast.parse(example)  # a worked example is Python, not pseudo-code
    assert any(isinstance(n, ast.FunctionDef) and n.name == name for n in ast.walk(tree)), \
        f"the example of {name} does not implement it"


def test_the_committed_reference_is_what_the_hookspecs_generate():
    assert REFERENCE.read_text(encoding="utf-8") == render(), "docs/hooks.md is stale: run `scrm docs hooks`"


def test_the_reference_has_a_section_and_an_example_per_hook():
    text = render()
    for name in hook_names():
        section = text.split(f"### `{name}(", 1)
        assert len(section) == 2, name
        assert "```python" in section[1].split("### ", 1)[0], name


def test_the_command_writes_and_checks_the_reference(tmp_path):
    target = tmp_path / "hooks.md"
    runner = CliRunner()
    stale = runner.invoke(main, ["docs", "hooks", "--check", "--output", str(target)])
    assert stale.exit_code == 1 and "out of date" in stale.output
    written = runner.invoke(main, ["docs", "hooks", "--output", str(target)])
    assert written.exit_code == 0 and target.read_text(encoding="utf-8") == render()
    fresh = runner.invoke(main, ["docs", "hooks", "--check", "--output", str(target)])
    assert fresh.exit_code == 0 and "up to date" in fresh.output
