"""Rewards by SMS code (B.8 "reward codes sent by SMS"): the reward code goes to the promoting employee's mobile
through an SMS template the SMS plugin offers (the ``message_templates`` hook, read through
``scrm.sdk.message_templates``; this plugin never imports the SMS plugin) and the one outbound path
(``send_message``: exclusions, caps, the ledger row, the idempotency key, the send job).

Offered templates: the tenant's SMS templates with a ``${code}`` variable (it receives the reward code) whose other
variables are among ``FILLED``: ``employee_name`` and ``customer_nickname`` get the employee's name (the employee is
the recipient), ``company_name`` the brand's name. A template with ``${link}`` is not offered (a reward SMS carries
no link).

The reward row is the durable state, moved by the promotion job:

* ``pending`` without a ledger row and due: claimed by a conditional update (no two runs send it), then looked up
  again (still offered? the employee's mobile in the address book?) and handed to ``send_message`` with the key
  ``<reward key>:sms:<attempt>`` in the job's transaction; a rerun finds the row and sends nothing twice;
* ``pending`` with a ledger row: ``sent`` once the row is sent or delivered, ``failed`` (with the ledger's code and
  error) once it failed or was skipped (an exclusion, a cap, an unsubscribed number);
* ``failed`` at once, with the reason, when the template is no longer offered (the SMS plugin disabled for the
  tenant, the template withdrawn) or the employee has no mobile: nothing is sent. A failed reward can be retried
  from the details page (``retry``): it is pending again and the next attempt gets a new key.
"""

from __future__ import annotations

from sqlmodel import Session, select

from scrm.sdk import (
    DeliveryStatus,
    Employee,
    IdentityError,
    MessageDelivery,
    MessageTemplate,
    OutboundError,
    Tenant,
    message_templates,
    normalize_mobile,
    send_message,
    utcnow,
)

from .due import claimed
from .models import PromotionReward, RewardKind, RewardStatus

CODE = "code"
FILLED = (CODE, "employee_name", "customer_nickname", "company_name")
DONE = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ)
LOST = (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED)

#: reasons written on a failed reward (``last_error``): a code, then the words the details page shows
NOT_OFFERED = "sms_unavailable: the SMS template is no longer offered (SMS disabled for the brand or the template " \
              "withdrawn)"
NO_MOBILE = "no_mobile: the employee has no mobile number in the address book"


def choices(session: Session, tenant) -> list[MessageTemplate]:
    """The SMS templates a reward may use: a ``${code}`` variable and no variable the reward cannot fill."""
    return [c for c in message_templates.offered(session, tenant, variable=CODE, address="mobile")
            if c.plugin == "sms" and set(c.variables) <= set(FILLED)]


def choice(session: Session, tenant, key: str | None) -> MessageTemplate | None:
    return next((c for c in choices(session, tenant) if c.key == key), None) if key else None


def values_for(tenant: Tenant, employee: Employee, reward: PromotionReward) -> dict[str, str]:
    return {CODE: reward.code, "employee_name": employee.name, "customer_nickname": employee.name,
            "company_name": tenant.name}


def _mobile(employee: Employee | None) -> str | None:
    try:
        return normalize_mobile(employee.mobile or "") if employee is not None else None
    except IdentityError:
        return None


def _fail(reward: PromotionReward, reason: str) -> None:
    reward.status, reward.last_error, reward.next_attempt_at = RewardStatus.FAILED, reason[:500], None


def settle(session: Session, tenant_id: int) -> int:
    """Move pending SMS rewards whose ledger row is final to sent / failed; returns how many moved."""
    rows = session.exec(select(PromotionReward, MessageDelivery)
                        .join(MessageDelivery, MessageDelivery.id == PromotionReward.delivery_id)
                        .where(PromotionReward.tenant_id == tenant_id, PromotionReward.kind == RewardKind.SMS,
                               PromotionReward.status == RewardStatus.PENDING,
                               MessageDelivery.tenant_id == tenant_id,
                               MessageDelivery.status.in_([*DONE, *LOST]))
                        .execution_options(populate_existing=True)).all()  # the rows as stored now
    for reward, delivery in rows:
        if DeliveryStatus(delivery.status) in DONE:
            reward.status, reward.sent_at, reward.last_error = RewardStatus.SENT, delivery.sent_at or utcnow(), ""
        else:
            _fail(reward, f"{delivery.error_code or delivery.status}: {delivery.error or ''}".strip())
        session.add(reward)
    session.commit()
    return len(rows)


def send_due(session: Session, tenant_id: int, now=None, limit: int = 100) -> int:
    """Hand every due pending SMS reward of ``tenant_id`` to the outbound path; returns how many were handed over.
    Commits per reward (the send job goes out at that commit)."""
    now = now or utcnow()
    settle(session, tenant_id)
    tenant = session.get(Tenant, tenant_id)
    handed = 0
    for due in claimed(session, tenant_id, RewardKind.SMS, now, limit, PromotionReward.delivery_id.is_(None)):
        reward, activity, employee = due.reward, due.activity, due.employee
        template = choice(session, tenant, activity.sms_template)
        mobile = _mobile(employee)
        if template is None:
            _fail(reward, NOT_OFFERED)
        elif not mobile:
            _fail(reward, NO_MOBILE)
        else:
            attempt = reward.attempts + 1
            try:
                row = send_message(session, tenant_id, account=template.account_id, recipient=mobile,
                                   message=template.message(values_for(tenant, employee, reward)),
                                   purpose=template.purpose, idempotency_key=f"{reward.key}:sms:{attempt}",
                                   task_ref=f"wecom_promotion:{activity.id}", kind="promotion_reward")
            except OutboundError as exc:
                _fail(reward, f"refused: {exc}")
            else:
                reward.attempts, reward.delivery_id, reward.last_error = attempt, row.id, ""
                if DeliveryStatus(row.status) in LOST:
                    _fail(reward, f"{row.error_code}: {row.error or ''}".strip())
                handed += 1
        session.add(reward)
        session.commit()
    return handed


def retry(session: Session, reward: PromotionReward) -> bool:
    """Make a failed SMS or webhook reward pending again (a webhook reward gets its attempts anew; an SMS reward's
    next attempt gets a new key). False when the reward is not failed."""
    if reward.status != RewardStatus.FAILED or reward.kind not in (RewardKind.SMS, RewardKind.WEBHOOK):
        return False
    if reward.kind == RewardKind.WEBHOOK:
        reward.attempts = 0
    reward.status, reward.next_attempt_at, reward.delivery_id = RewardStatus.PENDING, utcnow(), None
    session.add(reward)
    return True
