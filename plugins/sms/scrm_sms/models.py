"""The plugin's tables (named ``sms_...``), one import per feature area so that alembic sees them all.

Each area has its own migration branch in ``migrations/versions`` (``sms_0001``: the unsubscribe list)."""

from __future__ import annotations

from .optout.models import SmsUnsubscribe  # noqa: F401  (opt-out, branch sms_0001)
