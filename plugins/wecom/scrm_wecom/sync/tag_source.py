"""The WeCom corp tags as a tag source (the ``tag_sources`` hook): the members' tag screen shows them in a tab of their
own and sends every change to the corp-tag page here (``wecom.sync.tags``), where WeCom is called first."""

from __future__ import annotations

from flask_babel import gettext as _

from scrm.sdk import TagSource

from .wecom_tags import SOURCE

ORDER = 30


def tag_sources(tenant) -> list[TagSource]:
    """One source: ``Tag.source == "wecom"``, titled "WeCom tags", managed on ``wecom.sync.tags``."""
    return [TagSource(SOURCE, _("WeCom tags"), "wecom.sync.tags", order=ORDER)]
