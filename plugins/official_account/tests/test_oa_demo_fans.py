"""``scrm demo`` for the fan areas on a fresh SQLite instance: fans of both accounts read by a real sync (One-ID
linking demo customers by unionid), the stores sharing the stores account, QR codes with scans, a share-for-gift
campaign with valid and waiting helps; run twice without duplicates."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func
from sqlmodel import Session, select
from test_oa_demo_messages import demo_instance  # noqa: F401  (the fixture)

from scrm.hostapp.cli import main
from scrm.sdk import ChannelAccount
from scrm.sdk.testing import free_port

pytestmark = pytest.mark.slow


def test_the_demo_seeds_fans_stores_codes_and_a_campaign_once(demo_instance, scrm_app):  # noqa: F811
    from scrm_official_account.fans.models import Fan
    from scrm_official_account.qrcodes.models import QrCode, QrScan
    from scrm_official_account.share.models import ShareHelp, ShareParticipant, ShareReward
    from scrm_official_account.stores.models import StoreLink

    from scrm.core.config import Settings
    from scrm.hostapp import create_app

    url = f"http://127.0.0.1:{free_port()}"
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["demo", "--url", url], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    app = create_app(Settings.from_env(), broker_namespace="scrm-oa-demo-fans-test")
    try:
        with Session(app.extensions["scrm"].engine) as session:
            brand, stores = session.exec(select(ChannelAccount).where(ChannelAccount.plugin == "official_account")
                                         .order_by(ChannelAccount.id)).all()
            counts = dict(session.exec(select(Fan.account_id, func.count()).where(
                Fan.openid.like("oDemo%"), Fan.openid.not_like("oDemoFan%"), Fan.subscribed.is_(True))
                .group_by(Fan.account_id)).all())
            assert counts == {brand.id: 80, stores.id: 40}
            assert session.exec(select(func.count()).select_from(Fan).where(Fan.customer_id.is_(None))).one() == 0
            links = session.exec(select(StoreLink)).all()
            assert links and {link.account_id for link in links} == {stores.id}
            assert len(session.exec(select(QrCode)).all()) == 2 + 4  # two codes, four sharers' personal codes
            assert session.exec(select(func.count()).select_from(QrScan)).one() > 14
            assert [p.valid_helps for p in session.exec(select(ShareParticipant).order_by(ShareParticipant.id))] \
                == [7, 4, 2, 0]
            assert session.exec(select(func.count()).select_from(ShareHelp).where(ShareHelp.valid.is_(False))).one() == 1
            assert sorted(r.threshold for r in session.exec(select(ShareReward))) == [3, 3, 6]
    finally:
        app.extensions["scrm"].close()
