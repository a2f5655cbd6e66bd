"""The mass-send pages in headless Chromium (CSRF on, zh_CN): the form, the confirm page with its figures, the
created send's details with the outcome chart drawn, and the list's progress text."""

from __future__ import annotations

import pytest
from scrm_wecom.masssend.models import MassTask
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_masssend_fixtures import *  # noqa: F403

from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, email: str, language: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(f"/lang/{language}")


def test_form_confirm_create_and_details(page, db, mass_env, make_user, app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        make_user("ops@acme.test", mass_env.tenant, role="operator")
        sign_in(page, "ops@acme.test", "zh_CN")
        page.goto("/t/acme/wecom/masssend/?tab=single")
        page.click("[data-testid=new-masssend]")
        page.fill("[data-testid=masssend-text]", "双十二会员专享：全场满299减50")
        page.click("[data-testid=masssend-next]")
        assert page.inner_text("[data-testid=preview-matched]") == "6"
        assert page.inner_text("[data-testid=preview-no-friend]") == "1"
        assert page.inner_text("[data-testid=preview-employees]") == "3"
        page.click("[data-testid=masssend-submit]")
        page.wait_for_selector("[data-testid=masssend-cards]")
        assert "待发送" in page.inner_text("[data-testid=task-status]")
        page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('masssend-chart'))")
        db.expire_all()
        task = db.execute(select(MassTask)).scalar_one()
        assert task.created_by == "ops@acme.test" and task.targeted == 5
        page.set_viewport_size({"width": 375, "height": 800})
        page.goto("/t/acme/wecom/masssend/?tab=single")
        assert page.inner_text(f"[data-task-id='{task.id}'] [data-testid=progress]") == "待发送"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
