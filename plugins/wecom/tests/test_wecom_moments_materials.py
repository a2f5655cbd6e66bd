"""Moments with the material centre's posters, video or link (spec §4.1 rule 3: at most 9 images, each at most
2 MB): images and videos are uploaded with media/upload_attachment (attachment_type 1) when the task goes to WeCom,
a link or article becomes the link attachment; the limits are tested at the boundary."""

from __future__ import annotations

from scrm_wecom.materials.files import file_of
from scrm_wecom.materials.models import FILE_ROLE
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_materials_fixtures import make_material
from wecom_moments_fixtures import *  # noqa: F403
from wecom_moments_fixtures import BASE, ids_of, poll, tasks
from wecom_sync_fixtures import *  # noqa: F403

ADD = "/cgi-bin/externalcontact/add_moment_task"
UPLOAD = "/cgi-bin/media/upload_attachment"
TWO_MB = 2 * 1024 * 1024


def _post(admin, db, tenant_id, material_ids, text="冬季新品九宫格"):
    return admin.post(f"{BASE}/new", data={"text": text, "employee_ids": ids_of(db, tenant_id, "zhangsan"),
                                           "material_ids": [str(m) for m in material_ids]})


def _sized(db, material, size: int) -> None:
    """Pad the poster's PNG to exactly ``size`` bytes (the signature stays a PNG's)."""
    file = file_of(db, material.id, FILE_ROLE)
    file.data = file.data + b"\0" * (size - len(file.data))
    file.size = size
    db.add(file)
    db.commit()


def test_nine_posters_go_to_wecom_as_moments_attachments(db, platform, admin, synced, tenant, sandbox):
    posters = [make_material(db, tenant, "poster", title=f"海报{i}") for i in range(9)]
    assert _post(admin, db, tenant.id, [p.id for p in posters]).status_code == 302
    poll(db, platform, tenant.id)
    [task] = tasks(db, tenant.id)
    assert task.status == "created", task.error
    uploads = sandbox[1].calls(UPLOAD)
    assert len(uploads) == 9 and {u["query"]["attachment_type"] for u in uploads} == {"1"}
    [call] = sandbox[1].calls(ADD)
    images = call["body"]["attachments"]
    assert len(images) == 9 and {a["msgtype"] for a in images} == {"image"}
    assert all(a["image"]["media_id"].startswith("att_") for a in images)


def test_ten_posters_are_refused(db, admin, synced, tenant):
    posters = [make_material(db, tenant, "poster", title=f"海报{i}") for i in range(10)]
    response = _post(admin, db, tenant.id, [p.id for p in posters])
    assert response.status_code == 422 and 'data-error="material_ids"' in response.text
    assert tasks(db, tenant.id) == []


def test_a_poster_of_2_mb_is_accepted_and_one_byte_more_refused(db, platform, admin, synced, tenant, sandbox):
    poster = make_material(db, tenant, "poster")
    _sized(db, poster, TWO_MB + 1)
    response = _post(admin, db, tenant.id, [poster.id])
    assert response.status_code == 422 and 'data-error="material_ids"' in response.text
    _sized(db, poster, TWO_MB)
    assert _post(admin, db, tenant.id, [poster.id]).status_code == 302
    poll(db, platform, tenant.id)
    assert tasks(db, tenant.id)[0].status == "created"


def test_a_video_goes_up_as_one_video_attachment(db, platform, admin, synced, tenant, sandbox):
    video = make_material(db, tenant, "video", title="新品短片")
    assert _post(admin, db, tenant.id, [video.id]).status_code == 302
    poll(db, platform, tenant.id)
    [call] = sandbox[1].calls(ADD)
    [attachment] = call["body"]["attachments"]
    assert attachment["msgtype"] == "video" and attachment["video"]["media_id"].startswith("att_")
    assert sandbox[1].calls(UPLOAD)[0]["query"]["media_type"] == "video"


def test_a_link_material_becomes_the_link_and_kinds_do_not_mix(db, platform, admin, synced, tenant, sandbox):
    link = make_material(db, tenant, "link", title="双12会员日", url="https://shop.example.com/1212")
    poster = make_material(db, tenant, "poster")
    response = _post(admin, db, tenant.id, [link.id, poster.id])
    assert response.status_code == 422 and 'data-error="material_ids"' in response.text
    assert _post(admin, db, tenant.id, [link.id]).status_code == 302
    poll(db, platform, tenant.id)
    [call] = sandbox[1].calls(ADD)
    assert call["body"]["attachments"] == [{"msgtype": "link", "link": {"title": "双12会员日",
                                                                        "url": "https://shop.example.com/1212"}}]


def test_another_brands_material_cannot_be_chosen(db, admin, synced, tenant, other_tenant):
    theirs = make_material(db, other_tenant, "poster")
    response = _post(admin, db, tenant.id, [theirs.id])
    assert response.status_code == 422 and 'data-error="material_ids"' in response.text


def test_a_material_deleted_before_the_upload_fails_the_task(db, platform, admin, synced, tenant, sandbox):
    from scrm_wecom.materials.service import delete_material

    poster = make_material(db, tenant, "poster")
    _post(admin, db, tenant.id, [poster.id])
    delete_material(poster)
    db.add(poster)
    db.commit()
    poll(db, platform, tenant.id)
    [task] = tasks(db, tenant.id)
    assert task.status == "failed" and "no longer available" in task.error
    assert sandbox[1].calls(ADD) == []
