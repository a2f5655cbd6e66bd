"""Shared fixtures of the material centre tests: the WeCom world of the live-code tests plus material helpers
(checked files, a material of each kind, departments and employees in them).

Import them explicitly: ``from wecom_materials_fixtures import *``.
"""

from __future__ import annotations

import io

from PIL import Image
from scrm_wecom.materials import files, service
from scrm_wecom.materials.models import ENTERPRISE
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import fresh  # noqa: F401

from scrm.sdk import Department

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png(size=(64, 48), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def make_material(db, tenant, kind="poster", *, title="双12海报", scope=ENTERPRISE, group_id=None, tag_ids=(),
                  **extra):
    values = service.MaterialValues(kind=kind, title=title, group_id=group_id, tag_ids=list(tag_ids))
    if kind == "poster":
        values.file = files.check_upload("poster", png(), "poster.png")
    elif kind == "file":
        values.file = files.check_upload("file", PDF, "brochure.pdf")
    elif kind == "video":
        values.file = files.check_upload("video", MP4, "clip.mp4")
    elif kind == "link":
        values.url = extra.pop("url", "https://shop.example.com/1212")
        values.summary = extra.pop("summary", "双12会员日")
    elif kind == "article":
        values.body = extra.pop("body", "秋冬新品上市，会员专享9折。")
        values.summary = extra.pop("summary", "新品速递")
        values.cover = files.check_cover(png(), "cover.png")
    elif kind == "miniprogram":
        values.appid, values.page = "wx0123456789abcdef", "pages/index/index.html"
        values.cover = files.check_cover(png(), "cover.png")
    for name, value in extra.items():
        setattr(values, name, value)
    material = service.save_material(db, tenant.id, scope, values, "operator@acme.test")
    db.commit()
    return material


def make_departments(db, tenant) -> dict[str, Department]:
    """HQ > East (> Shanghai store) and HQ > North."""
    hq = Department(tenant_id=tenant.id, name="HQ")
    db.add(hq)
    db.flush()
    east = Department(tenant_id=tenant.id, name="East", parent_id=hq.id)
    north = Department(tenant_id=tenant.id, name="North", parent_id=hq.id)
    db.add_all([east, north])
    db.flush()
    store = Department(tenant_id=tenant.id, name="Shanghai store", parent_id=east.id)
    db.add(store)
    db.commit()
    return {"hq": hq, "east": east, "north": north, "store": store}


def sidebar_sign_in(client, world, userid: str, slug: str = "acme"):
    """The WeCom OAuth round trip of the sidebar against the sandbox: the page sends the visitor to the authorize
    page, the sandbox signs ``userid`` in and answers with a code, the page turns the code into the employee."""
    import httpx

    first = client.get(f"/p/{slug}/wecom/sidebar/?account={world.account.id}")
    assert first.status_code == 302, first.get_data(as_text=True)[:500]
    authorize = first.headers["Location"].split("#", 1)[0] + f"&userid={userid}"
    answer = httpx.get(authorize, follow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = answer.headers["location"].replace("http://localhost", "")
    done = client.get(back)
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    return client
