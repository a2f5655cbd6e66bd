"""Messages core gives the host to translate: core imports neither Flask nor Babel.

Core never shows text itself. Where it names something a user reads (a filter type's label, why an audience cannot
be evaluated, a code's label) it gives a *message id*: the English source text, marked with ``N_`` so that it reads
as English in logs and the API, and a ``Message`` when the text has parameters. The host translates both at the
moment it renders (``scrm.hostapp.labels.translate``), in the user's language, through the host's catalogue, which
lists every core message id (``scrm.hostapp.labels.CORE_MESSAGES``; a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def N_(text: str) -> str:  # noqa: N802 - the conventional gettext_noop marker, extracted by babel
    """Marks ``text`` as a message id to translate later; returns it unchanged."""
    return text


@dataclass(frozen=True)
class Message:
    """A message id with its parameters: ``Message(N_("condition %(index)s: unknown type '%(type)s'"), {...})``.
    ``str()`` gives the English text (logs, API errors); the host renders it translated."""

    id: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.id % self.params if self.params else self.id


REGISTERED: list[str] = []


def message_ids(*ids: str) -> tuple[str, ...]:
    """Records message ids core uses (for the host's catalogue check) and returns them."""
    REGISTERED.extend(ids)
    return ids
