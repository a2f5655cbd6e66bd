"""Who may take part in a campaign and who may win: the platform's participation rules, asked of the tenant's
enabled plugins so that any plugin (a share-for-gift campaign, a lottery, a red-packet fission) applies them the
same way without importing the plugin that owns the data (the members blacklist, today).

Two questions:

- ``refusal(hooks, session, tenant, customer_id, activity)``: why the customer may not join ``activity`` (one of
  ``ACTIVITIES``), or None. It is the ``customer_exclusion_reason`` decision the outbound path asks, with the
  activity as the purpose, so one rule answers for messages and for participation alike.
- ``may_win(hooks, session, tenant, customer_id, win_rate)``: whether the customer may win a draw whose win rate is
  ``win_rate`` (0 to 1). A plugin says no through the ``customer_may_win`` decision (the blacklist's "takes part but
  never wins, except when everyone wins"); with no plugin objecting, everyone may win.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from .outbound.exclusion import exclusion_reason, exclusion_reasons

TASK_FISSION = "task_fission"
REDPACKET_FISSION = "redpacket_fission"
INTERACTIVE_FISSION = "interactive_fission"
#: the activities a participation rule can refuse (the blacklist's rule switches name the same ones)
ACTIVITIES = (TASK_FISSION, REDPACKET_FISSION, INTERACTIVE_FISSION)


def _check_activity(activity: str) -> None:
    if activity not in ACTIVITIES:
        raise ValueError(f"unknown activity {activity!r}; one of {', '.join(ACTIVITIES)}")


def refusal(hooks: Any, session: Session, tenant: Any, customer_id: int, activity: str) -> str | None:
    """Why ``customer_id`` may not join ``activity``, or None when they may."""
    _check_activity(activity)
    return exclusion_reason(hooks, session, tenant, customer_id, activity)


def refusals(hooks: Any, session: Session, tenant: Any, customer_ids: list[int], activity: str) -> dict[int, str]:
    """``refusal`` for many customers at once: {customer_id: reason} for those refused."""
    _check_activity(activity)
    return exclusion_reasons(hooks, session, tenant, list(customer_ids), activity)


def may_win(hooks: Any, session: Session, tenant: Any, customer_id: int, win_rate: float) -> bool:
    """Whether ``customer_id`` may win a draw with ``win_rate`` (a fraction, 1 meaning everyone wins)."""
    rate = float(win_rate)
    if not 0 <= rate <= 1:
        raise ValueError("win_rate is a fraction between 0 and 1")
    answer = hooks.decide("customer_may_win", tenant=tenant, customer_id=customer_id, win_rate=rate,
                          session=session)
    return answer is not False
