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
    """


@hookspec
def register_api():
    """Return a Flask ``Blueprint`` of REST endpoints, or None.

    The host mounts it at ``/api/v1/<plugin>/``, authenticates the tenant API token and answers 404 when the plugin is
    disabled for the token's tenant.
    """


# ---------------------------------------------------------------------------------------------------------------------
# Tenant lifecycle: fail fast, part of the enabling transaction
# ---------------------------------------------------------------------------------------------------------------------


@hookspec
def plugin_enabled(tenant, settings, session):
    """The plugin was enabled for ``tenant`` with validated ``settings`` (a dict). Seed the tenant's data here.

    Only the plugin being enabled is called. Raising aborts the enabling.
    """


@hookspec
def plugin_disabled(tenant, session):
    """The plugin was disabled for ``tenant``. Its data stays; stop what it was doing for the tenant."""


@hookspec
def demo_data(tenant, session, demo):
    """Seed the plugin's part of the demo brand ``tenant`` (``scrm demo``); must be idempotent (called on every run).

    ``demo`` is a ``DemoContext``: ``demo.serve()`` serves the platform, with the channel sandboxes mounted, at the
    demo address and returns its base URL (for API bases and callback URLs); ``demo.sandbox_url(plugin)`` is where a
    channel's sandbox answers; ``demo.wait_for_jobs()`` waits until the jobs enqueued so far have run. The plugin may
    commit ``session`` (its jobs must see its rows). Raising stops ``scrm demo`` with the error.
    """


@hookspec
def customer_merged(tenant, survivor_id, merged_id, session):
    """Customer ``merged_id`` was merged into ``survivor_id``: move the plugin's rows that point to the merged customer.

    Called in the merge transaction for the enabled plugins; raising aborts the merge.
    """


# ---------------------------------------------------------------------------------------------------------------------
# Contributions: robust, called for the enabled plugins only
# ---------------------------------------------------------------------------------------------------------------------


@hookspec
def menu_items(tenant, user):
    """Return a list of ``MenuItem`` for the admin navigation of ``tenant`` as seen by ``user``.

    Each item names the host's group it belongs to (``group="members.customers"``, ``"ops.wecom"``, ... the README
    lists the keys) and its ``order`` within it; an item without a known group lands in the ``other`` group."""


@hookspec
def dashboard_cards(tenant, user, session):
    """Return a list of ``DashboardCard`` for the tenant's home page."""


@hookspec
def audience_filters(tenant):
    """Return a list of ``FilterType``: condition types the audience builder offers and compiles to SQL."""


@hookspec
def customer_panels(tenant, customer, user, session):
    """Return a list of ``ProfilePanel`` for the 360 profile of ``customer`` (a core ``Customer``): the plugin's view
    of that customer (orders, friends, group chats, ...)."""


@hookspec
def timeline_entries(tenant, events, session):
    """Return a list of ``TimelineEntry`` for those of ``events`` (``CustomerEvent`` rows) the plugin wrote.

    The profile shows each event with the entry its plugin returned, and falls back to the event's summary."""


@hookspec
def customer_columns(tenant, customer_ids, session):
    """Return a list of ``CustomerColumn``: display values the plugin holds about some of ``customer_ids`` (member
    level, lifecycle stage, ...), for list pages that other plugins render (one call per page, never per row).

    A customer without a value is left out of the column's ``values``; a page must render without the column."""


@hookspec
def tag_sources(tenant):
    """Return a list of ``TagSource``: the tag sources the plugin owns (``TagGroup.source`` / ``Tag.source``, e.g.
    ``'wecom'`` for synced WeCom corp tags). The tag screens list them in a tab of their own and send every change
    of such a tag to the plugin's ``manage_endpoint``; they never edit a channel's tags locally."""


@hookspec
def domain_event(event, session):
    """Handle one domain ``event`` (a ``DomainEvent``) of a tenant that enabled the plugin.

    Delivery is at least once: use ``event.event_id`` to stay idempotent. The session commits when the hook returns;
    raising rolls it back and the delivery is retried with backoff.
    """


# ---------------------------------------------------------------------------------------------------------------------
# Decisions: fail fast, first non-None result wins
# ---------------------------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def customer_exclusion_reason(tenant, customer_id, purpose, session):
    """Return a reason (str) why ``customer_id`` must not be reached for ``purpose`` (e.g. 'mass_send', 'redpacket'),
    or None. The blacklist answers here."""


@hookspec
def customer_exclusion_reasons(tenant, customer_ids, purpose, session):
    """The batch form of ``customer_exclusion_reason``, asked by the bulk outbound path (``plan_bulk_send``) once per
    chunk of about 1,000 customers. Return a dict {customer_id: reason} of the customers in ``customer_ids`` that must
    not be reached for ``purpose`` (others absent). Optional: a plugin that implements only the single form is asked
    customer by customer; one that implements both must give the same answers through each."""


GLOBAL_HOOKS = frozenset({"register_routes", "register_api"})
LIFECYCLE_HOOKS = frozenset({"plugin_enabled", "plugin_disabled", "customer_merged", "demo_data"})
CONTRIBUTION_HOOKS = frozenset({"menu_items", "dashboard_cards", "audience_filters", "customer_panels",
                                "timeline_entries", "customer_columns", "tag_sources", "domain_event"})
DECISION_HOOKS = frozenset({"customer_exclusion_reason", "customer_exclusion_reasons"})
TENANT_HOOKS = LIFECYCLE_HOOKS | CONTRIBUTION_HOOKS | DECISION_HOOKS


def hook_names() -> list[str]:
    """Every hook of API v1."""
    return sorted(GLOBAL_HOOKS | TENANT_HOOKS)
