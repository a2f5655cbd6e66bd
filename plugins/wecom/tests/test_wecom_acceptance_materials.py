"""Acceptance walk of the material centre (spec operations-materials-community §4.3, §5.1): 总浏览量 counts views,
总点击人数 distinct customers, 总分享人数 distinct sending employees and 总分享次数 sends, each read from its own card
with figures that differ from one another (one employee sends three times to two customers, who open four times)."""

from __future__ import annotations

import re

from test_wecom_materials_tracking import customer, open_link, send
from wecom_materials_fixtures import *  # noqa: F403
from wecom_materials_fixtures import make_material, sidebar_sign_in


def metric(page: str, name: str) -> int:
    return int(re.search(rf'data-metric="{name}"><div class="small">[^<]*</div><strong>(\d+)</strong>', page).group(1))


def test_5_1_views_viewers_senders_and_sends_are_each_counted_their_own_way(db, app, world, staff):
    material = make_material(db, world.tenant, "poster", title="双12海报")
    customer(db, world, "王小姐", "wmAlice")
    customer(db, world, "李先生", "wmBob")
    zhang = sidebar_sign_in(app.test_client(), world, "zhangsan")
    first, second = (send(zhang, material, "wmAlice")["news"]["link"] for _ in range(2))
    to_bob = send(zhang, material, "wmBob")["news"]["link"]
    phone = app.test_client()
    for link in (first, first, second, to_bob):
        open_link(phone, link)
    detail = staff.get(f"/t/acme/wecom/materials/{material.id}").get_data(as_text=True)
    assert {name: metric(detail, name) for name in ("views", "viewers", "senders", "sends")} == {
        "views": 4, "viewers": 2, "senders": 1, "sends": 3}
    listing = staff.get("/t/acme/wecom/materials/").get_data(as_text=True)
    assert re.search(rf'data-material-id="{material.id}".*?data-stat="views">4<', listing, re.S)
