"""An area of the members plugin (customers, segments, loyalty): what it contributes to the plugin's hooks.

``plugin.py`` composes the areas; each area keeps its models, services, views and templates in its own sub-package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint


@dataclass
class Area:
    name: str
    blueprint: Blueprint | None = None
    api: Blueprint | None = None
    menu_items: Callable[[Any, Any], list] | None = None
    dashboard_cards: Callable[[Any, Any, Any], list] | None = None
    audience_filters: Callable[[Any], list] | None = None
    customer_panels: Callable[[Any, Any, Any, Any], list] | None = None
    customer_columns: Callable[[Any, Any, Any], list] | None = None
    customer_merged: Callable[[Any, int, int, Any], None] | None = None
    exclusion_reason: Callable[[Any, int, str, Any], str | None] | None = None
    #: the batch form (tenant, customer ids, purpose, session) -> {customer_id: reason}; same answers as the above
    exclusion_reasons: Callable[[Any, list, str, Any], dict] | None = None
    #: the set form (tenant, purpose, session) -> Select of (customer id, reason) or None; same answers again
    exclusion_query: Callable[[Any, str, Any], Any] | None = None
    domain_event: Callable[[Any, Any], None] | None = None
    #: (tenant, user, session) -> [TodoItem]: the signed-in user's tasks of today for the home page
    todo_items: Callable[[Any, Any, Any], list] | None = None
    enabled: Callable[[Any, dict, Any], None] | None = None
    disabled: Callable[[Any, Any], None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
