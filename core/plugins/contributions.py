"""What contribution hooks return."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class MenuItem:
    """A navigation entry. ``endpoint`` is a Flask endpoint taking ``tenant`` (the slug); ``label`` is translated with
    the plugin's catalogue (give a lazy string).

    ``group`` is the key of a second-level group the host registers (``members.customers``, ``ops.wecom``,
    ``settings.platform``, ... see the README); ``order`` places the entry within its group (smaller first). An entry
    without a group is placed by its legacy ``section`` ('settings' → ``settings.platform``, 'channels' →
    ``settings.channels``, otherwise ``other``) and an unknown group key falls back to ``other``; both log a warning.
    """

    label: str
    endpoint: str
    order: int = 100
    #: legacy placement, read only when ``group`` is empty
    section: str = "main"
    icon: str = ""
    roles: tuple[str, ...] = ()
    #: the endpoint of another entry this one stands in for (e.g. a plugin's full customer list replaces the host's
    #: basic one); the replaced entry is left out of the navigation
    replaces: str | None = None
    group: str = ""
    #: URL values of the endpoint besides the tenant, as ``(name, value)`` pairs (the host's channel accounts
    #: entries: ``(("plugin", "wecom"),)``)
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DashboardCard:
    """A card on the tenant's home page: a figure with a caption, optionally a link and a rendered HTML body."""

    title: str
    value: str = ""
    caption: str = ""
    endpoint: str | None = None
    html: str | None = None
    order: int = 100


@dataclass(frozen=True)
class ProfilePanel:
    """A panel of the customer 360 profile: a title and rendered HTML (escape what you interpolate)."""

    title: str
    html: str
    order: int = 100
    key: str = ""


@dataclass(frozen=True)
class TimelineEntry:
    """How one ``CustomerEvent`` reads in the profile's timeline: its id, a rendered HTML line and an icon name."""

    event_id: int
    html: str
    icon: str = ""


@dataclass(frozen=True)
class CustomerColumn:
    """A column another plugin's customer list can show: ``values`` maps customer ids to display text (customers
    without a value are absent). ``key`` is stable (e.g. ``'member_level'``) so a page can pick the columns it shows."""

    key: str
    label: str
    values: dict[int, str]
    order: int = 100


@dataclass(frozen=True)
class TagSource:
    """Tags a channel plugin owns (``Tag.source == source``): their tab's title and the Flask endpoint (taking
    ``tenant``, the slug) where they are created, renamed, deleted and synced."""

    source: str
    title: str
    manage_endpoint: str
    order: int = 100


@dataclass(frozen=True)
class TodoItem:
    """A task for the signed-in user on the home page's to-do list (a follow-up, an SOP step, a transfer to
    approve, an unread customer-service session). ``due_at`` and ``created_at`` are aware UTC datetimes; the list is
    sorted by ``due_at`` ascending, newer ``created_at`` first on ties. ``url`` opens the task; ``kind`` names it
    (a lazy string)."""

    title: str
    due_at: datetime
    created_at: datetime
    url: str
    kind: str = ""


@dataclass(frozen=True)
class CalendarEntry:
    """Something planned on a day of the marketing calendar: ``kind`` is ``plan`` (an activity plan), ``schedule``
    (a dated schedule entry) or ``campaign`` (a marketing campaign or a scheduled send). A day with any entry shows
    the calendar's dot; the day's page lists the entries with their titles and links."""

    day: date
    title: str
    kind: str = "campaign"
    url: str = ""


@dataclass(frozen=True)
class MessageTemplate:
    """An approved templated message a channel plugin offers the tenant's features (an SMS template filed with its
    signature at the carrier, say): what a feature may send through ``send_message`` without knowing the channel's
    payload.

    ``plugin`` and ``account_id`` name the channel account that sends it; ``template_id`` is the channel's own stable
    id of the template; ``name`` and ``content`` are what the operator picks from (``content`` with its variables
    written ``${name}``); ``variables`` the variable names in the content, in order; ``address`` the identity kind
    of the recipient address (``"mobile"``); ``purpose`` the ``send_message`` purpose its sends take (exclusions
    and caps); ``labels`` optional display names of the variables. ``build(values)`` returns the
    ``OutboundMessage`` of one send with ``values`` filling the variables (a missing value renders empty).

    ``key`` (``"<plugin>:<account_id>:<template_id>"``) is what a feature stores; at send time it asks the hook
    again and looks the key up (``scrm.sdk.message_templates.find``), so a template withdrawn or a channel
    disabled since is not sent."""

    plugin: str
    account_id: int
    template_id: str
    name: str
    content: str
    variables: tuple[str, ...]
    build: Callable[[Mapping[str, Any]], Any] = field(compare=False, repr=False)
    purpose: str = "notification"
    address: str = "mobile"
    labels: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> str:
        return f"{self.plugin}:{self.account_id}:{self.template_id}"

    def message(self, values: Mapping[str, Any]):
        """The ``OutboundMessage`` of one send of this template with ``values``."""
        return self.build(dict(values))
