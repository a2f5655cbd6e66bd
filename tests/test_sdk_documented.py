"""Every public name of the SDK is documented: what a third-party author learns from the documentation alone."""

from __future__ import annotations

import inspect
import types

import pytest

import scrm.sdk
import scrm.sdk.timeline
import scrm.sdk.web

MODULES = (scrm.sdk, scrm.sdk.web, scrm.sdk.timeline)


def public_names(module: types.ModuleType) -> list[str]:
    """The module's ``__all__``; without one, every name not starting with an underscore that the module defines."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items() if not n.startswith("_") and getattr(v, "__module__", "") ==
                 module.__name__]
    return sorted(names)


def own_docstring(value) -> str:
    """The docstring written for ``value`` itself: a class's own (not inherited, not the one dataclasses generate),
    a function's or module's."""
    if inspect.isclass(value):
        doc = value.__dict__.get("__doc__") or ""
        return "" if doc.startswith(f"{value.__name__}(") else doc
    return getattr(value, "__doc__", None) or ""


def documented(module: types.ModuleType, name: str) -> bool:
    value = getattr(module, name)
    if inspect.isclass(value) or inspect.isroutine(value) or inspect.ismodule(value) or callable(value):
        return bool(own_docstring(value).strip())
    # a constant (a string, a tuple of roles, a ContextVar) carries no docstring: the module's docstring says it
    return f"``{name}``" in (module.__doc__ or "")


CASES = [(m, n) for m in MODULES for n in public_names(m)]


@pytest.mark.parametrize("module, name", CASES, ids=[f"{m.__name__}.{n}" for m, n in CASES])
def test_every_public_name_is_documented(module, name):
    assert hasattr(module, name), f"{module.__name__}.__all__ lists {name}, which it does not define"
    assert documented(module, name), f"{module.__name__}.{name} has no docstring"


def test_the_check_fails_on_a_name_without_a_docstring():
    module = types.ModuleType("sample", "Constants: ``LIMIT``.")

    class Bare:
        pass

    def bare():
        pass

    module.Bare, module.bare, module.LIMIT, module.OTHER, module.__all__ = Bare, bare, 3, 4, []
    assert not documented(module, "Bare") and not documented(module, "bare") and not documented(module, "OTHER")
    assert documented(module, "LIMIT")


def test_platform_says_what_plugins_may_use():
    doc = scrm.sdk.web.platform.__doc__
    for attribute in ("secrets", "cache", "inbox", "hooks(session, tenant)", "plugin_enabled", "engine", "settings",
                      "registry"):
        assert f"``{attribute}" in doc, attribute
