"""The material centre's public API: choices for forms and WeCom attachments (media uploaded once per account and
reused for its 3 days, link / mini program shapes, errors for foreign or deleted materials)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scrm_wecom.client import WeComClient
from scrm_wecom.materials import media, service
from scrm_wecom.materials.attachments import AttachmentError, choices, wecom_attachments
from scrm_wecom.materials.models import MaterialMedia
from sqlmodel import select
from wecom_materials_fixtures import *  # noqa: F403
from wecom_materials_fixtures import CORP_ID, make_material

from scrm.sdk import Tenant


def client(world, platform):
    return WeComClient.for_account(world.account, platform)


def test_each_kind_becomes_its_wecom_attachment(db, world, platform, monkeypatch):
    monkeypatch.setenv("SCRM_PUBLIC_URL", "https://scrm.example.com")
    made = {k: make_material(db, world.tenant, k, title=f"素材{k}"[:20])
            for k in ("poster", "file", "video", "link", "article", "miniprogram")}
    ids = [made[k].id for k in ("poster", "file", "video", "link", "article", "miniprogram")]
    with client(world, platform) as c:
        out = wecom_attachments(db, world.tenant.id, ids, c)
    db.commit()
    assert [a["msgtype"] for a in out] == ["image", "file", "video", "link", "link", "miniprogram"]
    corp_media = world.sandbox.corp(CORP_ID)["media"]
    assert corp_media[out[0]["image"]["media_id"]]["type"] == "image"
    assert corp_media[out[1]["file"]["media_id"]]["type"] == "file"
    assert corp_media[out[2]["video"]["media_id"]]["type"] == "video"
    assert out[3]["link"] == {"title": "素材link", "url": "https://shop.example.com/1212", "desc": "双12会员日"}
    article = out[4]["link"]
    assert article["url"] == f"https://scrm.example.com/p/acme/wecom/mp/{made['article'].token}"
    assert article["picurl"].startswith(f"https://scrm.example.com/p/acme/wecom/mf/{made['article'].token}/cover")
    mini = out[5]["miniprogram"]
    assert mini["appid"] == "wx0123456789abcdef" and mini["page"] == "pages/index/index.html"
    assert corp_media[mini["pic_media_id"]]["type"] == "image"


def test_a_media_id_is_reused_for_three_days_less_a_margin_then_uploaded_again(db, world, platform):
    poster = make_material(db, world.tenant, "poster")
    with client(world, platform) as c:
        first = wecom_attachments(db, world.tenant.id, [poster.id], c)
        db.commit()
        again = wecom_attachments(db, world.tenant.id, [poster.id], c)
        db.commit()
        assert again == first and len(world.sandbox.calls("/cgi-bin/media/upload")) == 1
        row = db.exec(select(MaterialMedia).where(MaterialMedia.material_id == poster.id)).one()
        row.uploaded_at -= media.REUSE_FOR  # exactly at the reuse bound: a new upload
        db.commit()
        renewed = wecom_attachments(db, world.tenant.id, [poster.id], c)
        db.commit()
    assert renewed != first and len(world.sandbox.calls("/cgi-bin/media/upload")) == 2
    assert media.REUSE_FOR < timedelta(days=3)


def test_a_new_file_is_uploaded_again(db, world, platform):
    from scrm_wecom.materials import files
    from wecom_materials_fixtures import png

    poster = make_material(db, world.tenant, "poster")
    with client(world, platform) as c:
        wecom_attachments(db, world.tenant.id, [poster.id], c)
        db.commit()
        service.save_material(db, world.tenant.id, "enterprise", service.MaterialValues(
            kind="poster", title=poster.title, file=files.check_upload("poster", png(color=(1, 2, 3)), "b.png")),
            "x", material=poster)
        db.commit()
        wecom_attachments(db, world.tenant.id, [poster.id], c)
    assert len(world.sandbox.calls("/cgi-bin/media/upload")) == 2


def test_foreign_and_deleted_materials_are_refused(db, world, platform):
    other = Tenant(slug="other", name="Other brand")
    db.add(other)
    db.commit()
    theirs = make_material(db, other, "link")
    gone = make_material(db, world.tenant, "link", title="下架")
    service.delete_material(gone)
    db.commit()
    with client(world, platform) as c:
        for material_id in (theirs.id, gone.id, 999999):
            with pytest.raises(AttachmentError):
                wecom_attachments(db, world.tenant.id, [material_id], c)
    assert world.sandbox.calls("/cgi-bin/media/upload") == []


def test_choices_list_live_materials_of_the_tenant_and_kinds(db, world):
    other = Tenant(slug="other", name="Other brand")
    db.add(other)
    db.commit()
    make_material(db, other, "poster", title="别家海报")
    poster = make_material(db, world.tenant, "poster", title="海报A")
    video = make_material(db, world.tenant, "video", title="视频A")
    gone = make_material(db, world.tenant, "poster", title="下架")
    service.delete_material(gone)
    db.commit()
    assert [i for i, _ in choices(db, world.tenant.id)] == [video.id, poster.id]
    assert [i for i, _ in choices(db, world.tenant.id, kinds=("poster",))] == [poster.id]
    assert choices(db, world.tenant.id, kinds=("poster",))[0][1].startswith("海报A (")
