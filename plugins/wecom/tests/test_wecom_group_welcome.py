"""Group welcome templates (spec §2.3, §3.3, §4.3): registered with WeCom's group_welcome_template API, listed as the
group tab of the welcome page, text required and at most one attachment, notify passed to WeCom, edits and deletes
reach WeCom, nothing kept when WeCom refuses; the public function the community plugin reads. Attachments are
materials of the material centre: a poster an image (its media uploaded once per account), a link or an article a
link; an attachment typed before the material centre stays readable and is kept on edit."""

from __future__ import annotations

import scrm_wecom
from scrm_wecom.group_welcome.models import GroupWelcomeTemplate
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_moments_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import CORP_ID

from scrm.sdk import Tenant

BASE = "/t/acme/wecom/welcome/group"
ADD = "/cgi-bin/externalcontact/group_welcome_template/add"
EDIT = "/cgi-bin/externalcontact/group_welcome_template/edit"
UPLOAD = "/cgi-bin/media/upload"


def material(db, tenant_id: int, kind: str = "link", **extra):
    from wecom_materials_fixtures import make_material

    return make_material(db, db.get(Tenant, tenant_id), kind, **extra)


def gift_link(db, tenant_id: int):
    return material(db, tenant_id, "link", title="新人礼包", url="https://shop.example.com/gift", summary="领取 50 元券")


def rows(db, tenant_id: int) -> list[GroupWelcomeTemplate]:
    db.commit()
    db.expire_all()
    return list(db.execute(select(GroupWelcomeTemplate).where(GroupWelcomeTemplate.tenant_id == tenant_id)
                           .order_by(GroupWelcomeTemplate.id)).scalars())


def test_create_registers_the_template_in_wecom_with_its_link_and_notify(db, admin, synced, sandbox):
    link = gift_link(db, synced.tenant_id)
    assert f'value="{link.id}"' in admin.get(f"{BASE}/new").text
    response = admin.post(f"{BASE}/new", data={
        "text": "欢迎加入会员福利群，每周三有专属优惠", "material_ids": str(link.id), "notify_employees": "1"})
    assert response.status_code == 302
    [row] = rows(db, synced.tenant_id)
    [call] = sandbox[1].calls(ADD)
    assert call["body"]["text"] == {"content": "欢迎加入会员福利群，每周三有专属优惠"}
    assert call["body"]["link"] == {"title": "新人礼包", "url": "https://shop.example.com/gift", "desc": "领取 50 元券"}
    assert call["body"]["notify"] == 1
    stored = sandbox[1].corp(CORP_ID)["group_welcome_templates"][row.template_id]
    assert stored["notify"] == 1 and stored["link"]["title"] == "新人礼包"
    page = admin.get(f"{BASE}/").text
    assert f'data-template-id="{row.id}"' in page and 'data-kind="text_link"' in page
    assert 'data-testid="welcome-tabs"' in page


def test_without_notify_wecom_is_told_not_to_notify(db, admin, synced, sandbox):
    admin.post(f"{BASE}/new", data={"text": "欢迎入群"})
    [call] = sandbox[1].calls(ADD)
    assert call["body"]["notify"] == 0 and "link" not in call["body"] and "image" not in call["body"]


def test_text_is_required_and_bad_attachments_refused(db, admin, synced, sandbox, other_tenant):
    poster, link = material(db, synced.tenant_id, "poster"), gift_link(db, synced.tenant_id)
    video = material(db, synced.tenant_id, "video", title="新品视频")
    stranger = material(db, other_tenant.id, "link", title="Globex sale")
    for data, field in (({"text": " "}, "text"),
                        ({"text": "欢迎", "material_ids": [str(poster.id), str(link.id)]}, "material_ids"),
                        ({"text": "欢迎", "material_ids": str(video.id)}, "material_ids"),
                        ({"text": "欢迎", "material_ids": str(stranger.id)}, "material_ids"),
                        ({"text": "字" * 1001}, "text")):
        response = admin.post(f"{BASE}/new", data=data)
        assert response.status_code == 422 and f'data-error="{field}"' in response.text, data
    assert rows(db, synced.tenant_id) == [] and sandbox[1].calls(ADD) == []


def test_wecom_refusing_keeps_nothing(db, admin, synced, sandbox):
    sandbox[1].fail_next(ADD, 41060)
    response = admin.post(f"{BASE}/new", data={"text": "欢迎入群"})
    assert response.status_code == 502 and 'data-error="wecom"' in response.text
    assert rows(db, synced.tenant_id) == []


def test_edit_and_delete_reach_wecom(db, admin, synced, sandbox):
    admin.post(f"{BASE}/new", data={"text": "欢迎入群"})
    [row] = rows(db, synced.tenant_id)
    poster = material(db, synced.tenant_id, "poster")
    response = admin.post(f"{BASE}/{row.id}/edit", data={"text": "欢迎入群，群内每周抽奖", "material_ids": str(poster.id)})
    assert response.status_code == 302
    stored = sandbox[1].corp(CORP_ID)["group_welcome_templates"][row.template_id]
    [upload] = sandbox[1].calls(UPLOAD)
    assert stored["text"]["content"] == "欢迎入群，群内每周抽奖" and set(stored["image"]) == {"media_id"}
    assert rows(db, synced.tenant_id)[0].attachment == {"type": "image", "material_id": poster.id, "title": "双12海报"}
    assert 'data-kind="text_image"' in admin.get(f"{BASE}/").text
    assert f'value="{poster.id}" checked' in admin.get(f"{BASE}/{row.id}/edit").text
    # saved again: the poster's media id is reused, not uploaded a second time
    assert admin.post(f"{BASE}/{row.id}/edit", data={"text": "欢迎入群", "material_ids": str(poster.id)}
                      ).status_code == 302
    assert len(sandbox[1].calls(UPLOAD)) == 1
    assert sandbox[1].calls(EDIT)[-1]["body"]["image"] == stored["image"]
    assert admin.post(f"{BASE}/{row.id}/delete").status_code == 302
    assert rows(db, synced.tenant_id) == []
    assert sandbox[1].corp(CORP_ID)["group_welcome_templates"] == {}


def test_the_hundred_and_first_template_is_refused(db, admin, synced):
    for i in range(100):
        db.add(GroupWelcomeTemplate(tenant_id=synced.tenant_id, account_id=synced.id, template_id=f"msg{i}",
                                    text=f"欢迎 {i}"))
    db.commit()
    response = admin.post(f"{BASE}/new", data={"text": "第一百零一条"})
    assert response.status_code == 422 and 'data-error="limit"' in response.text
    db.delete(rows(db, synced.tenant_id)[0])
    db.commit()
    assert admin.post(f"{BASE}/new", data={"text": "第一百条"}).status_code == 302


def test_the_community_plugin_reads_them_through_the_public_api(db, admin, synced, other_tenant):
    admin.post(f"{BASE}/new", data={"text": "欢迎入群", "material_ids": str(gift_link(db, synced.tenant_id).id)})
    [item] = scrm_wecom.group_welcome_templates(db, synced.tenant_id)
    assert isinstance(item, scrm_wecom.GroupWelcome)
    assert (item.text, item.kind, item.account_id) == ("欢迎入群", "text_link", synced.id) and item.template_id
    assert scrm_wecom.group_welcome_templates(db, other_tenant.id) == []
    assert scrm_wecom.group_welcome_templates(db, synced.tenant_id, account_id=synced.id + 100) == []


def test_a_group_chat_shows_the_templates_of_its_account(db, platform, admin, synced, sandbox):
    from scrm_wecom.sandbox import GroupChatControl
    from wecom_groupchats_fixtures import chat_of, run_group_sync

    GroupChatControl(sandbox[1], CORP_ID).create({"chat_id": "wrStore", "name": "静安店会员群", "owner": "zhangsan",
                                                  "members": [{"userid": "wmAlice", "type": 2}]})
    run_group_sync(db, platform, synced)
    admin.post(f"{BASE}/new", data={"text": "欢迎加入静安店会员群"})
    [row] = rows(db, synced.tenant_id)
    chat = chat_of(db, synced.tenant_id, "wrStore")
    page = admin.get(f"/t/acme/wecom/groupchats/{chat.id}").text
    listed = page.split('data-testid="chat-group-welcomes"')[1].split("</ul>")[0]
    assert f'data-template-id="{row.id}"' in listed and "欢迎加入静安店会员群" in listed


def test_an_article_material_is_sent_as_a_link_to_its_page(db, admin, synced, sandbox):
    article = material(db, synced.tenant_id, "article", title="秋冬新品速递")
    assert admin.post(f"{BASE}/new", data={"text": "欢迎入群", "material_ids": str(article.id)}).status_code == 302
    [call] = sandbox[1].calls(ADD)
    link = call["body"]["link"]
    assert link["title"] == "秋冬新品速递" and link["desc"] == "新品速递" and link["url"].startswith("http")
    assert "image" not in call["body"] and rows(db, synced.tenant_id)[0].attachment["type"] == "link"


def test_an_attachment_typed_before_the_material_centre_stays_readable_and_is_kept(db, admin, synced, sandbox):
    typed = {"type": "link", "title": "老礼包", "url": "https://shop.example.com/old", "desc": "旧版链接"}
    admin.post(f"{BASE}/new", data={"text": "欢迎入群"})
    [row] = rows(db, synced.tenant_id)
    row.attachment = typed  # as stored before the material centre
    db.add(row)
    db.commit()
    page = admin.get(f"{BASE}/{row.id}/edit").text
    assert 'data-testid="typed-attachment"' in page and "老礼包" in page and "https://shop.example.com/old" in page
    assert "老礼包" in admin.get(f"{BASE}/{row.id}").text
    assert admin.post(f"{BASE}/{row.id}/edit", data={"text": "欢迎入群！", "keep_typed": "1"}).status_code == 302
    assert sandbox[1].calls(EDIT)[-1]["body"]["link"] == {"title": "老礼包", "url": "https://shop.example.com/old",
                                                          "desc": "旧版链接"}
    assert rows(db, synced.tenant_id)[0].attachment == typed
    assert admin.post(f"{BASE}/{row.id}/edit", data={"text": "欢迎入群！"}).status_code == 302
    assert "link" not in sandbox[1].calls(EDIT)[-1]["body"] and rows(db, synced.tenant_id)[0].attachment == {}


def test_another_tenants_template_cannot_be_edited(db, admin, synced, other_tenant):
    db.add(GroupWelcomeTemplate(tenant_id=other_tenant.id, account_id=synced.id, template_id="msgX", text="欢迎"))
    db.commit()
    [row] = db.execute(select(GroupWelcomeTemplate).where(GroupWelcomeTemplate.tenant_id == other_tenant.id)).scalars()
    assert admin.get(f"{BASE}/{row.id}/edit").status_code == 404
