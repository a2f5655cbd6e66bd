"""Rewards through the brand's own rewards system: one POST per reward to the activity's webhook, durable and
idempotent.

The reward row is the durable state: ``pending`` rows whose ``next_attempt_at`` is due are claimed (a conditional
update moves ``next_attempt_at`` past the call, so two runs never call for the same row at once), posted, and marked
``sent`` on a 2xx answer; otherwise retried with backoff (1, 2, 4 ... minutes, at most an hour) and ``failed`` after
``MAX_ATTEMPTS``. Every call carries ``Idempotency-Key: <reward key>`` so the receiver can drop a repeat after a
lost answer. Authentication (B.8's four methods):

* ``none``: nothing added;
* ``basic``: ``Authorization: Basic base64(user:password)``;
* ``secret`` (secret key): ``X-Scrm-Timestamp: <unix seconds>`` and
  ``X-Scrm-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``;
* ``oauth2``: a client-credentials token from the token address (``grant_type=client_credentials``, the client id
  and secret by HTTP Basic), then ``Authorization: Bearer <access_token>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import httpx
from sqlmodel import Session

from scrm.sdk import Employee, utcnow

from .due import claimed
from .models import (
    PromotionActivity,
    PromotionParticipant,
    PromotionReward,
    RewardKind,
    RewardStatus,
    WebhookAuth,
)

MAX_ATTEMPTS = 8
TIMEOUT = 10.0


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (attempts - 1), 60))


def body_of(activity: PromotionActivity, participant: PromotionParticipant, employee: Employee,
            reward: PromotionReward) -> bytes:
    return json.dumps({"event": "promotion.reward", "idempotency_key": reward.key, "reward_code": reward.code,
                       "activity": {"id": activity.id, "name": activity.name},
                       "employee": {"userid": employee.userid, "name": employee.name},
                       "achieved_at": participant.achieved_at.isoformat() if participant.achieved_at else None},
                      ensure_ascii=False, sort_keys=True).encode()


def headers_for(activity: PromotionActivity, credentials: dict, body: bytes, client: httpx.Client) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if activity.webhook_auth == WebhookAuth.BASIC:
        pair = f"{credentials.get('username', '')}:{credentials.get('password', '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    elif activity.webhook_auth == WebhookAuth.SECRET:
        stamp = str(int(time.time()))
        digest = hmac.new(credentials.get("secret", "").encode(), stamp.encode() + b"." + body, hashlib.sha256)
        headers.update({"X-Scrm-Timestamp": stamp, "X-Scrm-Signature": "sha256=" + digest.hexdigest()})
    elif activity.webhook_auth == WebhookAuth.OAUTH2:
        answer = client.post(activity.webhook_token_url, data={"grant_type": "client_credentials"},
                             auth=(credentials.get("client_id", ""), credentials.get("client_secret", "")))
        answer.raise_for_status()
        headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return headers


def deliver_due(session: Session, box, tenant_id: int, now=None, limit: int = 100) -> int:
    """Post every due pending webhook reward of ``tenant_id``; returns how many were sent. Commits per reward."""
    now = now or utcnow()
    sent = 0
    for due in claimed(session, tenant_id, RewardKind.WEBHOOK, now, limit):
        reward, activity, participant, employee = due.reward, due.activity, due.participant, due.employee
        body = body_of(activity, participant, employee, reward)
        error = ""
        try:
            with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
                headers = headers_for(activity, box.decrypt_json(activity.webhook_secret or None), body, client)
                headers["Idempotency-Key"] = reward.key
                answer = client.post(activity.webhook_url, content=body, headers=headers)
            if not 200 <= answer.status_code < 300:
                error = f"HTTP {answer.status_code}"
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        reward.attempts += 1
        if not error:
            reward.status, reward.sent_at, reward.last_error, reward.next_attempt_at = \
                RewardStatus.SENT, utcnow(), "", None
            sent += 1
        elif reward.attempts >= MAX_ATTEMPTS:
            reward.status, reward.last_error, reward.next_attempt_at = RewardStatus.FAILED, error, None
        else:
            reward.last_error, reward.next_attempt_at = error, utcnow() + backoff(reward.attempts)
        session.add(reward)
        session.commit()
    return sent
