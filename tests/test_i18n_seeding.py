"""Seeded data is translated outside a request too, whatever other applications the process made and dropped."""

from __future__ import annotations

import gc

from flask import Flask
from flask_babel import lazy_gettext

from scrm.hostapp.i18n import init_i18n, seeding_language


def test_seeding_stays_chinese_after_a_short_lived_second_app_is_gone(app):
    second = Flask("second")
    init_i18n(second, [])  # e.g. a test's or a CLI command's own app, with no catalogues
    del second
    gc.collect()

    with seeding_language("zh_CN"):
        assert str(lazy_gettext("Customers")) == "客户"
    with seeding_language("en"):
        assert str(lazy_gettext("Customers")) == "Customers"
