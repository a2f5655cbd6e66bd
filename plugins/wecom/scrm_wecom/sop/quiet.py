"""The trigger "no communication with the customer for N days" (spec §2.6.2 沟通, §4.6 rules 2–3, §6 "Customer SOP
evaluator", check 23).

WeCom sends no callback for a chat message, and the session archive (会话内容存档) needs WeCom's native SDK, so the
platform cannot see the chat itself. *Communication* is what the platform does see, for the customer and the
employee who gets the to-do:

* the friendship with that employee starting (``wecom_follow.added_at``, a re-add included; the welcome message
  follows it within WeCom's 20 seconds, so it adds nothing);
* a mass send of that employee that WeCom reported as received by the customer (``wecom_mass_recipient``, status
  delivered, ``sent_at``);
* a material or script material that employee sent the customer from the chat sidebar (``wecom_material_send``);
* an SOP to-do of that employee for the customer that was sent (``sent_at``: copied, sent in WeCom, or the sidebar's
  quick reply) or marked done (``done_at``), of any rule;
* the customer's own contact with the brand that the platform records: a customer timeline entry of a contact kind
  (``scrm.sdk.timeline.contact_kinds()``, e.g. a reply by SMS) of another plugin than WeCom (WeCom's contact kinds,
  the friend added and the welcome sent, are the rows above, known per employee there).

The last communication ``L`` is the latest of these. A customer of the rule is silent when ``L <= now - N days``.

Who is the customer's employee: the rule applies to the active WeCom friends of its executing employees (a customer
who is nobody's friend there has no chat to be silent in); one to-do per customer, going to the customer's owner
when the owner executes the rule and is their friend, otherwise to the executing friend added first (the engine's
rule, :func:`.planning.executors`, limited to friends).

Evaluation is set-based: one ``SELECT`` per rule finds the silent customers with their ``L`` (no loop over
customers); their tasks go through the engine's insert (:func:`.planning.plan_anchored`, ``ON CONFLICT DO NOTHING``
on the task key). One reminder per quiet period: the task key holds ``L`` (``…c<customer>.q<L as epoch>``), and a
customer who already has a to-do of the rule created after ``L`` (not cancelled) is left out, whatever the rule's
revision or nodes, so a customer still silent the next hour, or after the rule was paused and enabled or edited,
gets nothing new; new communication moves ``L`` and another N quiet days give a new to-do. The trigger fires at
``L + N days``; for customers already silent when the rule was switched on, at that moment (tasks are never planned
for the past). The evaluation runs in the tenant's hourly durable schedule (:mod:`.jobs`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, exists, false, func, or_, select, union_all
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from scrm.sdk import Customer, CustomerEvent, utcnow
from scrm.sdk.timeline import contact_kinds

from ..masssend.models import MassRecipient, RecipientStatus
from ..materials.models import MaterialSend
from ..sync.models import Follow, FollowStatus
from .models import RuleKind, RuleStatus, SopRule, SopTask, TaskStatus, Trigger
from .planning import nodes_of, plan_anchored

DEFAULT_DAYS = 3
MIN_DAYS, MAX_DAYS = 1, 365
WECOM = "wecom"


def quiet_days(rule: SopRule) -> int:
    """The rule's N (whole days, 1–365; 3 when missing)."""
    value = (rule.params or {}).get("quiet_days")
    return value if isinstance(value, int) and MIN_DAYS <= value <= MAX_DAYS else DEFAULT_DAYS


def _pairs(rule: SopRule):
    """The rule's customers with the employee who gets their to-do and the friendship's start (a CTE)."""
    employees = [int(e) for e in rule.employee_ids or []] or [0]
    owner_first = case((Follow.employee_id == Customer.owner_employee_id, 0), else_=1)
    rank = func.row_number().over(partition_by=Follow.customer_id,
                                  order_by=(owner_first, Follow.added_at.is_(None), Follow.added_at, Follow.id))
    ranked = (select(Follow.customer_id.label("customer_id"), Follow.employee_id.label("employee_id"),
                     func.coalesce(Follow.added_at, Follow.updated_at).label("since"), rank.label("rank"))
              .join(Customer, Customer.id == Follow.customer_id)
              .where(Follow.tenant_id == rule.tenant_id, Follow.status == FollowStatus.ACTIVE,
                     Follow.employee_id.in_(employees), Customer.tenant_id == rule.tenant_id,
                     Customer.merged_into_id.is_(None))
              .subquery("ranked"))
    return (select(ranked.c.customer_id, ranked.c.employee_id, ranked.c.since)
            .where(ranked.c["rank"] == 1).cte("sop_pairs"))


def _inbound_contact():
    kinds = [(plugin, kind) for plugin, kind in contact_kinds() if plugin != WECOM]
    return or_(*(and_(CustomerEvent.plugin == plugin, CustomerEvent.kind == kind) for plugin, kind in kinds)) \
        if kinds else false()


def silent_query(rule: SopRule, now: datetime):
    """``(customer_id, employee_id, last communication)`` of the rule's customers silent for N days at ``now``
    with no to-do of the rule since their last communication: one statement."""
    tenant_id = rule.tenant_id
    pairs = _pairs(rule)

    def of_pair(model):
        return and_(model.customer_id == pairs.c.customer_id, model.employee_id == pairs.c.employee_id)

    signals = union_all(
        select(pairs.c.customer_id.label("customer_id"), pairs.c.since.label("at")),
        select(pairs.c.customer_id, MassRecipient.sent_at).select_from(pairs).join(MassRecipient, of_pair(
            MassRecipient)).where(MassRecipient.tenant_id == tenant_id,
                                  MassRecipient.status == RecipientStatus.DELIVERED,
                                  MassRecipient.sent_at.is_not(None)),
        select(pairs.c.customer_id, MaterialSend.sent_at).select_from(pairs).join(MaterialSend, of_pair(
            MaterialSend)).where(MaterialSend.tenant_id == tenant_id),
        select(pairs.c.customer_id, SopTask.sent_at).select_from(pairs).join(SopTask, of_pair(SopTask)).where(
            SopTask.tenant_id == tenant_id, SopTask.sent_at.is_not(None)),
        select(pairs.c.customer_id, SopTask.done_at).select_from(pairs).join(SopTask, of_pair(SopTask)).where(
            SopTask.tenant_id == tenant_id, SopTask.done_at.is_not(None)),
        select(pairs.c.customer_id, CustomerEvent.occurred_at).select_from(pairs).join(
            CustomerEvent, CustomerEvent.customer_id == pairs.c.customer_id).where(
            CustomerEvent.tenant_id == tenant_id, _inbound_contact()),
    ).subquery("signals")
    last = (select(signals.c.customer_id, func.max(signals.c.at, type_=UTCDateTime()).label("last"))
            .group_by(signals.c.customer_id).subquery("last_contact"))
    threshold = bindparam("threshold", now - timedelta(days=quiet_days(rule)), type_=UTCDateTime())
    reminded = exists().where(SopTask.tenant_id == tenant_id, SopTask.rule_id == rule.id,
                              SopTask.customer_id == last.c.customer_id, SopTask.status != TaskStatus.CANCELLED,
                              SopTask.created_at > last.c.last)
    return (select(last.c.customer_id, pairs.c.employee_id, last.c.last)
            .join(pairs, pairs.c.customer_id == last.c.customer_id)
            .where(last.c.last <= threshold, ~reminded)
            .order_by(last.c.customer_id))


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=utcnow().tzinfo)


def plan_rule(session: Session, rule: SopRule, now: datetime | None = None) -> int:
    """Plan the to-dos of the customers silent for the rule's N days; returns how many tasks were new."""
    if rule.status != RuleStatus.ON or rule.trigger != Trigger.NO_COMMUNICATION or rule.kind != RuleKind.CUSTOMER:
        return 0
    now = now or utcnow()
    days = timedelta(days=quiet_days(rule))
    switched_on = _utc(rule.updated_at)
    nodes = nodes_of(session, rule)
    items = []
    for customer_id, employee_id, last in session.execute(silent_query(rule, now)).all():
        last = _utc(last)
        anchor = max(last + days, switched_on)
        items.append(((customer_id, None, employee_id), anchor, f"q{int(last.timestamp())}"))
    return plan_anchored(session, rule, items, nodes)


def plan_tenant(session: Session, tenant_id: int, now: datetime | None = None) -> int:
    """Every ON "no communication" rule of the tenant."""
    rules = session.execute(select(SopRule).where(
        SopRule.tenant_id == tenant_id, SopRule.kind == RuleKind.CUSTOMER, SopRule.status == RuleStatus.ON,
        SopRule.trigger == Trigger.NO_COMMUNICATION).order_by(SopRule.id)).scalars().all()
    return sum(plan_rule(session, rule, now) for rule in rules)
