"""The Moments task form: bad input is refused with a message per field and nothing written; CSRF on."""

from __future__ import annotations

import re

import pytest
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_moments_fixtures import *  # noqa: F403
from wecom_moments_fixtures import BASE, ids_of, post_task, tasks
from wecom_sync_fixtures import *  # noqa: F403


@pytest.mark.parametrize(("changes", "field"), [
    ({"text": "", "with_link": ""}, "text"),
    ({"text": "字" * 501}, "text"),
    ({"employee_ids": []}, "employee_ids"),
    ({"with_link": "1", "link_title": "新品", "link_url": "javascript:alert(1)"}, "link_url"),
    ({"with_link": "1", "link_title": "长" * 65, "link_url": "https://shop.example.com"}, "link_title"),
    ({"tag_ids": ["999999"]}, "tag_ids"),
])
def test_bad_input_is_refused_and_nothing_written(db, admin, synced, changes, field):
    data = {"text": "冬季新品", "employee_ids": ids_of(db, synced.tenant_id, "zhangsan"), **changes}
    response = admin.post(f"{BASE}/new", data=data)
    assert response.status_code == 422
    assert f'data-error="{field}"' in response.text
    assert tasks(db, synced.tenant_id) == []


def test_text_of_500_characters_is_accepted(db, admin, synced):
    assert post_task(admin, db, synced.tenant_id, "zhangsan", text="字" * 500).status_code == 302


def test_a_link_alone_is_enough(db, admin, synced):
    response = post_task(admin, db, synced.tenant_id, "zhangsan", text="", link=("", "https://shop.example.com/a"))
    assert response.status_code == 302
    assert tasks(db, synced.tenant_id)[0].attachment == {"type": "link", "title": "", "url": "https://shop.example.com/a"}


def test_an_employee_who_left_cannot_be_chosen(db, admin, synced):
    response = admin.post(f"{BASE}/new", data={"text": "早安", "employee_ids": ids_of(db, synced.tenant_id, "wangwu")})
    assert response.status_code == 422 and 'data-error="employee_ids"' in response.text


def test_writes_need_the_csrf_token(db, app, tenant, synced, wecom_admin):
    client = wecom_admin(tenant)
    app.config["WTF_CSRF_ENABLED"] = True  # after signing in (the sign-in helper posts bare)
    try:
        assert post_task(client, db, synced.tenant_id, "zhangsan").status_code == 400
        assert tasks(db, synced.tenant_id) == []
        token = re.search(r'name="csrf-token" content="([^"]+)"', client.get(f"{BASE}/new").text).group(1)
        data = {"text": "冬季新品", "employee_ids": ids_of(db, synced.tenant_id, "zhangsan"), "csrf_token": token}
        assert client.post(f"{BASE}/new", data=data).status_code == 302
        [task] = tasks(db, synced.tenant_id)
        assert client.post(f"{BASE}/{task.id}/refresh").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
