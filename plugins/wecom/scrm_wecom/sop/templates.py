"""Scene templates (场景模板, spec §2.6.1 / §4.6.6): a rule prefilled for a common scene; "use" opens the new-rule form
with the template's trigger and nodes, which the operator completes (executing employees, a stage) and saves. The
third template's name is unreadable in the manual: a new-customer conversion scene is our reading."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class SceneTemplate:
    key: str
    title: object
    description: object
    trigger: str
    nodes: tuple[tuple[int, int, int, object, object], ...]


TEMPLATES = (
    SceneTemplate("nurture", _l("Lead nurturing"),
                  _l("Build brand awareness and learn what the customer needs and intends."), "friend_added",
                  ((0, 0, 30, _l("Welcome {customer}"),
                    _l("Hello {customer}, I am your personal adviser: ask me anything about our products.")),
                   (3, 10, 0, _l("Share a tip with {customer}"),
                    _l("{customer}, a small tip from us this week: how to choose the product that suits you.")))),
    SceneTemplate("conversion", _l("High-intent closing"),
                  _l("Raise the closing rate of customers who show a clear intent."), "stage_entered",
                  ((0, 1, 0, _l("Follow up {customer}"),
                    _l("{customer}, the item you asked about is in stock: shall I keep one for you?")),
                   (2, 19, 0, _l("Offer for {customer}"),
                    _l("{customer}, this week's member offer ends on Sunday: a good moment to decide.")))),
    SceneTemplate("first_order", _l("First purchase"),
                  _l("Turn a new friend into a first purchase within a week."), "friend_added",
                  ((1, 10, 0, _l("Introduce the bestsellers to {customer}"),
                    _l("{customer}, here are the three products our customers love most.")),
                   (6, 19, 0, _l("Invite {customer} to the store"),
                    _l("{customer}, new customers get a welcome gift in store this week: see you soon!")))),
    SceneTemplate("care", _l("Customer care"),
                  _l("Care on the customer's birthday to keep the relationship warm."), "date_field",
                  ((0, 9, 0, _l("Birthday greetings for {customer}"),
                    _l("Happy birthday, {customer}! A birthday gift is waiting for you in store this month.")),)),
)


def template(key: str | None) -> SceneTemplate | None:
    return next((t for t in TEMPLATES if t.key == key), None)


def prefill(found: SceneTemplate) -> dict:
    """The form values of a new customer rule from ``found``."""
    return {"kind": "customer", "name": str(found.title), "description": str(found.description)[:200],
            "trigger": found.trigger, "params": {}, "employee_ids": [],
            "nodes": [{"day_offset": d, "hour": h, "minute": m, "title": str(t), "content": str(c), "materials": []}
                      for d, h, m, t, c in found.nodes]}
