"""Hook API v1: every hook a plugin may implement.

Each spec is a bare function whose arguments are passed by keyword; an implementation may accept any subset of them,
so arguments can be added later without breaking plugins. Three kinds:

* global hooks are called once per application, whatever the tenants enable;
* contribution hooks are called for the plugins enabled for one tenant, robustly: an implementation that raises is
  logged and skipped, and the page or job goes on;
* decision hooks are called for the enabled plugins too, but fail fast, and stop at the first non-None result.

Lifecycle hooks of a tenant (``plugin_enabled``, ``plugin_disabled``, ``customer_merged``, ``demo_data``) fail fast as
well: they take part in the transaction of the change.
"""

from __future__ import annotations

import pluggy

HOOK_API_VERSION = "1.0"
PROJECT = "scrm"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

# ---------------------------------------------------------------------------------------------------------------------
# Global: called once per application
# ---------------------------------------------------------------------------------------------------------------------


@hookspec
def register_routes():
    """Return a Flask ``Blueprint`` of tenant pages, or None.

    The host mounts it at ``/t/<tenant>/<plugin>/`` and answers 404 for tenants that have not enabled the plugin.
    ``g.tenant`` and ``g.db`` are set for every request.

    Example::

        from flask import Blueprint, render_template
        from scrm.sdk import Plugin, hookimpl
        from scrm.sdk.web import current_tenant, role_required, STAFF

        bp = Blueprint("parcel", __name__, template_folder="templates")


        @bp.get("/")
        @role_required(*STAFF)
        def index():
            return render_template("parcel/index.html", tenant=current_tenant())


        class ParcelPlugin(Plugin):
            @hookimpl
            def register_routes(self):
                return bp  # served at /t/<tenant>/parcel/
    """


@hookspec
def register_public_routes():
    """Return a Flask ``Blueprint`` of public, customer-facing pages (share pages, claim pages, landing pages), or
    None. Give it a name of its own (not the one of the ``register_routes`` blueprint).

    The host mounts it at ``/p/<tenant>/<plugin>/``, outside the admin sign-in: no user is signed in
    (``current_user()`` is None) and no role is checked. The tenant comes from the URL (``current_tenant()``, its time
    zone set); an unknown or deactivated tenant, or one that has not enabled the plugin, answers 404, and so does every
    error of these pages, in the phone layout. ``g.tenant`` and ``g.db`` are set; the plugin checks that every row it
    shows belongs to ``current_tenant()``. Writes (POST) need the form's CSRF token as everywhere else
    (``{{ csrf_token() }}``). Templates extend the host's phone layout ``phone.html`` (blocks ``title``,
    ``content``); ``scrm.sdk.web.public_url(tenant, plugin, path)`` builds a page's absolute address for links,
    QR codes and messages.

    Example::

        from flask import Blueprint, abort, render_template
        from scrm.sdk import Plugin, hookimpl
        from scrm.sdk.web import current_tenant, db

        public = Blueprint("parcel_public", __name__, template_folder="templates")


        @public.get("/track/<code>")
        def track(code):
            parcel = db().exec(select(Parcel).where(Parcel.tenant_id == current_tenant().id,
                                                    Parcel.tracking == code)).first()
            if parcel is None:
                abort(404)  # the phone layout's "page not found"
            return render_template("parcel/track.html", parcel=parcel)  # {% extends "phone.html" %}


        class ParcelPlugin(Plugin):
            @hookimpl
            def register_public_routes(self):
                return public  # served at /p/<tenant>/parcel/track/<code>, no sign-in
    """


@hookspec
def register_api():
    """Return a Flask ``Blueprint`` of REST endpoints, or None.

    The host mounts it at ``/api/v1/<plugin>/``, authenticates the tenant API token and answers 404 when the plugin is
    disabled for the token's tenant.

    Example::

        from flask import Blueprint, jsonify
        from sqlmodel import func, select
        from scrm.sdk.web import current_tenant, db

        api = Blueprint("parcel_api", __name__)


        @api.get("/parcels/count")
        def parcel_count():
            query = select(func.count()).select_from(Parcel).where(Parcel.tenant_id == current_tenant().id)
            return jsonify({"count": db().exec(query).one()})


        @hookimpl
        def register_api(self):
            return api  # GET /api/v1/parcel/parcels/count with a tenant API token
    """


# ---------------------------------------------------------------------------------------------------------------------
# Tenant lifecycle: fail fast, part of the enabling transaction
# ---------------------------------------------------------------------------------------------------------------------


@hookspec
def plugin_enabled(tenant, settings, session):
    """The plugin was enabled for ``tenant`` with validated ``settings`` (a dict). Seed the tenant's data here.

    Only the plugin being enabled is called. Raising aborts the enabling.

    Example::

        @hookimpl
        def plugin_enabled(self, tenant, settings, session):
            # seed the tenant's first carrier from the validated settings
            session.add(Carrier(tenant_id=tenant.id, name=settings["default_carrier"]))
    """


@hookspec
def plugin_disabled(tenant, session):
    """The plugin was disabled for ``tenant``. Its data stays; stop what it was doing for the tenant.

    Example::

        from scrm.sdk import cancel_schedule


        @hookimpl
        def plugin_disabled(self, tenant, session):
            cancel_schedule(session, f"parcel:digest:{tenant.id}")  # rows stay; the daily digest stops
    """


@hookspec
def demo_data(tenant, session, demo):
    """Seed the plugin's part of the demo brand ``tenant`` (``scrm demo``); must be idempotent (called on every run).

    ``demo`` is a ``DemoContext``: ``demo.serve()`` serves the platform, with the channel sandboxes mounted, at the
    demo address and returns its base URL (for API bases and callback URLs); ``demo.sandbox_url(plugin)`` is where a
    channel's sandbox answers; ``demo.wait_for_jobs()`` waits until the jobs enqueued so far have run. The plugin may
    commit ``session`` (its jobs must see its rows). Raising stops ``scrm demo`` with the error.

    Example::

        @hookimpl
        def demo_data(self, tenant, session, demo):
            if session.exec(select(Parcel).where(Parcel.tenant_id == tenant.id)).first() is None:  # idempotent
                session.add(Parcel(tenant_id=tenant.id, tracking="SF0001", carrier="SF"))
    """


@hookspec
def customer_merged(tenant, survivor_id, merged_id, session):
    """Customer ``merged_id`` was merged into ``survivor_id``: move the plugin's rows that point to the merged customer.

    Called in the merge transaction for the enabled plugins; raising aborts the merge.

    Example::

        from sqlalchemy import update


        @hookimpl
        def customer_merged(self, tenant, survivor_id, merged_id, session):
            session.execute(update(Parcel).where(Parcel.tenant_id == tenant.id, Parcel.customer_id == merged_id)
                            .values(customer_id=survivor_id))
    """


# ---------------------------------------------------------------------------------------------------------------------
# Contributions: robust, called for the enabled plugins only
# ---------------------------------------------------------------------------------------------------------------------


@hookspec
def menu_items(tenant, user):
    """Return a list of ``MenuItem`` for the admin navigation of ``tenant`` as seen by ``user``.

    Each item names the host's group it belongs to (``group="members.customers"``, ``"ops.wecom"``, ... the README
    lists the keys) and its ``order`` within it; an item without a known group lands in the ``other`` group.

    Example::

        from flask_babel import lazy_gettext as _l
        from scrm.sdk import MenuItem


        @hookimpl
        def menu_items(self, tenant, user):
            return [MenuItem(_l("Parcels"), "parcel.index", group="members.customers", order=60, icon="truck")]
    """


@hookspec
def dashboard_cards(tenant, user, session):
    """Return a list of ``DashboardCard`` for the tenant's home page.

    Example::

        from scrm.sdk import DashboardCard


        @hookimpl
        def dashboard_cards(self, tenant, user, session):
            shipped = session.exec(select(func.count()).select_from(Parcel).where(Parcel.tenant_id == tenant.id)).one()
            return [DashboardCard(_l("Parcels shipped"), str(shipped), endpoint="parcel.index")]
    """


@hookspec
def todo_items(tenant, user, session):
    """Return a list of ``TodoItem``: today's open tasks of ``user`` (the signed-in account) for the home page's
    to-do list. Give only tasks assigned to this user that are in progress and due or running today (the tenant's
    day); the host sorts and counts them. The list is read when the page loads (no live refresh).

    Example::

        from scrm.sdk import TodoItem


        @hookimpl
        def todo_items(self, tenant, user, session):
            calls = session.exec(select(CallBack).where(CallBack.tenant_id == tenant.id,
                                                        CallBack.user_id == user.id, CallBack.done_at.is_(None)))
            return [TodoItem(_l("Call back %(name)s", name=c.name), c.due_at, c.created_at,
                             url_for("parcel.call", tenant=tenant.slug, call_id=c.id), _l("Customer follow-up"))
                    for c in calls]
    """


@hookspec
def calendar_entries(tenant, start, end, session):
    """Return a list of ``CalendarEntry``: what is planned between the dates ``start`` and ``end`` (inclusive, the
    tenant's days) for the marketing calendar (activity plans, schedules, campaigns and scheduled sends).

    Example::

        from scrm.sdk import CalendarEntry


        @hookimpl
        def calendar_entries(self, tenant, start, end, session):
            return [CalendarEntry(s.day, s.title, "campaign", url_for("parcel.sale", tenant=tenant.slug, sale_id=s.id))
                    for s in session.exec(select(Sale).where(Sale.tenant_id == tenant.id,
                                                             Sale.day.between(start, end)))]
    """


@hookspec
def audience_filters(tenant):
    """Return a list of ``FilterType``: condition types the audience builder offers and compiles to SQL.

    Example::

        from scrm.sdk import Customer, FilterType


        def received_parcel(values, ctx):
            receivers = select(Parcel.customer_id).where(Parcel.tenant_id == ctx.tenant_id)
            return Customer.id.in_(receivers) if values and values[0] else Customer.id.not_in(receivers)


        @hookimpl
        def audience_filters(self, tenant):
            return [FilterType("parcel_received", _l("Received a parcel"), received_parcel, "bool", plugin="parcel")]
    """


@hookspec
def customer_panels(tenant, customer, user, session):
    """Return a list of ``ProfilePanel`` for the 360 profile of ``customer`` (a core ``Customer``): the plugin's view
    of that customer (orders, friends, group chats, ...).

    Example::

        from flask import render_template
        from scrm.sdk import ProfilePanel


        @hookimpl
        def customer_panels(self, tenant, customer, user, session):
            parcels = session.exec(select(Parcel).where(Parcel.tenant_id == tenant.id,
                                                        Parcel.customer_id == customer.id)).all()
            return [ProfilePanel(_l("Parcels"), render_template("parcel/panel.html", parcels=parcels), order=50)]
    """


@hookspec
def timeline_entries(tenant, events, session):
    """Return a list of ``TimelineEntry`` for those of ``events`` (``CustomerEvent`` rows) the plugin wrote.

    The profile shows each event with the entry its plugin returned, and falls back to the event's summary.

    Example::

        from flask_babel import gettext as _
        from markupsafe import escape
        from scrm.sdk import TimelineEntry


        @hookimpl
        def timeline_entries(self, tenant, events, session):
            # rows written with scrm.sdk.timeline.add_entry(session, SHIPPED, ..., carrier="SF")
            return [TimelineEntry(e.id, str(_("Parcel shipped with %(carrier)s", carrier=escape(e.data.get("carrier")))),
                                  "truck")
                    for e in events if e.plugin == "parcel" and e.kind == "shipped"]
    """


@hookspec
def customer_columns(tenant, customer_ids, session):
    """Return a list of ``CustomerColumn``: display values the plugin holds about some of ``customer_ids`` (member
    level, lifecycle stage, ...), for list pages that other plugins render (one call per page, never per row).

    A customer without a value is left out of the column's ``values``; a page must render without the column.

    Example::

        from scrm.sdk import CustomerColumn


        @hookimpl
        def customer_columns(self, tenant, customer_ids, session):
            counts = session.exec(select(Parcel.customer_id, func.count())
                                  .where(Parcel.tenant_id == tenant.id, Parcel.customer_id.in_(customer_ids))
                                  .group_by(Parcel.customer_id)).all()
            return [CustomerColumn("parcels", _l("Parcels"), {customer_id: str(n) for customer_id, n in counts})]
    """


@hookspec
def tag_sources(tenant):
    """Return a list of ``TagSource``: the tag sources the plugin owns (``TagGroup.source`` / ``Tag.source``, e.g.
    ``'wecom'`` for synced WeCom corp tags). The tag screens list them in a tab of their own and send every change
    of such a tag to the plugin's ``manage_endpoint``; they never edit a channel's tags locally.

    Example::

        from scrm.sdk import TagSource


        @hookimpl
        def tag_sources(self, tenant):
            # tags with source "parcel" are listed in their own tab; edits go to the parcel.carrier_tags page
            return [TagSource("parcel", _l("Carrier tags"), "parcel.carrier_tags")]
    """


@hookspec
def message_templates(tenant, session):
    """Return a list of ``MessageTemplate``: the approved templated messages a channel plugin offers ``tenant``'s
    features (an SMS template approved at the carrier with its signature, on one of the tenant's accounts), so that
    a feature of another plugin can send one through ``send_message`` without importing the channel.

    Offer only what can be sent now (approved, on an active account of this tenant); each choice builds its own
    ``OutboundMessage`` from the variable values (``choice.message(values)``). Features list the choices through
    ``scrm.sdk.message_templates.offered`` and look a stored ``choice.key`` up again at send time
    (``scrm.sdk.message_templates.find``): a disabled plugin is not asked, so its templates are neither offered
    nor sent.

    Example::

        from scrm.sdk import MessageTemplate, OutboundMessage


        @hookimpl
        def message_templates(self, tenant, session):
            rows = session.exec(select(Notice).where(Notice.tenant_id == tenant.id, Notice.approved))
            return [MessageTemplate("parcel", row.account_id, str(row.id), row.name, row.body, ("code",),
                                    lambda values, row=row: OutboundMessage("template", {
                                        "template_id": row.vendor_code, "params": {"code": values.get("code")}}),
                                    purpose="parcel_notice")
                    for row in rows]
    """


@hookspec
def domain_event(event, session):
    """Handle one domain ``event`` (a ``DomainEvent``) of a tenant that enabled the plugin.

    Delivery is at least once: use ``event.event_id`` to stay idempotent. The session commits when the hook returns;
    raising rolls it back and the delivery is retried with backoff.

    Example::

        from scrm.sdk import EventTypes


        @hookimpl
        def domain_event(self, event, session):
            if event.type != EventTypes.CUSTOMER_CREATED:
                return
            if session.get(WelcomeParcel, event.event_id) is None:  # at least once: keyed by the event id
                session.add(WelcomeParcel(event_id=event.event_id, tenant_id=event.tenant_id,
                                          customer_id=event.payload["customer_id"]))
    """


# ---------------------------------------------------------------------------------------------------------------------
# Decisions: fail fast, first non-None result wins
# ---------------------------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def customer_exclusion_reason(tenant, customer_id, purpose, session):
    """Return a reason (str) why ``customer_id`` must not be reached for ``purpose`` (e.g. 'mass_send', 'redpacket'),
    or None. The blacklist answers here.

    Example::

        @hookimpl
        def customer_exclusion_reason(self, tenant, customer_id, purpose, session):
            if purpose == "mass_send" and session.exec(select(OptOut).where(
                    OptOut.tenant_id == tenant.id, OptOut.customer_id == customer_id)).first() is not None:
                return "opted out of parcel news"
            return None  # no objection: the next plugin is asked
    """


@hookspec
def customer_exclusion_reasons(tenant, customer_ids, purpose, session):
    """The batch form of ``customer_exclusion_reason``, asked by the bulk outbound path (``plan_bulk_send``) once per
    chunk of about 1,000 customers. Return a dict {customer_id: reason} of the customers in ``customer_ids`` that must
    not be reached for ``purpose`` (others absent). Optional: a plugin that implements only the single form is asked
    customer by customer; one that implements both must give the same answers through each.

    Example::

        @hookimpl
        def customer_exclusion_reasons(self, tenant, customer_ids, purpose, session):
            if purpose != "mass_send":
                return {}
            opted_out = session.exec(select(OptOut.customer_id).where(
                OptOut.tenant_id == tenant.id, OptOut.customer_id.in_(customer_ids))).all()
            return {customer_id: "opted out of parcel news" for customer_id in opted_out}
    """


@hookspec
def customer_exclusion_query(tenant, purpose, session):
    """The set form of ``customer_exclusion_reason``, asked by the set-based bulk outbound path (``plan_bulk_set``)
    once per chunk. Return a SQL ``Select`` of two columns, the customer id and the reason (a string expression), of
    the tenant's customers that must not be reached for ``purpose``, or None when the plugin objects to no one for
    it. The path joins it to the audience in the database (no customer id passes through Python). Optional: a plugin
    without it is asked through ``customer_exclusion_reasons`` / ``customer_exclusion_reason`` for each chunk's
    queued customers; one that implements it must give the same answers as its other forms.

    Example::

        @hookimpl
        def customer_exclusion_query(self, tenant, purpose, session):
            if purpose != "mass_send":
                return None
            return select(OptOut.customer_id, literal("opted out of parcel news")).where(
                OptOut.tenant_id == tenant.id)
    """


@hookspec(firstresult=True)
def customer_may_win(tenant, customer_id, win_rate, session):
    """Return False when ``customer_id`` must not win a draw whose win rate is ``win_rate`` (a fraction; 1 means
    everyone wins), or None for no objection. Asked through ``scrm.sdk.participation.may_win`` by any campaign that
    draws winners (lotteries, red-packet rain); the blacklist answers here ("takes part but never wins").

    Example::

        @hookimpl
        def customer_may_win(self, tenant, customer_id, win_rate, session):
            if win_rate < 1 and session.get(Suspended, (tenant.id, customer_id)) is not None:
                return False
            return None  # no objection: the next plugin is asked
    """


GLOBAL_HOOKS = frozenset({"register_routes", "register_public_routes", "register_api"})
LIFECYCLE_HOOKS = frozenset({"plugin_enabled", "plugin_disabled", "customer_merged", "demo_data"})
CONTRIBUTION_HOOKS = frozenset({"menu_items", "dashboard_cards", "audience_filters", "customer_panels",
                                "timeline_entries", "customer_columns", "tag_sources", "domain_event",
                                "todo_items", "calendar_entries", "message_templates"})
DECISION_HOOKS = frozenset({"customer_exclusion_reason", "customer_exclusion_reasons", "customer_exclusion_query",
                            "customer_may_win"})
TENANT_HOOKS = LIFECYCLE_HOOKS | CONTRIBUTION_HOOKS | DECISION_HOOKS


def hook_names() -> list[str]:
    """Every hook of API v1."""
    return sorted(GLOBAL_HOOKS | TENANT_HOOKS)
