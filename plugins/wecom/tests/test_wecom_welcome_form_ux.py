"""Welcome pages' UX: names of customers in the recent sends link to the members profile (only with members enabled),
the content form offers the variables the welcome rendering supports as insert buttons, groups each attachment
field by kind, shows a phone preview with sample values, and has no inline script."""

from __future__ import annotations

import re

from scrm_wecom.welcome.content import VARIABLES, Recipient, substitute
from wecom_livecodes_fixtures import *  # noqa: F403

from scrm.core.models import Customer, MessageDelivery

FORM = "/t/acme/wecom/welcome/new"


def add_send(db, tenant, name: str) -> Customer:
    customer = Customer(tenant_id=tenant.id, name=name)
    db.add(customer)
    db.flush()
    db.add(MessageDelivery(tenant_id=tenant.id, channel="wecom", kind="welcome", customer_id=customer.id,
                           recipient=f"wm-{name}", idempotency_key=f"welcome:{name}"))
    db.commit()
    return customer


def test_sent_customers_link_to_the_profile_only_with_members_enabled(db, world, staff, enable_plugins):
    anna = add_send(db, world.tenant, "Anna")
    page = staff.get("/t/acme/wecom/welcome/").get_data(as_text=True)
    cell = page.split('data-testid="send-customer"', 1)[1].split("</td>", 1)[0]
    assert "Anna" in cell and "<a " not in cell
    enable_plugins(world.tenant, "wecom", "members")
    page = staff.get("/t/acme/wecom/welcome/").get_data(as_text=True)
    cell = page.split('data-testid="send-customer"', 1)[1].split("</td>", 1)[0]
    assert f'<a href="/t/acme/members/customers/{anna.id}">Anna</a>' in cell


def test_the_form_offers_each_supported_variable_as_an_insert_button(db, world, staff):
    page = staff.get(FORM).get_data(as_text=True)
    block = page.split('data-testid="message-form-default"', 1)[1].split("</aside>", 1)[0]
    offered = re.findall(r'data-insert-variable="\{(\w+)\}"', block)
    assert offered == list(VARIABLES)
    # every offered placeholder is one the welcome rendering fills
    filled = substitute(" ".join(f"{{{v}}}" for v in offered), Recipient("E", "P", "C"))
    assert "{" not in filled


def test_attachments_are_picked_from_the_material_library_not_typed(db, world, staff):
    from wecom_materials_fixtures import make_material

    kinds = ("poster", "file", "video", "link", "article", "miniprogram")
    made = {kind: make_material(db, world.tenant, kind, title=f"素材 {kind}") for kind in kinds}
    page = staff.get(FORM).get_data(as_text=True)
    block = page.split('data-testid="message-form-default"', 1)[1].split("<aside", 1)[0]
    offered = set(re.findall(r'name="material_ids" value="(\d+)"', block))
    assert offered == {str(m.id) for m in made.values()}  # every kind send_welcome_msg takes
    assert "Choose up to 9 materials" in block
    assert not re.search(r'name="att-\d+-(media_id|pic_url|url|pic_media_id)"', page)


def test_the_phone_preview_fills_variables_with_sample_values(db, world, staff):
    from wecom_materials_fixtures import make_material

    link = make_material(db, world.tenant, "link", title="Spring sale")
    data = {"audience": "selected", "text": "Hi {customer_name}, I am {employee_name}",
            "material_ids": [str(link.id)]}  # no employee chosen: the form comes back (422)
    response = staff.post(FORM, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    preview = page.split("data-phone-preview", 1)[1].split("</aside>", 1)[0]
    bubble = preview.split("data-preview-text", 1)[1].split("</div>", 1)[0]
    assert "Hi Li Lei, I am Wang Fang" in bubble and "{customer_name}" not in bubble
    assert "Spring sale" in preview
    assert f'name="material_ids" value="{link.id}" checked' in page


def test_the_form_page_has_no_inline_script_or_handler(db, world, staff):
    page = staff.get(FORM).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page)
    assert not re.search(r"\son(click|submit|change|input)=", page)
    assert "/static/js/message_form.js" in page
