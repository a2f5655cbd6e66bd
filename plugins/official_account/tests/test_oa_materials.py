"""Materials (spec 3.2, 4.1, acceptance 1-3) against the sandbox: permanent image / voice / video uploads with their
type and size limits, the news editor's rules (title, cover, digest 120, read-original link 255), news edits pushed
to WeChat, in-use protection, tenant and account isolation."""

from __future__ import annotations

from oa_fixtures import *  # noqa: F403
from oa_fixtures import OTHER_APPID
from oa_materials_support import *  # noqa: F403
from oa_materials_support import fresh, mp3, mp4, png, wav
from scrm_official_account.materials import get_material, picker_choices, set_references
from scrm_official_account.materials import service as materials
from scrm_official_account.materials.models import Material, NewsArticle
from sqlmodel import select

from scrm.sdk import Tenant

ADD = "/cgi-bin/material/add_material"


def stored(db, tenant, kind=None) -> list[Material]:
    fresh(db)
    query = select(Material).where(Material.tenant_id == tenant.id)
    if kind:
        query = query.where(Material.kind == kind)
    return list(db.exec(query.order_by(Material.id)))


def article(cover, **overrides) -> dict:
    values = {"title": "冬季新品上市", "author": "小美", "digest": "三款限定色号，会员专享九折", "content": "<p>新品<b>限时</b>发售</p>",
              "content_source_url": "https://brand.example.com/news/winter", "cover_id": str(cover),
              "show_cover": "1"}
    values.update(overrides)
    return values


def news_form(account, *articles: dict) -> dict:
    data = {"account_id": str(account.id), "article_count": str(len(articles)), "action": "save"}
    for i, a in enumerate(articles):
        data.update({f"articles-{i}-{k}": v for k, v in a.items()})
    return data


# -- uploads ---------------------------------------------------------------------------------------------------

def test_an_image_is_uploaded_as_a_permanent_material(db, oa_world):
    response = oa_world.upload("image", png(), "banner.png")
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    [image] = stored(db, oa_world.tenant)
    [call] = oa_world.calls(ADD)
    assert call["query"]["type"] == "image" and call["errcode"] == 0
    assert image.kind == "image" and image.media_id.startswith("SBXM_") and image.url.startswith("http://mmbiz")
    assert image.content_type == "image/png" and image.size == len(png())
    assert image.account_id == oa_world.account.id
    page = oa_world.staff.get(oa_world.url(f"/materials/?account_id={oa_world.account.id}&tab=image"))
    assert f'data-material-id="{image.id}"' in page.get_data(as_text=True)
    served = oa_world.staff.client.get(oa_world.url(f"/materials/{image.id}/file"))
    assert served.status_code == 200 and served.data == png() and served.mimetype == "image/png"


def test_the_image_size_limit_is_checked_before_anything_is_decoded_or_sent(db, oa_world):
    limit = materials.MAX_BYTES["image"]
    assert limit == 10 * 1024 * 1024
    refused = oa_world.upload("image", png(pad_to=limit + 1), "big.png")
    assert refused.status_code == 422
    assert 'data-error="file"' in refused.get_data(as_text=True)
    assert stored(db, oa_world.tenant) == [] and oa_world.calls(ADD) == []
    accepted = oa_world.upload("image", png(pad_to=limit), "exact.png")
    assert accepted.status_code == 302
    assert [m.size for m in stored(db, oa_world.tenant)] == [limit]


def test_voice_and_video_limits_and_formats(db, oa_world):
    assert materials.MAX_BYTES["voice"] == 2 * 1024 * 1024 and materials.MAX_BYTES["video"] == 10 * 1024 * 1024
    assert oa_world.upload("voice", mp3(2 * 1024 * 1024 + 1), "jingle.mp3").status_code == 422
    assert oa_world.upload("voice", mp3(2 * 1024 * 1024), "jingle.mp3").status_code == 302
    assert oa_world.upload("voice", wav(61), "long.wav").status_code == 422
    assert oa_world.upload("voice", wav(60), "short.wav").status_code == 302
    assert oa_world.upload("voice", b"MZ" + b"\0" * 100, "jingle.mp3").status_code == 422  # not an mp3 inside
    assert oa_world.upload("video", mp4(), "clip.mp4").status_code == 422  # a video needs its title
    assert oa_world.upload("video", mp4(10 * 1024 * 1024 + 1), "clip.mp4", title="门店探访").status_code == 422
    assert oa_world.upload("video", mp4(), "clip.avi", title="门店探访").status_code == 422
    assert oa_world.upload("video", mp4(), "clip.mp4", title="门店探访", description="上海旗舰店").status_code == 302
    kinds = [(m.kind, m.content_type) for m in stored(db, oa_world.tenant)]
    assert kinds == [("voice", "audio/mpeg"), ("voice", "audio/wav"), ("video", "video/mp4")]
    video_call = oa_world.calls(ADD)[-1]
    assert video_call["query"]["type"] == "video"
    assert video_call["body"]["description"] == '{"title": "门店探访", "introduction": "上海旗舰店"}'


def test_a_file_that_is_not_the_tab_type_is_refused(db, oa_world):
    assert oa_world.upload("image", b"GIF89a" + b"\0" * 10, "fake.png").status_code == 422
    assert oa_world.upload("image", png(), "banner.exe").status_code == 422
    assert oa_world.upload("image", b"", "empty.png").status_code == 422
    no_file = oa_world.staff.post(oa_world.url("/materials/upload"),
                                  data={"account_id": str(oa_world.account.id), "kind": "image"})
    assert no_file.status_code == 422 and 'data-error="file"' in no_file.get_data(as_text=True)
    assert stored(db, oa_world.tenant) == []


def test_a_wechat_size_error_is_shown_and_nothing_is_stored(db, oa_world):
    oa_world.fail(ADD, 45001)
    response = oa_world.upload("image", png(), "banner.png")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-error="upstream"' in page and "45001" in page
    assert stored(db, oa_world.tenant) == []


def test_the_sandbox_applies_wechat_limits_itself(oa_world, oa_client):
    from scrm_official_account.materials import wechat

    from scrm.sdk.wechat import WeChatAPIError

    client = oa_client(oa_world.account)
    for kind, name, size, code in (("voice", "a.mp3", 2 * 1024 * 1024 + 1, 45001), ("image", "a.txt", 10, 40005),
                                   ("nope", "a.png", 10, 40004)):
        try:
            wechat.add_material(client, kind, name, b"x" * size, "application/octet-stream")
        except WeChatAPIError as exc:
            assert exc.errcode == code
        else:
            raise AssertionError(f"{kind} {name} accepted")
    try:
        wechat.delete_material(client, "SBXM_missing")
    except WeChatAPIError as exc:
        assert exc.errcode == 40007
    else:
        raise AssertionError("unknown media deleted")


# -- news ------------------------------------------------------------------------------------------------------

def _image(db, world) -> Material:
    assert world.upload("image", png(), "cover.png").status_code == 302
    return stored(db, world.tenant, "image")[-1]


def test_news_validation_acceptance_3(db, oa_world):
    cover = _image(db, oa_world)
    url = oa_world.url("/materials/news/new")

    def post(**overrides):
        return oa_world.staff.post(url, data=news_form(oa_world.account, article(cover.id, **overrides)))

    assert post(title="").status_code == 422
    assert post(cover_id="").status_code == 422
    assert post(digest="优" * 121).status_code == 422
    long_url = "https://brand.example.com/" + "a" * (256 - len("https://brand.example.com/"))
    assert len(long_url) == 256
    assert post(content_source_url=long_url).status_code == 422
    assert post(content_source_url="javascript:alert(1)").status_code == 422
    assert stored(db, oa_world.tenant, "news") == []
    assert oa_world.calls("/cgi-bin/draft/add") == []
    assert post(digest="优" * 120, content_source_url=long_url[:255]).status_code == 302
    [news] = stored(db, oa_world.tenant, "news")
    [row] = db.exec(select(NewsArticle).where(NewsArticle.material_id == news.id)).all()
    assert len(row.digest) == 120 and len(row.content_source_url) == 255


def test_news_validation_messages_name_the_field(db, oa_world):
    cover = _image(db, oa_world)
    page = oa_world.staff.post(oa_world.url("/materials/news/new"),
                               data=news_form(oa_world.account, article(cover.id, title="", digest="x" * 121)))
    text = page.get_data(as_text=True)
    assert 'data-error="0.title"' in text and 'data-error="0.digest"' in text and "120" in text


def test_a_multi_article_news_is_one_draft_with_covers(db, oa_world):
    cover = _image(db, oa_world)
    second = _image(db, oa_world)
    response = oa_world.staff.post(oa_world.url("/materials/news/new"), data=news_form(
        oa_world.account, article(cover.id), article(second.id, title="门店活动", show_cover="")))
    assert response.status_code == 302
    [news] = stored(db, oa_world.tenant, "news")
    [call] = oa_world.calls("/cgi-bin/draft/add")
    assert [a["thumb_media_id"] for a in call["body"]["articles"]] == [cover.media_id, second.media_id]
    assert [a["show_cover_pic"] for a in call["body"]["articles"]] == [1, 0]
    assert news.media_id and news.name == "冬季新品上市"
    view = get_material(db, oa_world.tenant.id, oa_world.account.id, news.id)
    assert [a["title"] for a in view.articles] == ["冬季新品上市", "门店活动"]
    assert view.articles[0]["picurl"] == cover.url


def test_the_editor_adds_an_article_without_saving(db, oa_world):
    cover = _image(db, oa_world)
    data = news_form(oa_world.account, article(cover.id))
    data["action"] = "add_article"
    page = oa_world.staff.post(oa_world.url("/materials/news/new"), data=data)
    assert page.status_code == 200 and 'data-article="1"' in page.get_data(as_text=True)
    assert stored(db, oa_world.tenant, "news") == []


def test_editing_news_updates_the_draft_on_wechat_acceptance_2(db, oa_world):
    cover = _image(db, oa_world)
    oa_world.staff.post(oa_world.url("/materials/news/new"), data=news_form(oa_world.account, article(cover.id)))
    [news] = stored(db, oa_world.tenant, "news")
    response = oa_world.staff.post(oa_world.url(f"/materials/news/{news.id}/edit"),
                                   data=news_form(oa_world.account, article(cover.id, title="冬季新品第二波")))
    assert response.status_code == 302
    [call] = oa_world.calls("/cgi-bin/draft/update")
    assert call["body"]["media_id"] == news.media_id and call["body"]["index"] == 0
    assert call["body"]["articles"]["title"] == "冬季新品第二波"
    fresh(db)
    view = get_material(db, oa_world.tenant.id, oa_world.account.id, news.id)
    assert view.articles[0]["title"] == "冬季新品第二波" and view.revision == 2


def test_a_changed_article_count_replaces_the_draft(db, oa_world):
    cover = _image(db, oa_world)
    oa_world.staff.post(oa_world.url("/materials/news/new"), data=news_form(oa_world.account, article(cover.id)))
    [news] = stored(db, oa_world.tenant, "news")
    old_media = news.media_id
    oa_world.staff.post(oa_world.url(f"/materials/news/{news.id}/edit"),
                        data=news_form(oa_world.account, article(cover.id), article(cover.id, title="第二篇")))
    [news] = stored(db, oa_world.tenant, "news")
    assert news.media_id != old_media
    [deleted] = oa_world.calls("/cgi-bin/draft/delete")
    assert deleted["body"] == {"media_id": old_media}


def test_the_preview_renders_only_safe_html(db, oa_world):
    cover = _image(db, oa_world)
    oa_world.staff.post(oa_world.url("/materials/news/new"), data=news_form(
        oa_world.account, article(cover.id, content='<p onclick="x()">你好<script>alert(1)</script><b>会员</b></p>'
                                                    '<img src="javascript:x"><u>下划线</u>')))
    [news] = stored(db, oa_world.tenant, "news")
    page = oa_world.staff.get(oa_world.url(f"/materials/{news.id}")).get_data(as_text=True)
    assert "<p>你好<b>会员</b></p><u>下划线</u>" in page
    assert "alert(1)" not in page and "onclick" not in page and "javascript:x" not in page


# -- in use (acceptance 1) -------------------------------------------------------------------------------------

def test_a_referenced_material_cannot_be_deleted_until_released(db, oa_world):
    image = _image(db, oa_world)
    media_id = image.media_id
    set_references(db, oa_world.tenant.id, "menu_item", "menu:7", [image.id], label="底部菜单·会员中心")
    db.commit()
    refused = oa_world.staff.post(oa_world.url(f"/materials/{image.id}/delete"))
    assert refused.status_code == 409
    assert "底部菜单·会员中心" in refused.get_data(as_text=True)
    assert len(stored(db, oa_world.tenant)) == 1
    assert oa_world.calls("/cgi-bin/material/del_material") == []
    assert materials.reference_counts(db, oa_world.tenant.id, [image.id]) == {image.id: 1}
    set_references(db, oa_world.tenant.id, "menu_item", "menu:7", [])
    db.commit()
    assert oa_world.staff.post(oa_world.url(f"/materials/{image.id}/delete")).status_code == 302
    assert stored(db, oa_world.tenant) == []
    [call] = oa_world.calls("/cgi-bin/material/del_material")
    assert call["body"] == {"media_id": media_id}


def test_a_cover_image_is_in_use_by_its_news(db, oa_world):
    cover = _image(db, oa_world)
    oa_world.staff.post(oa_world.url("/materials/news/new"), data=news_form(oa_world.account, article(cover.id)))
    assert oa_world.staff.post(oa_world.url(f"/materials/{cover.id}/delete")).status_code == 409
    listing = oa_world.staff.get(oa_world.url(f"/materials/?account_id={oa_world.account.id}&tab=image"))
    assert 'data-references="1"' in listing.get_data(as_text=True)
    [news] = stored(db, oa_world.tenant, "news")
    assert oa_world.staff.post(oa_world.url(f"/materials/{news.id}/delete")).status_code == 302
    assert oa_world.staff.post(oa_world.url(f"/materials/{cover.id}/delete")).status_code == 302
    assert stored(db, oa_world.tenant) == []


def test_set_references_of_an_unchanged_referrer_is_idempotent(db, oa_world):
    image = _image(db, oa_world)
    for _ in range(2):
        set_references(db, oa_world.tenant.id, "mass_send", 3, [image.id])
    db.commit()
    usages = materials.usages_of(db, oa_world.tenant.id, image)
    assert usages == [("mass_send", "mass send")]


# -- isolation ---------------------------------------------------------------------------------------------------

def test_tenants_and_accounts_do_not_see_each_other(db, oa_world, make_tenant, enable_plugins, make_oa_account,
                                                    other_staff):
    image = _image(db, oa_world)
    second_account = make_oa_account(oa_world.tenant, api_base=oa_world.base, appid=OTHER_APPID, name="门店号")
    assert get_material(db, oa_world.tenant.id, oa_world.account.id, image.id) is not None
    assert get_material(db, oa_world.tenant.id, second_account.id, image.id) is None
    assert picker_choices(db, oa_world.tenant.id, second_account.id, ("image",)) == {"image": []}
    other = make_tenant("globex", "Globex")
    enable_plugins(other, "official_account")
    assert get_material(db, other.id, oa_world.account.id, image.id) is None
    intruder = other_staff(db.get(Tenant, other.id), "admin@globex.test")
    assert intruder.client.get(f"/t/globex/official_account/materials/{image.id}/file").status_code == 404
    for path in (f"/materials/{image.id}", f"/materials/news/{image.id}/edit",
                 f"/materials/?account_id={oa_world.account.id}"):
        assert intruder.get(f"/t/globex/official_account{path}").status_code == 404, path
    assert intruder.post(f"/t/globex/official_account/materials/{image.id}/delete").status_code == 404
    assert intruder.post("/t/globex/official_account/materials/upload",
                         data={"account_id": str(oa_world.account.id), "kind": "image"}).status_code == 404
    set_references(db, other.id, "menu_item", "m1", [image.id])  # another tenant's id is ignored
    db.commit()
    assert materials.usages_of(db, oa_world.tenant.id, image) == []
    assert len(stored(db, oa_world.tenant)) == 1


def test_the_pages_need_the_plugin(db, tenant, oa_admin):
    staff = oa_admin(tenant, role="operator")
    assert staff.get("/t/acme/official_account/materials/").status_code == 404
    assert staff.get("/t/acme/official_account/autoreply/").status_code == 404
