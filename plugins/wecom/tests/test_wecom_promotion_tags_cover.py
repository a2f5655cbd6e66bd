"""Tags and a cover image on a promotion activity (spec marketing-and-platform-rules B.8 "title, description, tags,
cover"): the brand's customer tags go to a customer whose result counts (inside the period, through a live code),
recorded with the source ``wecom_promotion`` and announced as ``customer.tags_changed``; the cover is checked before
decoding, shown in the list, on the details page and on the employee's page; bad input changes nothing; another
brand reaches none of it."""

from __future__ import annotations

import io
import re
import struct
import zlib
from datetime import timedelta

from PIL import Image
from scrm_wecom.promotion import service
from scrm_wecom.promotion.models import PromotionActivity, PromotionCover
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import fresh, friend_event
from wecom_promotion_fixtures import *  # noqa: F403
from wecom_promotion_fixtures import BASE, create, form, participant

from scrm.core.models import Outbox
from scrm.sdk import CustomerTag, Tag, TagGroup

ADD_WAY = "/cgi-bin/externalcontact/add_contact_way"


def _tags(db, tenant, *names: str) -> list[Tag]:
    group = TagGroup(tenant_id=tenant.id, name=f"推广-{tenant.id}")
    db.add(group)
    db.flush()
    tags = [Tag(tenant_id=tenant.id, group_id=group.id, name=n) for n in names]
    db.add_all(tags)
    db.commit()
    return tags


def _png(size=(320, 180), color=(35, 99, 235)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def _bomb() -> bytes:
    """A tiny PNG whose header declares 60,000 x 60,000 pixels (no pixel data worth decoding)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


def _friend(db, platform, world, part, external_userid: str, customer, at=None):
    event = friend_event(world, "zhangsan", external_userid, state=part.state, at=at)
    event.payload["customer_id"] = customer.id
    service.friend_added(db, event, platform.secrets)
    db.commit()


def _links(db, customer) -> list[tuple[int, str]]:
    fresh(db)
    return sorted(db.exec(select(CustomerTag.tag_id, CustomerTag.source)
                          .where(CustomerTag.customer_id == customer.id)).all())


def test_a_counted_result_gives_the_customer_the_activitys_tags_once(db, platform, world, staff, make_customer):
    vip, fan = _tags(db, world.tenant, "双12新客", "门店粉丝")
    activity = create(db, world, staff, tag_ids=[str(vip.id), str(fan.id)])
    assert db.get(PromotionActivity, activity.id).tag_ids == [vip.id, fan.id]
    zhang = participant(db, activity, world.employees["zhangsan"])
    lily, mia = make_customer(world.tenant, "Lily"), make_customer(world.tenant, "Mia")
    db.add(CustomerTag(tenant_id=world.tenant.id, customer_id=mia.id, tag_id=fan.id, source="manual"))
    db.commit()
    _friend(db, platform, world, zhang, "wmLily", lily)
    assert _links(db, lily) == sorted([(vip.id, "wecom_promotion"), (fan.id, "wecom_promotion")])
    announced = [o.payload for o in db.exec(select(Outbox).where(Outbox.tenant_id == world.tenant.id,
                                                                 Outbox.type == "customer.tags_changed"))]
    assert announced == [{"customer_ids": [lily.id], "added_tag_ids": [vip.id, fan.id], "removed_tag_ids": [],
                          "source": "wecom_promotion"}]
    _friend(db, platform, world, participant(db, activity, world.employees["lisi"]), "wmLily2", lily)
    assert len(_links(db, lily)) == 2  # no second link for the same tag
    _friend(db, platform, world, zhang, "wmMia", mia)  # a tag the customer already has keeps its source
    assert _links(db, mia) == sorted([(vip.id, "wecom_promotion"), (fan.id, "manual")])


def test_results_outside_the_period_give_no_tags(db, platform, world, staff, make_customer):
    [vip] = _tags(db, world.tenant, "双12新客")
    activity = create(db, world, staff, tag_ids=[str(vip.id)])
    activity = db.get(PromotionActivity, activity.id)
    zhang = participant(db, activity, world.employees["zhangsan"])
    late, early, last = (make_customer(world.tenant, n) for n in ("Late", "Early", "Last"))
    _friend(db, platform, world, zhang, "wmLate", late, at=activity.ends_at)
    _friend(db, platform, world, zhang, "wmEarly", early, at=activity.starts_at - timedelta(seconds=1))
    _friend(db, platform, world, zhang, "wmLast", last, at=activity.ends_at - timedelta(seconds=1))
    assert (_links(db, late), _links(db, early), _links(db, last)) == ([], [], [(vip.id, "wecom_promotion")])


def test_tags_must_be_the_brands_at_most_20_and_with_a_live_code(db, world, staff, other_tenant):
    [foreign] = _tags(db, other_tenant, "别家标签")
    mine = _tags(db, world.tenant, *[f"标签{n}" for n in range(21)])
    cases = [({"tag_ids": [str(foreign.id)]}, "Choose tags from this brand"),
             ({"tag_ids": [str(t.id) for t in mine]}, "An activity gives at most 20 tags."),
             ({"tag_ids": [str(mine[0].id)], "target": "link", "link_url": "https://shop.example.com/1",
               "standard": "clicks"}, "a link click has no known customer")]
    for change, message in cases:
        response = staff.post(f"{BASE}/new", data=form(world, **change))
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and 'data-error="tag_ids"' in page and message in page, change
    fresh(db)
    assert db.exec(select(PromotionActivity)).all() == [] and world.sandbox.calls(ADD_WAY) == []
    activity = create(db, world, staff, tag_ids=[str(t.id) for t in mine[:20]])
    assert len(db.get(PromotionActivity, activity.id).tag_ids) == 20
    page = staff.get(f"{BASE}/{activity.id}").get_data(as_text=True)
    assert "标签0、标签1" in page


def test_the_cover_is_shown_in_the_list_details_and_on_the_employees_page(db, world, staff, app):
    png = _png()
    activity = create(db, world, staff, cover=(io.BytesIO(png), "cover.png"))
    [cover] = db.exec(select(PromotionCover).where(PromotionCover.activity_id == activity.id)).all()
    assert cover.mime == "image/png" and cover.data == png and cover.tenant_id == world.tenant.id
    listing = staff.get(f"{BASE}/").get_data(as_text=True)
    src = re.search(r'<img src="([^"]+)" alt="" data-testid="promotion-cover"', listing).group(1)
    response = staff.get(src)
    assert response.status_code == 200 and response.data == png and response.mimetype == "image/png"
    assert 'data-testid="promotion-cover"' in staff.get(f"{BASE}/{activity.id}").get_data(as_text=True)
    zhang = participant(db, activity, world.employees["zhangsan"])
    visitor = app.test_client()
    page = visitor.get(f"/p/acme/wecom/promotion/{zhang.token}").get_data(as_text=True)
    public = re.search(r'<img src="([^"]+)" alt="" data-testid="promotion-cover"', page).group(1)
    assert public.startswith(f"/p/acme/wecom/promotion/{zhang.token}/cover")
    assert visitor.get(public).data == png
    without = create(db, world, staff)
    assert staff.get(f"{BASE}/{without.id}/cover").status_code == 404


def test_a_bad_cover_is_refused_before_decoding_and_nothing_is_written(db, world, staff):
    big = b"\x89PNG" + b"\0" * (2 * 1024 * 1024)
    cases = [(b"not an image at all", "cover.png", "not a PNG or JPG"),
             (_bomb(), "bomb.png", "too many pixels"),
             (big, "big.png", "at most 2 MB"),
             (_gif(), "cover.gif", "not a PNG or JPG")]
    for data, name, message in cases:
        response = staff.post(f"{BASE}/new", data=form(world, cover=(io.BytesIO(data), name)))
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and 'data-error="cover"' in page and message in page, name
    # a bad cover together with another mistake lists both
    response = staff.post(f"{BASE}/new", data=form(world, name="", cover=(io.BytesIO(b"x" * 10), "c.png")))
    page = response.get_data(as_text=True)
    assert 'data-error="cover"' in page and 'data-error="name"' in page
    fresh(db)
    assert db.exec(select(PromotionActivity)).all() == [] and db.exec(select(PromotionCover)).all() == []
    assert world.sandbox.calls(ADD_WAY) == []


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40)).save(out, "GIF")
    return out.getvalue()


def test_the_cover_upload_needs_the_csrf_token(db, app, world, staff):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = staff.post(f"{BASE}/new", data=form(world, cover=(io.BytesIO(_png()), "c.png")))
        assert response.status_code == 400
        fresh(db)
        assert db.exec(select(PromotionCover)).all() == []
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_another_brand_reaches_neither_cover_nor_tags(db, platform, world, staff, app, other_tenant, enable_plugins,
                                                     make_user, login, make_customer):
    [vip] = _tags(db, world.tenant, "双12新客")
    activity = create(db, world, staff, tag_ids=[str(vip.id)], cover=(io.BytesIO(_png()), "c.png"))
    zhang = participant(db, activity, world.employees["zhangsan"])
    enable_plugins(other_tenant, "wecom")
    other = login(make_user("operator@globex.test", other_tenant, role="operator"))
    assert other.get(f"/t/globex/wecom/promotion/{activity.id}/cover").status_code == 404
    assert other.get(f"{BASE}/{activity.id}/cover").status_code == 404
    assert app.test_client().get(f"/p/globex/wecom/promotion/{zhang.token}/cover").status_code == 404
    # a friend event of the other brand carrying this brand's state tags nobody
    intruder = make_customer(other_tenant, "Intruder")
    event = friend_event(world, "zhangsan", "wmIntruder", state=zhang.state, tenant_id=other_tenant.id)
    event.payload["customer_id"] = intruder.id
    service.friend_added(db, event, platform.secrets)
    db.commit()
    assert _links(db, intruder) == []
