"""``scrm demo`` for the official account (accounts and 消息管理 areas) on a fresh SQLite instance: the brand's two
accounts (a verified service account, a subscription account the stores share), fans' messages pushed by the
sandbox as encrypted callbacks and processed into conversations (one older than 48 hours, not listed), quick-reply
scripts and an employee's reply; run twice without duplicates."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from scrm_official_account.demo_messages import MESSAGES, SCRIPTS
from scrm_official_account.messages import service
from scrm_official_account.messages.models import ChatMessage, QuickReply
from sqlalchemy import func
from sqlmodel import Session, select

from scrm.hostapp.cli import main
from scrm.sdk import ChannelAccount, MessageDelivery
from scrm.sdk.testing import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_instance(tmp_path, monkeypatch, scrm_app):
    manifest = tmp_path / "plugins.toml"
    manifest.write_text('[plugins.members]\ndefault_enabled = true\n\n[plugins.official_account]\n'
                        'default_enabled = true\n', encoding="utf-8")
    monkeypatch.setenv("SCRM_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SCRM_PLUGINS_TOML", str(manifest))
    for name in ("SCRM_DATABASE_URL", "SCRM_BROKER_URL", "SCRM_REDIS_URL", "SCRM_SANDBOXES"):
        monkeypatch.delenv(name, raising=False)
    yield tmp_path
    import dramatiq

    from scrm.core.jobs import bus

    bus._current = scrm_app.extensions["scrm"].bus
    dramatiq.set_broker(scrm_app.extensions["scrm"].bus.broker)


def test_the_demo_seeds_two_accounts_conversations_and_scripts_once(demo_instance, scrm_app):
    from scrm.core.config import Settings
    from scrm.hostapp import create_app

    url = f"http://127.0.0.1:{free_port()}"
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["demo", "--url", url], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    app = create_app(Settings.from_env(), broker_namespace="scrm-oa-demo-test")
    try:
        with Session(app.extensions["scrm"].engine) as session:
            accounts = session.exec(select(ChannelAccount).where(ChannelAccount.plugin == "official_account")
                                    .order_by(ChannelAccount.id)).all()
            assert [(a.name, a.config["account_type"], a.config["verified"]) for a in accounts] == [
                ("示例品牌服务号", "service", True), ("示例品牌门店号", "subscription", False)]
            brand = accounts[0]
            assert session.exec(select(func.count()).select_from(QuickReply)).one() == len(SCRIPTS)
            inbound = session.exec(select(func.count()).select_from(ChatMessage).where(
                ChatMessage.account_id == brand.id, ChatMessage.direction == "in")).one()
            assert inbound == len(MESSAGES)
            rows, total = service.conversations(session, brand.tenant_id, brand.id)
            listed = {r.conversation.openid for r in rows}
            assert total == len(MESSAGES) - 1 and "oDemoFan0007" not in listed and "oDemoFan0006" in listed
            staff = session.exec(select(MessageDelivery).where(MessageDelivery.account_id == brand.id,
                                                               MessageDelivery.purpose == "oa_message")).all()
            assert [d.recipient for d in staff] == ["oDemoFan0002"]
    finally:
        app.extensions["scrm"].close()
