"""Bulk sends on the home page's marketing calendar (members-1 R5: a day with a marketing campaign shows a dot): each
send not cancelled, on the tenant's day it is (or was) sent: its scheduled time, else its creation."""

from __future__ import annotations

from datetime import date, timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlmodel import Session

from scrm.sdk import CalendarEntry, local, local_midnight

from .models import CANCELLED, SmsBulkSend

TITLE_CHARS = 20


def calendar_entries(tenant, start: date, end: date, session: Session) -> list[CalendarEntry]:
    since, until = local_midnight(start), local_midnight(end + timedelta(days=1))
    when = func.coalesce(SmsBulkSend.send_at, SmsBulkSend.created_at)
    rows = session.execute(select(SmsBulkSend).where(
        SmsBulkSend.tenant_id == tenant.id, SmsBulkSend.status != CANCELLED, when >= since, when < until)).scalars()
    return [CalendarEntry(local(row.send_at or row.created_at).date(),
                          _("SMS send: %(text)s", text=row.content[:TITLE_CHARS]), "campaign",
                          url_for("sms.bulk.detail", tenant=tenant.slug, bulk_id=row.id)) for row in rows]
