"""The hook reference ``docs/hooks.md``, generated from the hookspecs so it cannot drift from them.

``scrm docs hooks`` writes it (``--check`` fails when the committed file differs); a test does the same comparison.
Every hookspec's docstring ends with an ``Example::`` section: a worked implementation, rendered as a Python block.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path

from scrm.core.plugins import hookspecs

#: where the reference lives in the repository
DEFAULT_PATH = Path("docs") / "hooks.md"
EXAMPLE_MARKER = "Example::"

KINDS: tuple[tuple[str, frozenset[str], str], ...] = (
    ("Global hooks", hookspecs.GLOBAL_HOOKS,
     "Called once per application, whatever the tenants enable."),
    ("Tenant lifecycle hooks", hookspecs.LIFECYCLE_HOOKS,
     "Called for one tenant, fail fast: they take part in the transaction of the change, and raising aborts it."),
    ("Contribution hooks", hookspecs.CONTRIBUTION_HOOKS,
     "Called for the plugins the tenant enabled, robustly: an implementation that raises is logged and skipped."),
    ("Decision hooks", hookspecs.DECISION_HOOKS,
     "Called for the plugins the tenant enabled, fail fast."),
)


def spec_functions() -> dict[str, Callable]:
    """Every hookspec function of API v1 by name."""
    return {name: getattr(hookspecs, name) for name in hookspecs.hook_names()}


def split_example(doc: str) -> tuple[str, str]:
    """A hookspec docstring (cleaned) as (contract text, example code); the example is empty when there is none."""
    text, marker, example = doc.partition(EXAMPLE_MARKER)
    if not marker:
        return doc.strip(), ""
    return text.strip(), inspect.cleandoc("\n" + example).strip()


def _firstresult(fn: Callable) -> bool:
    options = getattr(fn, f"{hookspecs.PROJECT}_spec", None) or {}
    return bool(options.get("firstresult"))


def _section(name: str, fn: Callable) -> list[str]:
    signature = ", ".join(inspect.signature(fn).parameters)
    contract, example = split_example(inspect.getdoc(fn) or "")
    notes = ["stops at the first non-None result"] if _firstresult(fn) else []
    out = [f"### `{name}({signature})`", ""]
    if notes:
        out += [f"*{'; '.join(notes).capitalize()}.*", ""]
    out += [re.sub(r"``([^`]+)``", r"`\1`", contract), ""]
    if example:
        out += ["Example:", "", "```python", example, "```", ""]
    return out


def render() -> str:
    """The Markdown text of the reference."""
    intro = re.sub(r"``([^`]+)``", r"`\1`", inspect.getdoc(hookspecs) or "")
    out = [f"# Hook reference (API {hookspecs.HOOK_API_VERSION})", "",
           "<!-- Generated from core/plugins/hookspecs.py by `scrm docs hooks`: edit the hookspecs, not this file. -->",
           "", intro, "",
           "A plugin implements a hook with a method of its plugin class decorated with `scrm.sdk.hookimpl`, "
           "accepting any subset of the hook's arguments (by name).", ""]
    functions = spec_functions()
    for title, names, summary in KINDS:
        out += [f"## {title}", "", summary, ""]
        for name in sorted(names):
            out += _section(name, functions[name])
    return "\n".join(out).rstrip("\n") + "\n"


def write(path: Path) -> bool:
    """Write the reference to ``path``; True when the file changed."""
    text = render()
    path = Path(path)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True
