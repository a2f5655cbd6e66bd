"""The plugin's tables (named ``sms_...``), one import per feature area so that alembic sees them all.

Each area has its own migration branch in ``migrations/versions`` (``sms_0001``: the unsubscribe list)."""

from __future__ import annotations

from .bulk.models import SmsBulkSend  # noqa: F401  (bulk sends, branch sms_bulk)
from .optout.models import SmsUnsubscribe  # noqa: F401  (opt-out, branch sms_0001)
from .quota.models import SmsQuota, SmsQuotaHold, SmsRecharge  # noqa: F401  (quota, branch sms_quota)
from .signatures.models import SmsSignature  # noqa: F401  (signatures, branch sms_templates)
from .smstemplates.models import SmsTemplate  # noqa: F401  (templates, branch sms_templates)
