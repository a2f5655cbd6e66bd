"""Mass sends on the home page's marketing calendar (members-1 R5: a day with a marketing campaign shows a dot): each
send on the tenant's day it is (or was) sent: its scheduled time, else its creation."""

from __future__ import annotations

from datetime import date, timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlmodel import Session

from scrm.sdk import CalendarEntry, local, local_midnight

from .models import FAILED, MassSend

TITLE_CHARS = 20


def calendar_entries(tenant, start: date, end: date, session: Session) -> list[CalendarEntry]:
    since, until = local_midnight(start), local_midnight(end + timedelta(days=1))
    when = func.coalesce(MassSend.scheduled_at, MassSend.created_at)
    rows = session.execute(select(MassSend).where(
        MassSend.tenant_id == tenant.id, MassSend.status != FAILED, when >= since, when < until)).scalars()
    return [CalendarEntry(local(row.scheduled_at or row.created_at).date(),
                          _("Official account mass send: %(text)s",
                            text=(row.material_name or row.text)[:TITLE_CHARS]), "campaign",
                          url_for("official_account.masssend.detail", tenant=tenant.slug, mass_send_id=row.id))
            for row in rows]
