"""The language of app messages. Jobs have no request, so Flask-Babel's ``gettext`` would answer English: messages
to employees are written in the platform's default language (Chinese) from the plugin's own catalogue instead."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.support import NullTranslations, Translations

MESSAGE_LOCALE = "zh_CN"
_DIRECTORY = Path(__file__).resolve().parent.parent / "translations"


@lru_cache(maxsize=4)
def _catalogue(locale: str) -> NullTranslations:
    return Translations.load(str(_DIRECTORY), [str(Locale.parse(locale))], domain="messages")


def translator(locale: str = MESSAGE_LOCALE) -> Callable[..., str]:
    """``gettext`` of ``locale`` with Flask-Babel's ``%(name)s`` formatting. Bind it to ``_`` where it is used
    (``_ = translator()``) so that the catalogue extraction finds the strings."""
    catalogue = _catalogue(locale)

    def translate(text: str, **variables: object) -> str:
        result = catalogue.gettext(text)
        return result % variables if variables else result

    return translate
