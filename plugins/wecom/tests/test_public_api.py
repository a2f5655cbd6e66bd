"""The public API of ``scrm_wecom`` for the plugins that require WeCom: every exported name exists and is
documented, and nothing else is offered as public."""

from __future__ import annotations

import inspect

import pytest
import scrm_wecom


@pytest.mark.parametrize("name", scrm_wecom.__all__)
def test_every_exported_name_exists_and_is_documented(name):
    value = getattr(scrm_wecom, name)
    doc = value.__dict__.get("__doc__") if inspect.isclass(value) else getattr(value, "__doc__", None)
    assert doc and doc.strip(), f"scrm_wecom.{name} has no docstring"
    assert not doc.startswith(f"{value.__name__}("), f"scrm_wecom.{name} has only a generated dataclass docstring"
    assert name in scrm_wecom.__doc__, f"the package docstring does not list {name}"


def test_the_api_covers_what_the_next_channels_need():
    needed = {"WeComClient", "Follow", "GroupChat", "GroupMember", "corp_tags", "queue_app_message"}
    assert needed <= set(scrm_wecom.__all__)
    assert scrm_wecom.WeComClient.for_account.__doc__


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'client_for_everything'"):
        scrm_wecom.client_for_everything  # noqa: B018
