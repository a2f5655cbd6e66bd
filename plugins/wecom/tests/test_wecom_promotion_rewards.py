"""Rewards through the brand's rewards system (B.8): a webhook per reward with each of the four authentication
methods (none, basic, secret key, OAuth2) verified by a receiving server on loopback, retried durably with backoff
and the same Idempotency-Key, sent once only, and failed after the last attempt."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scrm_wecom.promotion import webhook
from scrm_wecom.promotion.models import PromotionActivity
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_promotion_fixtures import *  # noqa: F403
from wecom_promotion_fixtures import add_friend, create, participant, rewards, run_job

from scrm.sdk import utcnow

CREDS = {"none": {}, "basic": {"username": "scrm", "password": "p@ss word"},
         "secret": {"secret": "0123456789abcdef-brand"},
         "oauth2": {"client_id": "scrm-client", "client_secret": "client-secret-1"}}


def _webhook_activity(db, world, staff, server, auth: str, **changes):
    extra = {"webhook_token_url": f"{server.url}/token"} if auth == "oauth2" else {}
    return create(db, world, staff, reward="webhook", webhook_url=f"{server.url}/rewards", webhook_auth=auth,
                  standard_count="1", **CREDS[auth], **extra, **changes)


@pytest.mark.parametrize("auth", ["none", "basic", "secret", "oauth2"])
def test_each_authentication_method_is_accepted_by_the_receiver(db, platform, world, staff, receiver, auth):
    server = receiver(auth, **CREDS[auth])
    activity = _webhook_activity(db, world, staff, server, auth)
    stored = db.get(PromotionActivity, activity.id).webhook_secret
    assert all(value not in stored for value in CREDS[auth].values())  # encrypted at rest
    zhang = participant(db, activity, world.employees["zhangsan"])
    add_friend(db, platform, world, zhang, "wmLily")
    [reward] = rewards(db, activity)
    assert reward.status == "pending" and server.calls == []  # sent by the job, never in the event's transaction
    assert run_job(db, platform, world.tenant.id) == 1
    [(ok, headers, body)] = server.calls
    assert ok and headers["Idempotency-Key"] == reward.key
    assert body["reward_code"] == reward.code and body["employee"]["userid"] == "zhangsan"
    assert body["activity"]["name"] == activity.name
    [reward] = rewards(db, activity)
    assert reward.status == "sent" and reward.attempts == 1
    assert server.token_requests == (1 if auth == "oauth2" else 0)


def test_a_wrong_credential_is_refused_by_the_receiver_and_retried(db, platform, world, staff, receiver):
    server = receiver("basic", username="scrm", password="another")
    activity = _webhook_activity(db, world, staff, server, "basic")
    add_friend(db, platform, world, participant(db, activity, world.employees["zhangsan"]), "wmLily")
    assert run_job(db, platform, world.tenant.id) == 0
    [(ok, _headers, _body)] = server.calls
    [reward] = rewards(db, activity)
    assert not ok and reward.status == "pending" and reward.last_error == "HTTP 401"


def test_retries_back_off_keep_the_key_and_send_once(db, platform, world, staff, receiver):
    server = receiver("none")
    server.statuses = [500, 503]
    activity = _webhook_activity(db, world, staff, server, "none")
    add_friend(db, platform, world, participant(db, activity, world.employees["zhangsan"]), "wmLily")
    now = utcnow()
    run_job(db, platform, world.tenant.id, now=now)
    [reward] = rewards(db, activity)
    assert reward.attempts == 1 and reward.last_error == "HTTP 500"
    wait = reward.next_attempt_at - utcnow()
    assert timedelta(seconds=50) < wait <= webhook.backoff(1)
    run_job(db, platform, world.tenant.id, now=now + timedelta(seconds=30))  # not due yet
    assert len(server.calls) == 1
    run_job(db, platform, world.tenant.id, now=now + timedelta(minutes=2))
    run_job(db, platform, world.tenant.id, now=now + timedelta(minutes=10))
    run_job(db, platform, world.tenant.id, now=now + timedelta(hours=2))  # sent: nothing more
    assert len(server.calls) == 3 and len({h["Idempotency-Key"] for _ok, h, _b in server.calls}) == 1
    [reward] = rewards(db, activity)
    assert reward.status == "sent" and reward.attempts == 3


def test_a_reward_fails_after_the_last_attempt(db, platform, world, staff, receiver):
    server = receiver("none")
    server.statuses = [500] * webhook.MAX_ATTEMPTS
    activity = _webhook_activity(db, world, staff, server, "none")
    add_friend(db, platform, world, participant(db, activity, world.employees["zhangsan"]), "wmLily")
    now = utcnow()
    for attempt in range(webhook.MAX_ATTEMPTS + 2):
        run_job(db, platform, world.tenant.id, now=now + timedelta(days=attempt))
    [reward] = rewards(db, activity)
    assert reward.status == "failed" and reward.attempts == webhook.MAX_ATTEMPTS
    assert len(server.calls) == webhook.MAX_ATTEMPTS


def test_a_claimed_reward_is_not_posted_by_a_second_run(db, platform, world, staff, receiver):
    server = receiver("none")
    activity = _webhook_activity(db, world, staff, server, "none")
    add_friend(db, platform, world, participant(db, activity, world.employees["zhangsan"]), "wmLily")
    [reward] = rewards(db, activity)
    now = utcnow()
    from scrm_wecom.promotion import due
    from scrm_wecom.promotion.models import RewardKind

    [held] = due.claimed(db, world.tenant.id, RewardKind.WEBHOOK, now, 10)  # another run holds it
    assert held.reward.id == reward.id
    assert list(due.claimed(db, world.tenant.id, RewardKind.WEBHOOK, now, 10)) == []
    assert run_job(db, platform, world.tenant.id, now=now) == 0 and server.calls == []


def test_another_brands_job_posts_none_of_this_brands_rewards(db, platform, world, staff, receiver, other_tenant):
    server = receiver("none")
    activity = _webhook_activity(db, world, staff, server, "none")
    add_friend(db, platform, world, participant(db, activity, world.employees["zhangsan"]), "wmLily")
    assert run_job(db, platform, other_tenant.id) == 0 and server.calls == []
    assert [r.status for r in rewards(db, activity)] == ["pending"]
    assert run_job(db, platform, world.tenant.id) == 1 and len(server.calls) == 1
