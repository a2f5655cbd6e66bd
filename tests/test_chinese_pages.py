"""Chinese first: the pages of a seeded tenant in zh_CN show no English.

Every GET page under ``/t/<slug>/`` that needs no other parameter (found in ``app.url_map``), plus detail pages of
the seeded rows, is rendered for a tenant admin in zh_CN. The check reads what a user sees: the text between tags
(scripts, styles and templates left out) and the ``title``, ``placeholder``, ``aria-label`` and ``alt`` attributes.
Any run of 3 or more ASCII letters that is not in the short allowlist below fails the test: there is no dictionary of
English words, so a new English word cannot slip through by being unknown. Data the test seeded is Chinese, so what
remains is the page chrome: labels, buttons, help, statuses and codes shown raw.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlmodel import select

from scrm.core.models import Customer, CustomerIdentity, Employee, IdentityKind
from scrm.core.timeutil import is_valid_zone

#: words a Chinese page may show in Latin letters: product names and standard abbreviations, each with its reason
ALLOWED = {
    "SCRM",   # the product
    "WeCom",  # 企业微信's own English name, used in Chinese UIs
    "SOP", "API", "CSV", "XLSX", "URL", "UTM", "RSA", "AES", "ISO", "HTML",  # abbreviations Chinese users read as they are
    # (abbreviations in any case: a file name's ``.csv``)
    "UTC", "UTF",  # the time standard; UTF-8 (the encoding of CSV files)
    "PNG", "JPEG", "JPG", "PDF",  # file formats, named as they are (the brand logo upload, the material centre)
    "ERP", "OpenAPI",  # what API tokens connect; the API description standard
    # field names WeCom's and WeChat's own Chinese admin consoles show in Latin letters (users copy them from there)
    "CorpId", "AgentId", "Secret", "Token", "EncodingAESKey", "AppID",
    "English",  # the language switch offers English by its own name
}
#: attributes whose values are read to the user (aria-label, title tooltips, placeholders, image text)
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
# scripts and styles are not read; ``<code>`` / ``<kbd>`` show identifiers users type or copy as they are (a plugin's
# name, a file's column keys, a token prefix), never words to translate
SKIPPED_ELEMENTS = {"script", "style", "template", "noscript", "code", "kbd"}
WORD = re.compile(r"[A-Za-z]{3,}")
# data, not chrome: e-mail addresses, URLs and paths, IANA time zone names offered by the zone picker; and identifiers
# written as users type them: a ``{customer_name}`` placeholder, a ``media_id`` field name (snake_case is never a word)
NOT_CHROME = re.compile(r"[\w.+-]+@[\w.-]+|https?://\S*|(?<!\w)/[\w/.<>{}%-]+|\b[A-Z][a-z]+/[A-Za-z_/+-]+\b|\bEtc/\S+"
                        r"|\{\w+\}|\b[a-z]+(?:_[a-z]+)+\b")
# a mini program's page path as users copy it from the mini program's code (``pages/index/index.html``)
PAGE_PATH = re.compile(r"\b[a-z]+(?:/[\w-]+)+\.html\b")


class ShownText(HTMLParser):
    """The text a user reads on a page: text nodes outside scripts and styles, and the shown attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_ELEMENTS:
            self._skipping += 1
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in SKIPPED_ELEMENTS and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def english_words(html: str) -> list[str]:
    """The Latin words (3+ letters, not allowed) a user would read on ``html``."""
    parser = ShownText()
    parser.feed(html)
    found = []
    for part in parser.parts:
        part = PAGE_PATH.sub("", part)
        text = NOT_CHROME.sub(lambda m: "" if "/" not in m.group(0) or "@" in m.group(0) or "{" in m.group(0)
                              or m.group(0).startswith(("/", "http")) or is_valid_zone(m.group(0).rstrip(".,)"))
                              else m.group(0), part)
        found += [w for w in WORD.findall(text) if w not in ALLOWED and w.upper() not in ALLOWED]
    return found


def test_the_check_finds_english_and_lets_chinese_pass():
    page = ('<html><head><title>客户</title><script>var label = "Customers";</script></head><body>'
            '<h1>客户</h1><input placeholder="Search by name"><button aria-label="Close">×</button>'
            '<p>导出 CSV · WeCom 客户 · boss@acme.test · /t/t1/members · Asia/Shanghai · <code>order</code> · {customer_name}'
            ' · media_id</p>'
            '<span title="Status">已发送</span><td>sent</td></body></html>')
    assert english_words(page) == ["Search", "name", "Close", "Status", "sent"]


@pytest.fixture
def seeded(app, db, make_tenant, make_user, enable_plugins, login, client):
    """A tenant with the first-party plugins and Chinese data: customers of each source and identity kind, an
    employee, a segment; signed in as its admin with the UI in Chinese."""
    tenant = make_tenant("t1", "测试品牌")
    enable_plugins(tenant, "members")
    enable_plugins(tenant, "wecom")
    employee = Employee(tenant_id=tenant.id, name="王店长", userid="w1")
    db.add(employee)
    db.flush()
    sources = ["manual", "import", "wecom", "api"]
    customers = []
    for index, source in enumerate(sources):
        customer = Customer(tenant_id=tenant.id, name=f"顾客{index}", mobile=f"1380000000{index}", source=source,
                            owner_employee_id=employee.id)
        db.add(customer)
        db.flush()
        customers.append(customer)
    db.add(CustomerIdentity(tenant_id=tenant.id, customer_id=customers[0].id, kind=IdentityKind.MOBILE,
                            value="13800000000"))
    db.commit()
    from scrm_members.loyalty.models import Notification, Order, OrderImport
    from scrm_members.segments.models import Segment, SegmentCategory

    for index, status in enumerate(("paid", "refunded", "created")):
        db.add(Order(tenant_id=tenant.id, customer_id=customers[0].id, source="天猫旗舰店", order_no=f"{index}0001",
                     status=status, paid_cents=9900))
    db.add(OrderImport(tenant_id=tenant.id, filename="订单.csv", content=b"", status="done"))
    db.add(Notification(tenant_id=tenant.id, recipient_employee_id=employee.id, kind="stage_change", text="阶段变化提醒",
                        status="pending", dedupe_key="n1"))
    category = SegmentCategory(tenant_id=tenant.id, kind="dynamic", name="高价值")
    db.add(category)
    db.flush()
    db.add(Segment(tenant_id=tenant.id, category_id=category.id, name="近期购买", kind="dynamic",
                   rule={"conditions": [{"type": "source", "values": ["manual"]}]}))
    db.commit()
    admin = make_user("boss@example.test", tenant, role="tenant_admin")
    admin.name = "张经理"
    db.add(admin)
    db.commit()
    login(admin)
    client.get("/lang/zh_CN")
    return tenant


def _tenant_pages(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/t/<tenant>") and "GET" in rule.methods and set(rule.arguments) == {"tenant"}:
            urls.append(rule.rule.replace("<tenant>", "t1"))
    return sorted(set(urls))


def _detail_pages(db, tenant) -> list[str]:
    from scrm_members.loyalty.models import OrderImport, Stage
    from scrm_members.segments.models import Segment

    def first(model):
        return db.exec(select(model).where(model.tenant_id == tenant.id)).first().id

    customer = first(Customer)
    return [f"/t/t1/members/customers/{customer}", f"/t/t1/members/customers/{customer}/edit",
            f"/t/t1/members/segments/{first(Segment)}", f"/t/t1/members/segments/{first(Segment)}/edit",
            f"/t/t1/members/stages/{first(Stage)}", f"/t/t1/members/stages/{first(Stage)}/edit",
            f"/t/t1/members/orders/import/{first(OrderImport)}", f"/t/t1/wecom/messages/customers/{customer}"]


def test_the_platform_admin_pages_show_no_english(app, client, db, seeded, admin_user, login):
    """The platform's own pages (the start page and the plugin catalogue with its first-party plugins)."""
    admin_user.name = "平台管理员"
    db.add(admin_user)
    db.commit()
    login(admin_user)
    client.get("/lang/zh_CN")
    problems = {}
    for url in ("/", "/admin/plugins/members", "/admin/plugins/wecom", "/admin/plugins/sms",
                "/admin/plugins/official_account"):
        response = client.get(url)
        assert response.status_code == 200, url
        words = english_words(response.get_data(as_text=True))
        if words:
            problems[url] = sorted(set(words))
    html = client.get("/admin/plugins").get_data(as_text=True)
    first_party = "".join(re.findall(r'<tr data-plugin="(?:members|wecom|sms|official_account)".*?</tr>', html, re.S))
    assert first_party and not english_words(first_party), sorted(set(english_words(first_party)))
    assert not problems, problems


def test_zh_cn_pages_show_no_english(app, client, db, seeded):
    pages = _tenant_pages(app) + _detail_pages(db, seeded)
    assert len(pages) > 30, pages
    problems: dict[str, list[str]] = {}
    rendered = 0
    for url in pages:
        try:
            response = client.get(url)
        except Exception:  # a page that fails is the page walk's finding (test_page_walk), not this check's
            continue
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        rendered += 1
        words = english_words(response.get_data(as_text=True))
        if words:
            problems[url] = sorted(set(words))
    assert rendered > 30
    report = "\n".join(f"{url}: {' '.join(words)}" for url, words in problems.items())
    assert not problems, f"English on zh_CN pages:\n{report}"
