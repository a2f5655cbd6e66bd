"""Live-code QR images are drawn by the SDK's QR helper and fall back to the tenant's brand logo when neither the
code nor its account has a logo of its own, so the brand setting "logo on QR codes" (spec
marketing-and-platform-rules A.2) covers live codes; the switch off, or another tenant's logo, draws none."""

from __future__ import annotations

import io

from PIL import Image
from test_wecom_livecodes_pages import codes, create
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import fresh, logo_png

from scrm.sdk import qr
from scrm.sdk.shortlinks import TenantLogo

BRAND, OWN, ACCOUNT = (0, 128, 0), (220, 20, 60), (0, 0, 255)


def _centre(staff, code_id: int, size: int = 344) -> tuple[int, int, int]:
    response = staff.get(f"/t/acme/wecom/livecodes/{code_id}/qr.png?size={size}")
    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.data))
    image.load()
    return image.convert("RGB").getpixel((size // 2, size // 2))


def _brand_logo(db, tenant_id: int, on: bool) -> None:
    db.add(TenantLogo(tenant_id=tenant_id, image=qr.validate_logo(logo_png(BRAND)), on_qr_codes=on))
    db.commit()


def _upload(staff, path: str, color, **data):
    data["logo"] = (io.BytesIO(logo_png(color)), "logo.png")
    response = staff.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def test_without_any_logo_the_centre_is_a_plain_module(db, world, staff):
    create(world, staff)
    [code] = codes(db, world.tenant)
    assert _centre(staff, code.id) in ((0, 0, 0), (255, 255, 255))


def test_the_brand_logo_is_drawn_when_neither_the_code_nor_the_account_has_one(db, world, staff):
    create(world, staff)
    [code] = codes(db, world.tenant)
    _brand_logo(db, world.tenant.id, on=True)
    assert _centre(staff, code.id) == BRAND
    _upload(staff, f"/t/acme/wecom/livecodes/accounts/{world.account.id}/logo", ACCOUNT, code_id=str(code.id))
    assert _centre(staff, code.id) == ACCOUNT  # the account's logo comes before the brand's
    _upload(staff, f"/t/acme/wecom/livecodes/{code.id}/logo", OWN)
    assert _centre(staff, code.id) == OWN  # the code's own before both
    assert staff.post(f"/t/acme/wecom/livecodes/{code.id}/logo", data={"remove": "1"}).status_code == 302
    assert staff.post(f"/t/acme/wecom/livecodes/accounts/{world.account.id}/logo",
                      data={"code_id": str(code.id), "remove": "1"}).status_code == 302
    fresh(db)
    assert _centre(staff, code.id) == BRAND


def test_the_brand_logo_with_its_switch_off_is_not_drawn(db, world, staff):
    create(world, staff)
    [code] = codes(db, world.tenant)
    _brand_logo(db, world.tenant.id, on=False)
    assert _centre(staff, code.id) in ((0, 0, 0), (255, 255, 255))


def test_another_tenants_brand_logo_is_never_drawn(db, world, staff, other_tenant):
    create(world, staff)
    [code] = codes(db, world.tenant)
    _brand_logo(db, other_tenant.id, on=True)
    assert _centre(staff, code.id) in ((0, 0, 0), (255, 255, 255))
