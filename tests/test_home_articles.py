"""The brand's product recommendations and training courses (members-1 R15; issue 16 item 1): the home page shows
the latest five of each, read on every load, this year's dates as MM-DD and older ones as YYYY-MM; admins write
them (validated, CSRF on as in production), staff read the published ones; no tenant sees another's."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from scrm.core import content
from scrm.core.models import ContentArticle
from scrm.core.timeutil import local_now, utcnow


@pytest.fixture
def boss(db, tenant, make_user, login):
    user = make_user("boss@acme.test", tenant, role="tenant_admin")
    login(user)
    return user


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def token(client, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def article(db, tenant, title, kind="recommendation", updated_at=None, published=True):
    row = ContentArticle(tenant_id=tenant.id, kind=kind, title=title, published=published,
                         updated_at=updated_at or utcnow())
    db.add(row)
    db.commit()
    return row


def home_titles(client, kind: str) -> list[str]:
    html = client.get("/t/acme/").get_data(as_text=True)
    section = html.split(f'data-testid="articles-{kind}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'data-testid="article"><a [^>]*>([^<]+)</a>', section)


def test_the_home_page_shows_the_latest_five_published_of_each_kind(client, db, tenant, boss):
    now = utcnow()
    for n in range(7):
        article(db, tenant, f"新品{n}", updated_at=now - timedelta(hours=n))
    article(db, tenant, "草稿新品", updated_at=now + timedelta(minutes=1), published=False)
    article(db, tenant, "会员课程", kind="course")
    assert content.HOME_LATEST == 5
    assert home_titles(client, "recommendation") == ["新品0", "新品1", "新品2", "新品3", "新品4"]
    assert home_titles(client, "course") == ["会员课程"]
    article(db, tenant, "刚更新", updated_at=now + timedelta(minutes=2))  # read live: no cache, no job
    assert home_titles(client, "recommendation")[0] == "刚更新"


def test_this_years_articles_show_the_day_and_older_ones_the_month(client, db, tenant, boss):
    this_year = local_now().replace(month=1, day=2, hour=12)
    article(db, tenant, "今年", updated_at=this_year)
    article(db, tenant, "去年", updated_at=this_year.replace(year=this_year.year - 1, month=11))
    html = client.get("/t/acme/").get_data(as_text=True)
    dates = re.findall(r'data-testid="article-date">([^<]+)<', html)
    assert dates == ["01-02", f"{this_year.year - 1}-11"]


def test_an_admin_writes_an_article_with_the_csrf_token(client, db, tenant, boss, csrf_on):
    url = "/t/acme/content/course/new"
    refused = client.post(url, data={"title": "无令牌"})
    assert refused.status_code == 400
    form = {"title": "导购话术入门", "summary": "三步开场", "url": "https://learn.example.com/1", "published": "on",
            "csrf_token": token(client, url)}
    assert client.post(url, data=form).status_code == 302
    db.commit()  # end the read transaction: see what the app committed
    saved = db.exec(select(ContentArticle).where(ContentArticle.tenant_id == tenant.id)).one()
    assert (saved.kind, saved.title, saved.url, saved.published) == ("course", "导购话术入门",
                                                                      "https://learn.example.com/1", True)


@pytest.mark.parametrize(("form", "field"), [
    ({"title": " "}, "title"),
    ({"title": "字" * 61}, "title"),
    ({"title": "好课", "summary": "字" * 501}, "summary"),
    ({"title": "好课", "url": "javascript:alert(1)"}, "url"),
    ({"title": "好课", "url": "ftp://example.com/x"}, "url"),
])
def test_bad_input_is_refused_and_nothing_is_written(client, db, tenant, boss, form, field):
    response = client.post("/t/acme/content/course/new", data=form)
    assert response.status_code == 422
    assert f'data-error="{field}"' in response.get_data(as_text=True)
    db.commit()
    assert db.exec(select(ContentArticle)).all() == []


def test_sixty_characters_are_a_title(client, db, tenant, boss):
    assert client.post("/t/acme/content/course/new", data={"title": "字" * 60}).status_code == 302


def test_staff_read_published_articles_and_cannot_write(client, db, tenant, make_user, login):
    article(db, tenant, "上架中")
    draft = article(db, tenant, "未发布", published=False)
    login(make_user("op@acme.test", tenant, role="operator"))
    page = client.get("/t/acme/content/recommendation/").get_data(as_text=True)
    assert "上架中" in page and "未发布" not in page
    assert client.get(f"/t/acme/content/recommendation/{draft.id}").status_code == 404
    assert client.post("/t/acme/content/recommendation/new", data={"title": "x"}).status_code == 403
    assert client.get("/t/acme/content/unknown/").status_code == 404


def test_no_tenant_sees_another_tenants_articles(client, db, tenant, other_tenant, boss):
    theirs = article(db, other_tenant, "别家的推荐")
    assert "别家的推荐" not in client.get("/t/acme/").get_data(as_text=True)
    assert client.get(f"/t/acme/content/recommendation/{theirs.id}").status_code == 404
    assert client.post(f"/t/acme/content/recommendation/{theirs.id}/edit", data={"title": "改"}).status_code == 404
    assert client.post(f"/t/acme/content/recommendation/{theirs.id}/delete").status_code == 404
    db.expire_all()
    assert db.get(ContentArticle, theirs.id).title == "别家的推荐"
