"""The welcome fast path: a stored friend-add callback carrying a WelcomeCode enqueues its welcome at ingestion, before
``process_callback`` and the domain-event chain; the ledger keeps it at one send per code whichever path runs."""

from __future__ import annotations

import time

import httpx
import pytest
from dramatiq.brokers.stub import StubBroker
from scrm_wecom.callbacks import _crypto
from scrm_wecom.sandbox import CallbackTarget, event_xml, fire_callback
from scrm_wecom.welcome import service
from scrm_wecom.welcome.dispatch import WELCOME_QUEUE, callback_welcome_kwargs
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import CALLBACK, CORP_ID, deliver, fresh, friend_event

from scrm.core.plugins.enablement import disable_plugin
from scrm.sdk import DeliveryStatus, InboundCallback, MessageDelivery

SEND = "/cgi-bin/externalcontact/send_welcome_msg"
TARGET = CallbackTarget(CORP_ID, CALLBACK["callback_token"], CALLBACK["encoding_aes_key"])


def welcome(db, world, text):
    values = service.validate(db, world.tenant.id, service.WelcomeInput(
        all_employees=True, employee_ids=[], segmented=False, content={"text": text, "attachments": []}))
    service.create(db, world.tenant.id, values)
    db.commit()


def post(app, account_id, xml):
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://scrm.test") as http:
        return fire_callback(f"http://scrm.test/callbacks/wecom/{account_id}", TARGET, xml, http=http)


def pending(platform, queue):
    """The messages waiting on ``queue`` of the job bus (in-process or Redis) while no worker runs."""
    import dramatiq

    broker = platform.bus.broker
    if isinstance(broker, StubBroker):
        q = broker.queues.get(queue)
        return [dramatiq.Message.decode(raw) for raw in list(q.queue)] if q is not None else []
    client = broker.client
    ids = client.lrange(f"{broker.namespace}:{queue}", 0, -1)
    bodies = client.hmget(f"{broker.namespace}:{queue}.msgs", ids) if ids else []
    return [dramatiq.Message.decode(body) for body in bodies if body]


def queued(platform, queue):
    return [message.actor_name for message in pending(platform, queue)]


def ledger(db, tenant):
    fresh(db)
    return list(db.exec(select(MessageDelivery).where(MessageDelivery.tenant_id == tenant.id)))


def test_a_friend_add_callback_enqueues_its_welcome_at_ingestion(app, db, platform, world):
    friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": "Lily"})
    assert post(app, world.account.id, friend["xml"]).status_code == 200
    assert queued(platform, WELCOME_QUEUE) == ["scrm_wecom.welcome.dispatch.send_welcomes"]
    assert queued(platform, "wecom") == ["scrm_wecom.jobs.process_callbacks"]


def test_the_welcome_goes_out_before_the_callback_is_processed_and_without_the_contact_sync(app, db, platform,
                                                                                              world):
    from scrm_wecom.welcome.dispatch import send_welcomes

    welcome(db, world, "Welcome, {customer_name}!")
    friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": "Lily"})
    assert post(app, world.account.id, friend["xml"]).status_code == 200
    [kwargs] = [m.kwargs for m in pending(platform, WELCOME_QUEUE)]
    send_welcomes(world.tenant.id, **kwargs)  # only the welcome job runs: no processing, no event, no customer yet
    fresh(db)
    [inbound] = db.exec(select(InboundCallback).where(InboundCallback.tenant_id == world.tenant.id)).all()
    assert inbound.processed_at is None
    [sent] = world.sandbox.corp(CORP_ID)["welcome_messages"]
    assert sent["text"]["content"] == "Welcome, Lily!"  # the name read from WeCom by the job itself
    [row] = ledger(db, world.tenant)
    assert row.status == DeliveryStatus.SENT and row.idempotency_key == f"welcome:{friend['welcome_code']}"


def test_sent_once_when_the_domain_event_also_arrives(app, db, world, worker):
    welcome(db, world, "Hello")
    friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": "Lily"})
    assert post(app, world.account.id, friend["xml"]).status_code == 200
    worker.join()  # the fast path and the callback's own wecom.friend_added both ran
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"]),
            worker)  # and a redelivered event
    assert len(world.sandbox.calls(SEND)) == 1
    [row] = ledger(db, world.tenant)
    assert row.status == DeliveryStatus.SENT


def test_the_domain_event_still_sends_when_the_fast_path_message_was_lost(app, db, platform, world, worker):
    welcome(db, world, "Hello")
    friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": "Lily"})
    platform.bus.stop_worker()
    assert post(app, world.account.id, friend["xml"]).status_code == 200
    _drop(platform, WELCOME_QUEUE)  # the broker lost the fast path's message
    platform.bus.start_worker(threads=2)
    worker.join()
    assert len(world.sandbox.calls(SEND)) == 1
    [row] = ledger(db, world.tenant)
    assert row.status == DeliveryStatus.SENT


def _drop(platform, queue):
    broker = platform.bus.broker
    if isinstance(broker, StubBroker):
        q = broker.queues.get(queue)
        while q is not None and not q.empty():
            q.get_nowait()
            q.task_done()
    else:
        broker.client.delete(f"{broker.namespace}:{queue}", f"{broker.namespace}:{queue}.msgs")


def test_a_duplicate_callback_sends_nothing_more(app, db, world, worker):
    welcome(db, world, "Hello")
    friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": "Lily"})
    for _ in range(3):  # WeCom retries an unanswered callback
        assert post(app, world.account.id, friend["xml"]).status_code == 200
    worker.join()
    assert len(world.sandbox.calls(SEND)) == 1
    assert len(ledger(db, world.tenant)) == 1


def test_plugin_disabled_after_ingestion_sends_nothing(app, db, platform, world, worker):
    welcome(db, world, "Hello")
    friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": "Lily"})
    platform.bus.stop_worker()
    assert post(app, world.account.id, friend["xml"]).status_code == 200
    disable_plugin(db, platform.registry, db.merge(world.tenant), "wecom")
    db.commit()
    platform.bus.start_worker(threads=2)
    worker.join()
    assert world.sandbox.calls(SEND) == [] and ledger(db, world.tenant) == []


def test_plugin_disabled_refuses_the_callback_and_enqueues_nothing(app, db, platform, world):
    disable_plugin(db, platform.registry, db.merge(world.tenant), "wecom")
    db.commit()
    friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": "Lily"})
    assert post(app, world.account.id, friend["xml"]).status_code == 404
    assert queued(platform, WELCOME_QUEUE) == []


def test_another_tenants_callback_url_cannot_send_this_tenants_welcome(app, db, platform, world, other_tenant,
                                                                      enable_plugins, worker):
    from wecom_livecodes_fixtures import make_account

    enable_plugins(other_tenant, "wecom")
    other = make_account(db, platform, other_tenant, world.sandbox.base_url, corp_id="wwother00000001",
                         name="Globex corp")
    welcome(db, world, "Acme welcome")
    friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": "Lily"})
    assert post(app, other.id, friend["xml"]).status_code == 403  # Acme's corp id inside: refused
    worker.join()
    assert world.sandbox.calls(SEND) == []
    assert ledger(db, world.tenant) == [] and ledger(db, other_tenant) == []


@pytest.mark.parametrize(("change_type", "code", "expected"), [
    ("add_external_contact", "WC1", True), ("add_half_external_contact", "WC2", True),
    ("add_external_contact", None, False), ("edit_external_contact", "WC3", False),
    ("del_external_contact", "WC4", False)])
def test_only_friend_adds_with_a_code_take_the_fast_path(change_type, code, expected):
    from scrm.sdk.wechat import parse_xml

    message = parse_xml(event_xml(CORP_ID, "change_external_contact", change_type, create_time=1_790_000_000,
                                  UserID="zhangsan", ExternalUserID="wmLily", State="lc:abc", WelcomeCode=code))
    kwargs = callback_welcome_kwargs(7, message)
    assert (kwargs is not None) is expected
    if expected:
        assert kwargs["account_id"] == 7 and kwargs["welcome_code"] == code and kwargs["state"] == "lc:abc"
        assert kwargs["userid"] == "zhangsan" and kwargs["external_userid"] == "wmLily"
        assert kwargs["added_at"].startswith("2026-")


def test_the_callback_crypto_is_built_once_per_credentials_version(db, platform, world):
    from scrm_wecom.accounts import AccountValues, save_account

    account = db.merge(world.account)
    first = _crypto(platform, account)
    assert first is not None and _crypto(platform, account) is first
    save_account(db, platform.secrets, world.tenant.id, AccountValues(
        name="Acme corp", corp_id=CORP_ID, agent_id=1000002, api_base=world.sandbox.base_url,
        secrets={"callback_token": "AnotherToken456", "encoding_aes_key": "B" * 42 + "0"}), account=account)
    db.commit()
    second = _crypto(platform, account)
    assert second is not first
    xml = event_xml(CORP_ID, "change_external_contact", "add_external_contact", UserID="zhangsan",
                    ExternalUserID="wmNew", WelcomeCode="WCX")
    now = str(int(time.time()))
    encrypt, signature = second.encrypt_message(xml, now, "nonce1")
    assert second.decrypt_message(signature, now, "nonce1", encrypt) == xml


def test_a_callback_reads_no_session_cookie_and_sets_none(app, db, platform, world, admin_user, login):
    client = login(admin_user)  # a browser session cookie is present and ignored
    friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": "Lily"})
    session_cookie = client.get_cookie("session")
    assert session_cookie is not None
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://scrm.test",
                      cookies={"session": session_cookie.value}) as http:
        response = fire_callback(f"http://scrm.test/callbacks/wecom/{world.account.id}", TARGET, friend["xml"],
                                 http=http)
        missing = http.post(f"http://scrm.test/callbacks/wecom/{world.account.id + 1000}", content=b"<xml/>")
    assert response.status_code == 200 and response.text == "success"
    assert "set-cookie" not in response.headers
    assert missing.status_code == 404 and "set-cookie" not in missing.headers


def test_a_large_batch_of_welcomes_is_shared_out_and_each_sent_once(app, db, platform, world, worker):
    """A batch's job sends its first WELCOMES_PER_JOB welcomes and hands the rest on in jobs of that size (every
    free worker thread takes one: each welcome is a round trip to WeCom); a redelivered batch sends nothing more."""
    from scrm_wecom.welcome.dispatch import WELCOMES_PER_JOB, send_welcomes

    from scrm.sdk.wechat import parse_xml

    platform.bus.stop_worker()
    welcome(db, world, "Hello")
    count = 2 * WELCOMES_PER_JOB + 2
    friends = [world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": f"Friend {n}"}) for n in range(count)]
    items = [callback_welcome_kwargs(world.account.id, parse_xml(friend["xml"])) for friend in friends]
    send_welcomes(world.tenant.id, items=items)
    codes = [friend["welcome_code"] for friend in friends]
    sent = [call["body"]["welcome_code"] for call in world.sandbox.calls(SEND)]
    assert sent == codes[:WELCOMES_PER_JOB]
    handed_on = [m.kwargs["items"] for m in pending(platform, WELCOME_QUEUE)]
    assert [[item["welcome_code"] for item in part] for part in handed_on] == [
        codes[WELCOMES_PER_JOB:2 * WELCOMES_PER_JOB], codes[2 * WELCOMES_PER_JOB:]]
    platform.bus.start_worker(threads=2)
    worker.join()
    send_welcomes(world.tenant.id, items=items)  # the whole batch redelivered
    worker.join()
    assert sorted(call["body"]["welcome_code"] for call in world.sandbox.calls(SEND)) == sorted(codes)
    assert {row.status for row in ledger(db, world.tenant)} == {DeliveryStatus.SENT}
    assert len(ledger(db, world.tenant)) == count


def test_a_batch_is_sent_here_when_the_broker_refuses_the_rest(app, db, platform, world, monkeypatch):
    from scrm_wecom.welcome.dispatch import WELCOMES_PER_JOB, send_welcomes

    from scrm.sdk.wechat import parse_xml

    def refuse(jobs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(platform.bus, "send_many", refuse)
    welcome(db, world, "Hello")
    friends = [world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": f"Friend {n}"})
               for n in range(WELCOMES_PER_JOB + 3)]
    send_welcomes(world.tenant.id, items=[callback_welcome_kwargs(world.account.id, parse_xml(friend["xml"]))
                                          for friend in friends])
    assert [call["body"]["welcome_code"] for call in world.sandbox.calls(SEND)] == [f["welcome_code"] for f in friends]
    assert pending(platform, WELCOME_QUEUE) == []
