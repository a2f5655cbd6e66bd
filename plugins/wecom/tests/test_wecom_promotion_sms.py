"""Reward codes by SMS (B.8): the promotion form offers the SMS templates the SMS plugin offers the brand through the
``message_templates`` hook (approved, with a ``${code}`` variable), and the reward goes to the promoting employee's
mobile through the one outbound path into the SMS plugin's sandbox: once, however often the job runs; failed with
its reason (no mobile, SMS disabled since) and sent after a retry; never with another brand's templates."""

from __future__ import annotations

import httpx
import pytest
from scrm_wecom.promotion import sms as sms_reward
from scrm_wecom.promotion.models import PromotionActivity, PromotionReward
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import fresh, make_account, make_employees
from wecom_promotion_fixtures import *  # noqa: F403
from wecom_promotion_fixtures import BASE, add_friend, create, form, participant, rewards, run_job

from scrm.sdk import DeliveryStatus, MessageDelivery, send_message

pytest.importorskip("scrm_sms")

from scrm_sms.quota import service as quota  # noqa: E402
from scrm_sms.sandbox.state import DEFAULT_KEYS  # noqa: E402
from scrm_sms.signatures.models import SmsSignature  # noqa: E402
from scrm_sms.smstemplates.models import SmsTemplate  # noqa: E402

KEYS = {keys["provider"]: keys for keys in DEFAULT_KEYS}
SIGN = "珍客零售"
BODY = "您的推广奖励兑换码为${code}，${employee_name}辛苦了。"
VENDOR_BODY = {"aliyun": BODY, "tencent": "您的推广奖励兑换码为{1}，{2}辛苦了。"}
MOBILE = "13800001111"


class SmsSide:
    """The SMS plugin of a tenant against the sandbox: an account, an approved signature and templates."""

    def __init__(self, db, base: str, tenant, account, signature):
        self.db, self.base, self.tenant, self.account, self.signature = db, base, tenant, account, signature

    def template(self, code: str, body: str, *, status: str = "approved", name: str | None = None) -> SmsTemplate:
        provider = self.account.config["provider"]
        content = VENDOR_BODY[provider] if body == BODY else body
        _control(self.base, "seed", {"key_id": KEYS[provider]["key_id"], "signs": [SIGN],
                                     "templates": [{"code": code, "name": name or code, "content": content}]})
        row = SmsTemplate(tenant_id=self.tenant.id, name=name or f"奖励码{code[-2:]}", account_id=self.account.id,
                          signature_id=self.signature.id, category="notification", scenario="other", content=body,
                          status=status, provider_code=code)
        self.db.add(row)
        self.db.commit()
        return row

    def key(self, row: SmsTemplate) -> str:
        return f"sms:{self.account.id}:{row.id}"

    def sent(self) -> list[dict]:
        provider = self.account.config["provider"]
        answer = httpx.get(f"{self.base}/_sandbox/messages", params={"key_id": KEYS[provider]["key_id"]}, timeout=5)
        answer.raise_for_status()
        return answer.json()


def _control(base: str, path: str, body: dict) -> dict:
    answer = httpx.post(f"{base}/_sandbox/{path}", json=body, timeout=5)
    answer.raise_for_status()
    return answer.json()


@pytest.fixture
def sms_side(db, channel_sandbox, enable_plugins, make_channel_account):
    base = channel_sandbox("sms")
    _control(base, "config", {"auto_report": False})

    def make(tenant, provider: str = "aliyun") -> SmsSide:
        enable_plugins(tenant, "sms")
        for category in ("marketing", "notification"):  # a single send holds the tenant's prepaid quota
            quota.top_up(db, tenant.id, category, 100)
        keys = KEYS[provider]
        config = {"provider": provider, "api_base": f"{base}/{provider}", "sign_name": SIGN}
        if provider == "tencent":
            config["app_id"] = keys["app_id"]
        account = make_channel_account(tenant, "sms", name=f"{provider} SMS", external_id=keys["key_id"],
                                       credentials={"key_secret": keys["key_secret"],
                                                    "callback_token": "cb-token-0123456789abcdef"}, config=config)
        signature = SmsSignature(tenant_id=tenant.id, account_id=account.id, text=SIGN, status="approved",
                                 provider_ref=SIGN)
        db.add(signature)
        db.commit()
        return SmsSide(db, base, tenant, account, signature)

    return make


def _mobile(db, employee, mobile: str | None) -> None:
    employee = db.merge(employee)
    employee.mobile = mobile
    db.add(employee)
    db.commit()


def _sms_activity(db, world, staff, side: SmsSide, template: SmsTemplate, **changes) -> PromotionActivity:
    return create(db, world, staff, reward="sms", sms_template=side.key(template), standard_count="1", **changes)


def _deliveries(db, tenant_id: int) -> list[MessageDelivery]:
    fresh(db)
    return list(db.exec(select(MessageDelivery).where(MessageDelivery.tenant_id == tenant_id,
                                                      MessageDelivery.channel == "sms")))


def test_the_form_offers_only_the_brands_approved_templates_with_a_code(db, platform, world, staff, sms_side,
                                                                         other_tenant, enable_plugins):
    side = sms_side(world.tenant)
    coded = side.template("SMS_300001", BODY, name="推广奖励码")
    plain = side.template("SMS_300002", "${employee_name}您好，活动已开始。", name="活动通知")
    linked = side.template("SMS_300003", "兑换码${code}，详情${link}", name="带链接奖励")
    pending = side.template("SMS_300004", "待审核${code}", status="pending", name="待审核奖励")
    theirs = sms_side(other_tenant).template("SMS_300005", BODY, name="别家奖励码")
    html = staff.get(f"{BASE}/new").get_data(as_text=True)
    assert 'value="sms"' in html and side.key(coded) in html and "${code}" in html
    for row in (plain, linked, pending):
        assert f'value="{side.key(row)}"' not in html
    assert "别家奖励码" not in html and f"sms:{theirs.account_id}:{theirs.id}" not in html
    for key in (side.key(plain), side.key(linked), side.key(pending), f"sms:{theirs.account_id}:{theirs.id}", ""):
        response = staff.post(f"{BASE}/new", data=form(world, reward="sms", sms_template=key))
        assert response.status_code == 422, key
        assert 'data-error="sms_template"' in response.get_data(as_text=True)
    fresh(db)
    assert db.exec(select(PromotionActivity).where(PromotionActivity.tenant_id == world.tenant.id)).first() is None
    assert world.sandbox.calls("/cgi-bin/externalcontact/add_contact_way") == []
    activity = _sms_activity(db, world, staff, side, coded)
    assert (activity.reward, activity.sms_template, activity.sms_template_name) == ("sms", side.key(coded),
                                                                                   "推广奖励码")
    detail = staff.get(f"{BASE}/{activity.id}").get_data(as_text=True)
    assert "推广奖励码" in detail


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_the_reward_code_goes_by_sms_to_the_employee_once(db, platform, world, staff, sms_side, worker, provider):
    side = sms_side(world.tenant, provider)
    activity = _sms_activity(db, world, staff, side, side.template("SMS_300011" if provider == "aliyun" else "300011",
                                                                   BODY))
    _mobile(db, world.employees["zhangsan"], MOBILE)
    add_friend(db, platform, world, participant(db, activity, world.employees["zhangsan"]), "wmLily")
    [reward] = rewards(db, activity)
    assert reward.kind == "sms" and reward.status == "pending" and _deliveries(db, world.tenant.id) == []
    run_job(db, platform, world.tenant.id)
    run_job(db, platform, world.tenant.id)  # the job again (a retried round): nothing is sent twice
    [row] = _deliveries(db, world.tenant.id)
    assert row.idempotency_key == f"{reward.key}:sms:1" and row.recipient == MOBILE
    assert row.task_ref == f"wecom_promotion:{activity.id}" and row.purpose == "sms_notification"
    [reward] = rewards(db, activity)
    assert reward.delivery_id == row.id and reward.attempts == 1
    again = send_message(db, world.tenant.id, account=side.account.id, recipient=MOBILE,  # the same key: same row
                         message=sms_reward.choice(db, world.tenant.id, activity.sms_template).message({}),
                         purpose="sms_notification", idempotency_key=row.idempotency_key)
    db.commit()
    assert again.id == row.id
    worker.join()
    [message] = side.sent()
    assert message["mobile"] == MOBILE
    assert message["text"] == f"【{SIGN}】您的推广奖励兑换码为{reward.code}，Zhang San辛苦了。"
    run_job(db, platform, world.tenant.id)
    [reward] = rewards(db, activity)
    [row] = _deliveries(db, world.tenant.id)
    assert row.status == DeliveryStatus.SENT and reward.status == "sent" and reward.sent_at is not None, reward.last_error
    assert len(side.sent()) == 1
    page = staff.get(f"{BASE}/{activity.id}").get_data(as_text=True)
    assert reward.code in page and "Reward sent" in page


def test_concurrent_rounds_hand_a_reward_over_once(db, platform, world, staff, sms_side, app):
    from sqlmodel import Session

    side = sms_side(world.tenant)
    activity = _sms_activity(db, world, staff, side, side.template("SMS_300021", BODY))
    _mobile(db, world.employees["zhangsan"], MOBILE)
    add_friend(db, platform, world, participant(db, activity, world.employees["zhangsan"]), "wmLily")
    engine = platform.engine
    with Session(engine, expire_on_commit=False) as first, Session(engine, expire_on_commit=False) as second:
        handed = [sms_reward.send_due(first, world.tenant.id), sms_reward.send_due(second, world.tenant.id)]
    assert sorted(handed) == [0, 1] and len(_deliveries(db, world.tenant.id)) == 1


def test_no_mobile_fails_with_the_reason_and_a_retry_sends_it(db, platform, world, staff, sms_side, worker):
    side = sms_side(world.tenant)
    activity = _sms_activity(db, world, staff, side, side.template("SMS_300031", BODY))
    _mobile(db, world.employees["zhangsan"], None)
    add_friend(db, platform, world, participant(db, activity, world.employees["zhangsan"]), "wmLily")
    run_job(db, platform, world.tenant.id)
    [reward] = rewards(db, activity)
    assert reward.status == "failed" and reward.last_error == sms_reward.NO_MOBILE
    assert _deliveries(db, world.tenant.id) == [] and side.sent() == []
    page = staff.get(f"{BASE}/{activity.id}").get_data(as_text=True)
    assert "The employee has no mobile number in the address book." in page and 'data-testid="reward-retry"' in page
    _mobile(db, world.employees["zhangsan"], MOBILE)
    assert staff.post(f"{BASE}/{activity.id}/rewards/{reward.id}/retry").status_code == 302
    [reward] = rewards(db, activity)
    assert reward.status == "pending" and reward.last_error == sms_reward.NO_MOBILE  # kept until the next attempt
    again = staff.post(f"{BASE}/{activity.id}/rewards/{reward.id}/retry", follow_redirects=True)
    assert "Only a failed reward can be tried again." in again.get_data(as_text=True)
    run_job(db, platform, world.tenant.id)
    worker.join()
    run_job(db, platform, world.tenant.id)
    [reward] = rewards(db, activity)
    assert reward.status == "sent" and len(side.sent()) == 1


def test_sms_disabled_later_removes_the_option_and_refuses_the_send(db, platform, world, staff, sms_side, worker):
    from scrm.core.plugins.enablement import disable_plugin

    side = sms_side(world.tenant)
    template = side.template("SMS_300041", BODY)
    activity = _sms_activity(db, world, staff, side, template)
    _mobile(db, world.employees["zhangsan"], MOBILE)
    disable_plugin(db, platform.registry, db.merge(world.tenant), "sms")
    db.commit()
    html = staff.get(f"{BASE}/new").get_data(as_text=True)
    assert 'value="sms"' not in html and side.key(template) not in html
    response = staff.post(f"{BASE}/new", data=form(world, reward="sms", sms_template=side.key(template)))
    assert response.status_code == 422 and 'data-error="sms_template"' in response.get_data(as_text=True)
    add_friend(db, platform, world, participant(db, activity, world.employees["zhangsan"]), "wmLily")
    run_job(db, platform, world.tenant.id)
    [reward] = rewards(db, activity)
    assert reward.status == "failed" and reward.last_error == sms_reward.NOT_OFFERED
    assert _deliveries(db, world.tenant.id) == [] and side.sent() == []
    page = staff.get(f"{BASE}/{activity.id}").get_data(as_text=True)
    assert "The SMS template is no longer offered" in page
    from scrm.core.plugins.enablement import enable_plugin

    enable_plugin(db, platform.registry, db.merge(world.tenant), "sms")  # nothing was lost: a retry sends it
    db.commit()
    assert staff.post(f"{BASE}/{activity.id}/rewards/{reward.id}/retry").status_code == 302
    run_job(db, platform, world.tenant.id)
    worker.join()
    assert [m["mobile"] for m in side.sent()] == [MOBILE]


def test_another_brand_cannot_use_or_retry_them(db, platform, world, staff, sms_side, other_tenant, enable_plugins,
                                                 make_user, login, wecom_sandbox):
    side = sms_side(world.tenant)
    activity = _sms_activity(db, world, staff, side, side.template("SMS_300051", BODY))
    add_friend(db, platform, world, participant(db, activity, world.employees["zhangsan"]), "wmLily")
    run_job(db, platform, world.tenant.id)
    [reward] = rewards(db, activity)
    assert reward.status == "failed"  # no mobile
    enable_plugins(other_tenant, "wecom")
    from wecom_livecodes_fixtures import seed_corp

    seed_corp(wecom_sandbox, "wwcorp0000000002")
    make_account(db, platform, other_tenant, wecom_sandbox.base_url, corp_id="wwcorp0000000002")
    make_employees(db, other_tenant)
    other_side = sms_side(other_tenant)
    other_side.template("SMS_300052", BODY, name="别家奖励码")
    other = login(make_user("operator@globex.test", other_tenant, role="operator"))
    html = other.get("/t/globex/wecom/promotion/new").get_data(as_text=True)
    assert "别家奖励码" in html and side.key(db.get(SmsTemplate, int(activity.sms_template.split(":")[2]))) not in html
    assert other.post(f"/t/globex/wecom/promotion/{activity.id}/rewards/{reward.id}/retry").status_code == 404
    assert sms_reward.choice(db, other_tenant.id, activity.sms_template) is None
    _mobile(db, world.employees["zhangsan"], MOBILE)
    db.get(PromotionReward, reward.id)
    run_job(db, platform, other_tenant.id)  # the other brand's round touches none of these rewards
    [reward] = rewards(db, activity)
    assert reward.status == "failed" and _deliveries(db, other_tenant.id) == []
