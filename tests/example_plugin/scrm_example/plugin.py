"""The example plugins: ``example`` implements every tenant hook; ``example_future`` needs a hook API the host does
not provide; ``example_broken`` raises in its contribution hooks."""

from __future__ import annotations

from markupsafe import escape
from pydantic import BaseModel, Field
from sqlalchemy import exists, func, select, update

from scrm.sdk import (
    Customer,
    CustomerColumn,
    DashboardCard,
    EventTypes,
    FilterType,
    MenuItem,
    Plugin,
    ProfilePanel,
    TagSource,
    TimelineEntry,
    hookimpl,
)

from .models import ExampleNote

OPT_OUT = "opt-out"
TODO, PLAN = "todo:", "plan:"  # notes that become to-dos and calendar entries
TEMPLATE = "tpl:"  # a note "tpl:<channel account id>:<content>" offers a templated message on that account
NO_PRIZES = "no-prizes"  # a note that keeps the customer from winning draws below 100 %


class ExampleSettings(BaseModel):
    greeting: str = Field("Hello", min_length=1, max_length=40, title="Greeting",
                          description="Shown above the notes")
    max_notes: int = Field(100, ge=1, le=1000, title="Most notes", description="Notes kept per tenant")


def _has_notes(values, ctx):
    wanted = {str(v).lower() in ("1", "true", "yes") for v in values}
    clause = exists().where(ExampleNote.customer_id == Customer.id)
    return clause if wanted == {True} else ~clause if wanted == {False} else Customer.id.isnot(None)


class ExamplePlugin(Plugin):
    title = "Notes"
    description = "Notes about customers (the example plugin of the host's tests)."
    hidden = True  # a test plugin: platform admins only see it on a tenant's plugins page and menu
    settings_model = ExampleSettings
    permissions = ("example.write",)

    @hookimpl
    def register_routes(self):
        from .views import bp

        return bp

    @hookimpl
    def register_public_routes(self):
        from .public import bp

        return bp

    @hookimpl
    def register_api(self):
        from .api import bp

        return bp

    @hookimpl
    def plugin_enabled(self, tenant, settings, session):
        session.add(ExampleNote(tenant_id=tenant.id, body=f"{settings['greeting']}, {tenant.name}", source="system"))

    @hookimpl
    def plugin_disabled(self, tenant, session):
        session.add(ExampleNote(tenant_id=tenant.id, body="disabled", source="system"))

    @hookimpl
    def demo_data(self, tenant, session, demo):
        seeded = session.execute(select(ExampleNote.id).where(ExampleNote.tenant_id == tenant.id,
                                                              ExampleNote.source == "demo")).first()
        if seeded is None:
            session.add(ExampleNote(tenant_id=tenant.id, body=f"Welcome to the {tenant.name} demo", source="demo"))

    @hookimpl
    def customer_merged(self, tenant, survivor_id, merged_id, session):
        session.execute(update(ExampleNote).where(ExampleNote.tenant_id == tenant.id,
                                                  ExampleNote.customer_id == merged_id).values(customer_id=survivor_id))

    @hookimpl
    def menu_items(self, tenant, user):
        return [MenuItem("Notes", "example.index", order=50)]

    @hookimpl
    def dashboard_cards(self, tenant, session):
        count = session.execute(select(func.count()).select_from(ExampleNote)
                                .where(ExampleNote.tenant_id == tenant.id)).scalar_one()
        return DashboardCard("Notes", str(count), "written", "example.index", order=50)

    @hookimpl
    def audience_filters(self, tenant):
        return [FilterType("example_has_notes", "Has notes", _has_notes, "bool", "interaction", plugin="example")]

    @hookimpl
    def customer_panels(self, tenant, customer, session):
        notes = session.execute(select(ExampleNote.body).where(
            ExampleNote.tenant_id == tenant.id, ExampleNote.customer_id == customer.id)).scalars().all()
        items = "".join(f"<li>{escape(n)}</li>" for n in notes)
        return ProfilePanel("Notes", f'<ul data-testid="example-notes">{items}</ul>', order=50, key="example")

    @hookimpl
    def timeline_entries(self, tenant, events, session):
        return [TimelineEntry(e.id, f"<strong>Note</strong> {escape(e.summary)}", "note")
                for e in events if e.plugin == "example"]

    @hookimpl
    def customer_columns(self, tenant, customer_ids, session):
        counts = session.execute(select(ExampleNote.customer_id, func.count()).where(
            ExampleNote.tenant_id == tenant.id, ExampleNote.customer_id.in_(customer_ids))
            .group_by(ExampleNote.customer_id)).all()
        return CustomerColumn("example_notes", "Notes", {customer_id: str(n) for customer_id, n in counts}, order=50)

    @hookimpl
    def tag_sources(self, tenant):
        return TagSource("example", "Example tags", "example.index", order=50)

    @hookimpl
    def domain_event(self, event, session):
        if event.type != EventTypes.CUSTOMER_CREATED:
            return
        session.add(ExampleNote(tenant_id=event.tenant_id, body=f"customer #{event.payload['customer_id']} created",
                                source="event", customer_id=event.payload["customer_id"], event_id=event.event_id))

    @hookimpl
    def customer_exclusion_reason(self, tenant, customer_id, purpose, session):
        opted_out = session.execute(select(ExampleNote.id).where(
            ExampleNote.tenant_id == tenant.id, ExampleNote.customer_id == customer_id,
            ExampleNote.body == OPT_OUT)).first()
        return "the customer opted out in a note" if opted_out else None

    @hookimpl
    def customer_exclusion_reasons(self, tenant, customer_ids, purpose, session):
        opted_out = session.execute(select(ExampleNote.customer_id).where(
            ExampleNote.tenant_id == tenant.id, ExampleNote.customer_id.in_(list(customer_ids)),
            ExampleNote.body == OPT_OUT)).scalars()
        return {customer_id: "the customer opted out in a note" for customer_id in opted_out}

    @hookimpl
    def customer_exclusion_query(self, tenant, purpose, session):
        from sqlalchemy import literal

        return select(ExampleNote.customer_id, literal("the customer opted out in a note")).where(
            ExampleNote.tenant_id == tenant.id, ExampleNote.body == OPT_OUT, ExampleNote.customer_id.is_not(None))

    @hookimpl
    def todo_items(self, tenant, user, session):
        """A note "todo:<text>" of source "user:<id>" is a task of that user ending today at 18:00 (the tenant's)."""
        from datetime import time

        from scrm.sdk import TodoItem, local_datetime, local_today, utcnow

        ends = local_datetime(local_today(), time(18))
        notes = session.execute(select(ExampleNote).where(
            ExampleNote.tenant_id == tenant.id, ExampleNote.body.startswith(TODO),
            ExampleNote.source == f"user:{user.id}")).scalars()
        return [TodoItem(n.body[len(TODO):], ends, n.created_at or utcnow(), f"/t/{tenant.slug}/example/",
                         "Example task") for n in notes]

    @hookimpl
    def calendar_entries(self, tenant, start, end, session):
        """A note "plan:YYYY-MM-DD:<title>" puts a schedule entry on that day."""
        from datetime import date

        from scrm.sdk import CalendarEntry

        entries = []
        for body in session.execute(select(ExampleNote.body).where(
                ExampleNote.tenant_id == tenant.id, ExampleNote.body.startswith(PLAN))).scalars():
            day, _sep, title = body[len(PLAN):].partition(":")
            when = date.fromisoformat(day)
            if start <= when <= end:
                entries.append(CalendarEntry(when, title, "schedule"))
        return entries

    @hookimpl
    def message_templates(self, tenant, session):
        """A note "tpl:<account id>:<content>" offers a templated text message on that channel account; its
        ``${variables}`` are filled by the sender's values."""
        import re

        from scrm.sdk import MessageTemplate, OutboundMessage

        def builder(content):
            return lambda values: OutboundMessage.text(re.sub(r"\$\{(\w+)\}",
                                                              lambda m: str(values.get(m.group(1), "")), content))

        offers = []
        for note_id, body in session.execute(select(ExampleNote.id, ExampleNote.body).where(
                ExampleNote.tenant_id == tenant.id, ExampleNote.body.startswith(TEMPLATE))).all():
            account, _sep, content = body[len(TEMPLATE):].partition(":")
            if account.isdigit():
                offers.append(MessageTemplate("example", int(account), str(note_id), f"Note {note_id}", content,
                                              tuple(dict.fromkeys(re.findall(r"\$\{(\w+)\}", content))),
                                              builder(content), purpose="example_notice"))
        return offers

    @hookimpl
    def customer_may_win(self, tenant, customer_id, win_rate, session):
        no_prizes = session.execute(select(ExampleNote.id).where(
            ExampleNote.tenant_id == tenant.id, ExampleNote.customer_id == customer_id,
            ExampleNote.body == NO_PRIZES)).first()
        return False if no_prizes and win_rate < 1 else None


class FuturePlugin(Plugin):
    """Written for a hook API this host does not provide: blocked at start with the reason."""

    title = "Notes 2"
    hidden = True
    api = ">=2,<3"
    migrations_folder = None

    @hookimpl
    def menu_items(self, tenant, user):  # pragma: no cover - never registered
        return [MenuItem("Future", "example.index")]


class BrokenPlugin(Plugin):
    """Its contribution hooks raise: pages render without it, and the failure is recorded on its record."""

    title = "Broken"
    hidden = True
    migrations_folder = None

    @hookimpl
    def menu_items(self, tenant, user):
        raise RuntimeError("menu exploded")

    @hookimpl
    def dashboard_cards(self, tenant, session):
        raise RuntimeError("card exploded")
