"""The short-link service (scrm.sdk.shortlinks, spec A.2–A.3): validation of targets, the 5-year validity of short
links and permanent long links, codes, personalised links in bulk, the redirect with click recording, expiry, QR
images with the tenant's logo switch."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from scrm.core.models import ShortLink, ShortLinkClick, ShortLinkRecipient
from scrm.sdk import qr, shortlinks

NOW = datetime(2026, 12, 6, 2, 30, 15, tzinfo=UTC)
PHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Mobile/15E148 MicroMessenger/8.0.47")
DESKTOP_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36"


def logo_png(color=(220, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(out, "PNG")
    return out.getvalue()


# --- validation ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://files.example.com/a",
    "//evil.example/", "/s/abc", "https://", "https:///path", "https://user:pw@shop.example.com/",
    "https://shop.example.com/a b", "https://shop.example.com/\\evil", "https://shop .example.com/",
    "https://shop.example.com:99999/", "https://-bad-.example.com/", "http://[::zz]/", "", "   ",
    "https://shop.example.com/\x00", "vbscript:msgbox(1)", "https://shop.example.com/\nSet-Cookie: a=b",
])
def test_bad_targets_are_refused(url):
    with pytest.raises(shortlinks.ShortLinkError) as exc:
        shortlinks.validate_target(url)
    assert exc.value.field == "target_url"


@pytest.mark.parametrize("url", [
    "https://shop.example.com/1212?utm_source=sms&x=1#top", "http://m.example.cn", "https://商城.example.cn/活动",
    "https://shop.example.com:8443/a", "https://[2001:db8::1]/", "https://127.0.0.1:8080/x",
])
def test_good_targets_are_kept(url):
    assert shortlinks.validate_target(f"  {url} ") == url


def test_target_length_is_capped_at_2048_characters():
    base = "https://shop.example.com/"
    assert shortlinks.TARGET_MAX == 2048
    exact = base + "a" * (2048 - len(base))
    assert shortlinks.validate_target(exact) == exact
    with pytest.raises(shortlinks.ShortLinkError):
        shortlinks.validate_target(exact + "a")


def test_a_refused_link_writes_nothing(db, tenant):
    with pytest.raises(shortlinks.ShortLinkError):
        shortlinks.create(db, tenant.id, "javascript:alert(1)", channel="sms")
    with pytest.raises(shortlinks.ShortLinkError) as exc:
        shortlinks.create(db, tenant.id, "https://shop.example.com/", kind="forever")
    assert exc.value.field == "kind"
    with pytest.raises(shortlinks.ShortLinkError) as exc:
        shortlinks.create(db, tenant.id, "https://shop.example.com/", channel="SMS; drop")
    assert exc.value.field == "channel"
    with pytest.raises(shortlinks.ShortLinkError) as exc:
        shortlinks.create(db, tenant.id, "https://shop.example.com/", campaign="x" * 81)
    assert exc.value.field == "campaign"
    db.commit()
    assert db.execute(select(func.count()).select_from(ShortLink)).scalar_one() == 0


# --- validity (A.3) ----------------------------------------------------------------------------------------------

def test_short_links_are_valid_exactly_five_years_and_long_links_forever(db, tenant):
    link = shortlinks.create(db, tenant.id, "https://shop.example.com/1212", now=NOW)
    assert link.kind == "short"
    assert link.expires_at == datetime(2031, 12, 6, 2, 30, 15, tzinfo=UTC)
    forever = shortlinks.create(db, tenant.id, "https://shop.example.com/vip", kind="long", now=NOW)
    assert forever.expires_at is None
    # 29 February: the same day five years on does not exist; the link ends on 28 February
    leap = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
    assert shortlinks.expiry_for("short", leap) == datetime(2033, 2, 28, 12, 0, tzinfo=UTC)


def test_a_short_link_works_until_the_second_it_expires(db, tenant):
    link = shortlinks.create(db, tenant.id, "https://shop.example.com/1212", now=NOW)
    db.commit()
    resolved = shortlinks.resolve(db, link.code)
    end = datetime(2031, 12, 6, 2, 30, 15, tzinfo=UTC)
    assert not resolved.expired(end - timedelta(seconds=1))
    assert resolved.expired(end)
    assert not shortlinks.resolve(db, shortlinks.create(db, tenant.id, "https://a.example.com/", kind="long").code
                                  ).expired(end + timedelta(days=365 * 100))


# --- codes -------------------------------------------------------------------------------------------------------

def test_codes_are_short_random_base62_and_unique(db, tenant):
    codes = {shortlinks.create(db, tenant.id, "https://shop.example.com/").code for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == shortlinks.CODE_LENGTH == 7 and c.isalnum() and c.isascii() for c in codes)
    # not sequential: consecutive links share no long common prefix
    ordered = sorted(codes)
    assert len({c[:3] for c in ordered}) > 150


def test_a_code_collision_is_retried_with_a_fresh_code(db, tenant, monkeypatch):
    first = shortlinks.create(db, tenant.id, "https://shop.example.com/")
    db.commit()
    from scrm.core import shortlinks as core

    drawn = iter([first.code, "Zz9Yy8X"])
    monkeypatch.setattr(core, "new_code", lambda length=7: next(drawn))
    second = shortlinks.create(db, tenant.id, "https://shop.example.com/b")
    db.commit()
    assert second.code == "Zz9Yy8X"
    assert db.execute(select(func.count()).select_from(ShortLink)).scalar_one() == 2


def test_unknown_or_malformed_codes_resolve_to_nothing(db):
    for code in ("", "abc", "abcdefghi", "abc-def", "../../x", "AAAAAAA", "AAAAAAAA"):
        assert shortlinks.resolve(db, code) is None


# --- personalised links ------------------------------------------------------------------------------------------

def test_personalised_links_one_per_recipient_in_input_order(db, tenant, make_customer):
    li = make_customer(tenant, "李雷", "13800000001")
    link = shortlinks.create(db, tenant.id, "https://shop.example.com/1212", channel="sms", campaign="sms_task:1")
    codes = shortlinks.create_many_personalised(db, link, [("13800000001", li.id), "13800000002",
                                                           shortlinks.Recipient("13800000003")])
    db.commit()
    assert len(codes) == len(set(codes)) == 3
    assert all(len(c) == shortlinks.PERSONAL_CODE_LENGTH == 8 for c in codes)
    rows = {r.code: r for r in db.execute(select(ShortLinkRecipient)).scalars()}
    assert [rows[c].recipient for c in codes] == ["13800000001", "13800000002", "13800000003"]
    assert rows[codes[0]].customer_id == li.id
    db.refresh(link)
    assert link.recipients == 3
    resolved = shortlinks.resolve(db, codes[0])
    assert (resolved.link_id, resolved.customer_id, resolved.target_url) == (link.id, li.id, link.target_url)


def test_bulk_creation_of_100k_personalised_links_uses_multi_row_inserts(db, tenant, platform):
    from sqlalchemy import event

    link = shortlinks.create(db, tenant.id, "https://shop.example.com/1212", channel="sms", campaign="sms_task:2")
    db.commit()
    inserts = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO SHORT_LINK_RECIPIENT"):
            inserts.append(executemany)

    event.listen(platform.engine, "before_cursor_execute", count)
    try:
        codes = []
        recipients = [f"139{n:08d}" for n in range(100_000)]
        for start in range(0, len(recipients), 10_000):  # as a bulk send plans: 10,000 at a time
            codes.extend(shortlinks.create_many_personalised(db, link, recipients[start:start + 10_000]))
        db.commit()
    finally:
        event.remove(platform.engine, "before_cursor_execute", count)
    assert len(codes) == len(set(codes)) == 100_000
    assert db.execute(select(func.count()).select_from(ShortLinkRecipient)).scalar_one() == 100_000
    # multi-row statements of up to 1,000 recipients each, not one statement per recipient
    assert 0 < len(inserts) <= 100
    assert set("".join(codes[:2000])) == set(shortlinks.ALPHABET)  # every base62 character is drawn
    db.refresh(link)
    assert link.recipients == 100_000


def test_recipient_address_length_is_checked(db, tenant):
    link = shortlinks.create(db, tenant.id, "https://shop.example.com/")
    with pytest.raises(shortlinks.ShortLinkError):
        shortlinks.create_many_personalised(db, link, ["x" * 129])


# --- clicks ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("ua", "kind"), [
    (PHONE_UA, "wechat"), (DESKTOP_UA, "desktop"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36", "mobile"),
    ("Mozilla/5.0 (compatible; Googlebot/2.1)", "bot"), ("curl/8.5.0", "bot"), ("", "other"), (None, "other"),
    ("SomethingElse/1.0", "other"),
])
def test_agent_classes(ua, kind):
    assert shortlinks.agent_class(ua) == kind


def test_clicks_counted_per_link_and_per_recipient_robots_left_out(db, tenant):
    link = shortlinks.create(db, tenant.id, "https://shop.example.com/1212", channel="sms")
    a, b, _c = shortlinks.create_many_personalised(db, link, ["13800000001", "13800000002", "13800000003"])
    db.commit()
    key = "k"
    for code, ua in ((a, PHONE_UA), (a, PHONE_UA), (b, DESKTOP_UA), (a, "facebookexternalhit/1.1"),
                     (link.code, PHONE_UA)):
        shortlinks.record_click(db, shortlinks.resolve(db, code), ip="203.0.113.9", user_agent=ua, key=key, now=NOW)
    db.commit()
    numbers = shortlinks.stats(db, tenant.id, link.id, now=NOW)
    assert (numbers.clicks, numbers.bot_clicks, numbers.recipients, numbers.unique_recipients) == (4, 1, 3, 2)
    assert numbers.per_day[-1][1] == 4 and sum(n for _d, n in numbers.per_day) == 4 and len(numbers.per_day) == 30
    first = shortlinks.recipient_stats(db, tenant.id, link.id, "13800000001")
    assert (first.clicks, first.first_clicked_at) == (2, NOW)
    assert shortlinks.recipient_stats(db, tenant.id, link.id, b).clicks == 1
    assert shortlinks.recipient_stats(db, tenant.id, link.id, "13800000003").first_clicked_at is None
    assert shortlinks.click_counts(db, tenant.id, [link.id]) == {link.id: 4}


def test_click_addresses_are_stored_as_keyed_hashes(db, tenant):
    link = shortlinks.create(db, tenant.id, "https://shop.example.com/")
    db.commit()
    shortlinks.record_click(db, shortlinks.resolve(db, link.code), ip="203.0.113.9", user_agent=PHONE_UA, key="k1")
    db.commit()
    row = db.execute(select(ShortLinkClick)).scalars().one()
    assert "203.0.113.9" not in row.ip_hash and len(row.ip_hash) == 32
    from scrm.core.shortlinks import hash_ip

    assert hash_ip("203.0.113.9", "k1") == row.ip_hash != hash_ip("203.0.113.9", "k2")


def test_stats_of_another_tenants_link_are_empty(db, tenant, other_tenant):
    link = shortlinks.create(db, tenant.id, "https://shop.example.com/")
    db.commit()
    shortlinks.record_click(db, shortlinks.resolve(db, link.code), ip="1.2.3.4", user_agent=PHONE_UA, key="k")
    db.commit()
    assert shortlinks.stats(db, other_tenant.id, link.id).clicks == 0
    assert shortlinks.get(db, other_tenant.id, link.id) is None
    assert shortlinks.get_by_code(db, other_tenant.id, link.code) is None
    assert list(shortlinks.clicks(db, other_tenant.id, link.id)) == []
    assert shortlinks.click_counts(db, other_tenant.id, [link.id]) == {}


# --- QR images (A.2, A.3) ----------------------------------------------------------------------------------------

def test_qr_png_is_a_png_of_the_asked_size(db, tenant):
    link = shortlinks.create(db, tenant.id, "https://shop.example.com/")
    png = shortlinks.qr_png(db, link, base="https://m.brand.example", size=344)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (344, 344)
    with pytest.raises(ValueError):
        shortlinks.qr_png(db, link, base="https://m.brand.example", size=100_000)


def test_the_tenant_logo_switch_changes_every_qr_image(db, tenant, other_tenant):
    from scrm.core import shortlinks as core

    link = shortlinks.create(db, tenant.id, "https://shop.example.com/")
    plain = shortlinks.qr_png(db, link, base="https://m.brand.example")
    with pytest.raises(shortlinks.ShortLinkError):  # no logo yet: the switch cannot be on
        core.set_logo(db, tenant.id, None, True)
    core.set_logo(db, tenant.id, qr.validate_logo(logo_png()), False)
    assert shortlinks.qr_png(db, link, base="https://m.brand.example") == plain  # stored but switched off
    core.set_logo(db, tenant.id, None, True)
    with_logo = shortlinks.qr_png(db, link, base="https://m.brand.example")
    assert with_logo != plain
    centre = Image.open(io.BytesIO(with_logo)).convert("RGB").getpixel((215, 215))
    assert centre[0] > 180 and centre[1] < 80  # the red logo sits in the centre
    assert shortlinks.qr_png(db, link, base="https://m.brand.example", logo=None) == plain
    # the other tenant's codes stay plain
    theirs = shortlinks.create(db, other_tenant.id, "https://shop.example.com/")
    png = Image.open(io.BytesIO(shortlinks.qr_png(db, theirs, base="https://m.brand.example"))).convert("RGB")
    assert png.getpixel((215, 215)) in ((0, 0, 0), (255, 255, 255))  # a module of the code, no logo
    assert qr.tenant_qr_logo(db, other_tenant.id) is None and qr.tenant_qr_logo(db, tenant.id)


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"), (b"GIF89a" + b"\x00" * 20, "format"), (b"x" * (2 * 1024 * 1024 + 1), "too_large"),
])
def test_bad_logos_are_refused_before_decoding(data, reason):
    with pytest.raises(qr.LogoRejected) as exc:
        qr.validate_logo(data)
    assert exc.value.reason == reason


def test_a_tiny_logo_is_refused():
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG")
    with pytest.raises(qr.LogoRejected) as exc:
        qr.validate_logo(out.getvalue())
    assert exc.value.reason == "size"


def test_a_personalised_batch_that_hits_an_existing_code_is_drawn_again(db, tenant, monkeypatch):
    from scrm.core import shortlinks as core

    link = shortlinks.create(db, tenant.id, "https://shop.example.com/")
    (taken,) = shortlinks.create_many_personalised(db, link, ["13800000001"])
    db.commit()
    batches = iter([[taken, "Aa1Bb2Cc"], ["Dd3Ee4Ff", "Gg5Hh6Ii"]])
    monkeypatch.setattr(core, "_distinct_codes", lambda count: next(batches))
    assert shortlinks.create_many_personalised(db, link, ["13800000002", "13800000003"]) == ["Dd3Ee4Ff", "Gg5Hh6Ii"]
    db.commit()
    db.refresh(link)
    assert link.recipients == 3
    assert shortlinks.resolve(db, "Aa1Bb2Cc") is None  # the refused batch left nothing behind


def test_a_recipients_personalised_link_is_found_through_its_index(db, tenant):
    """The deliver-time lookup of a recipient's personalised link (link, recipient) has its own index (migration
    0014_core); on PostgreSQL the planner uses it."""
    from sqlalchemy import inspect, text

    indexes = {tuple(ix["column_names"]) for ix in inspect(db.get_bind()).get_indexes("short_link_recipient")}
    assert ("link_id", "recipient") in indexes
    link = shortlinks.create(db, tenant.id, "https://m.example.com/a")
    shortlinks.create_many_personalised(db, link, [f"1380000{i:04d}" for i in range(50)])
    db.commit()
    found = shortlinks.recipient_stats(db, tenant.id, link.id, "13800000042")
    assert found is not None and found.recipient == "13800000042"
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in db.execute(text(
            "EXPLAIN SELECT id FROM short_link_recipient WHERE link_id = :l AND recipient = :r"),
            {"l": link.id, "r": "13800000042"}))
        db.rollback()
        assert "ix_short_link_recipient_lookup" in plan, plan
