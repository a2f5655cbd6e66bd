"""``scrm demo`` with the SMS sandbox on a fresh SQLite instance: the brand's accounts, quota bought as packages, a
finished marketing bulk send from an approved system template to a tag's customers (personalised short links, the
sandbox's delivery reports applied, the quota settled), run twice without duplicates; the pages show it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session, func, select

from scrm.hostapp.cli import main
from scrm.sdk.testing import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_instance(tmp_path, monkeypatch) -> Path:
    manifest = tmp_path / "plugins.toml"
    manifest.write_text('[plugins.members]\ndefault_enabled = true\n\n[plugins.sms]\n', encoding="utf-8")
    instance = tmp_path / "instance"
    monkeypatch.setenv("SCRM_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("SCRM_PLUGINS_TOML", str(manifest))
    for name in ("SCRM_DATABASE_URL", "SCRM_BROKER_URL", "SCRM_REDIS_URL", "SCRM_SANDBOXES"):
        monkeypatch.delenv(name, raising=False)
    return instance


def _give_back_the_session_bus(scrm_app) -> None:
    import dramatiq

    from scrm.core.jobs import bus

    session_bus = scrm_app.extensions["scrm"].bus
    bus._current = session_bus
    dramatiq.set_broker(session_bus.broker)


def test_the_demo_has_a_finished_bulk_send_and_its_quota(demo_instance, scrm_app):
    from scrm_sms import demo as sms_demo
    from scrm_sms.bulk.models import SmsBulkSend
    from scrm_sms.quota import service as quota
    from scrm_sms.quota.models import SmsRecharge
    from scrm_sms.smstemplates.models import SmsTemplate

    from scrm.core.config import Settings
    from scrm.hostapp import create_app
    from scrm.sdk import MessageDelivery, shortlinks

    url = f"http://127.0.0.1:{free_port()}"
    runner = CliRunner()
    try:
        for _ in range(2):
            result = runner.invoke(main, ["demo", "--url", url], catch_exceptions=False)
            assert result.exit_code == 0, result.output
        password = result.output.strip().splitlines()[-1].rsplit(" / ", 1)[1]
        app = create_app(Settings.from_env(), broker_namespace="scrm-sms-demo-test")
        plat = app.extensions["scrm"]
        with Session(plat.engine) as session:
            [bulk] = session.exec(select(SmsBulkSend)).all()
            assert bulk.status == "finished" and bulk.creator_name == sms_demo.CREATOR
            assert bulk.recipients >= sms_demo.MIN_AUDIENCE and bulk.estimated >= bulk.recipients
            assert bulk.delivered_count > 0 and bulk.delivered_count + bulk.failed_count <= bulk.estimated
            b = quota.balance(session, bulk.tenant_id, "marketing")
            assert b.purchased == 20_000 and b.reserved == 0 and b.sent == bulk.consumed
            assert b.available == 20_000 - bulk.consumed
            assert session.exec(select(func.count()).select_from(SmsRecharge)).one() == 2
            template = session.get(SmsTemplate, bulk.template_id)
            assert template.system_key == "live_broadcast" and template.usage_count == 1
            from scrm_sms.signatures.models import SmsSignature
            from scrm_sms.signatures.service import approved_text

            # the send's signature is approved on its account, filed once per demo account (run twice above)
            assert approved_text(session, bulk.tenant_id, bulk.account_id, bulk.signature) is not None
            assert session.exec(select(func.count()).select_from(SmsSignature)).one() == 2
            rows = session.exec(select(MessageDelivery).where(
                MessageDelivery.task_ref.like(f"sms_bulk:{bulk.id}:%"))).all()
            assert len(rows) == bulk.recipients
            link = session.exec(shortlinks.query(bulk.tenant_id, channel="sms",
                                                 campaign=f"sms_bulk:{bulk.id}")).first()
            assert link is not None and link.recipients == bulk.recipients
        client = app.test_client()
        app.config["WTF_CSRF_ENABLED"] = False
        assert client.post("/login", data={"email": "admin@demo.local", "password": password}).status_code == 302
        client.get("/lang/zh_CN")
        page = client.get("/t/demo/sms/bulk/").get_data(as_text=True)
        assert f'data-bulk-id="{bulk.id}"' in page and "发送成功" in page
        assert "充值记录" in client.get("/t/demo/sms/recharge/").get_data(as_text=True)
        plat.close()
    finally:
        _give_back_the_session_bus(scrm_app)
