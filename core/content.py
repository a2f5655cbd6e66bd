"""The brand's product recommendations and training courses (members-1 R15): written by the brand's admins, the
latest five of each kind shown on the home page on every load (no job, no cache), the full list one click away.

Validation gives message ids (``ContentError``); addresses follow the short-link rules (an absolute http(s) URL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from .messages import N_, message_ids
from .models import ContentArticle
from .shortlinks import ShortLinkError, validate_target
from .timeutil import utcnow

RECOMMENDATION, COURSE = "recommendation", "course"
KINDS = (RECOMMENDATION, COURSE)
TITLE_MAX, SUMMARY_MAX = 60, 500
#: the home page shows the latest five of each kind (R15)
HOME_LATEST = 5

TITLE_REQUIRED, TITLE_TOO_LONG, SUMMARY_TOO_LONG = message_ids(
    N_("Enter a title."), N_("The title is at most %(n)s characters."),
    N_("The summary is at most %(n)s characters."))


class ContentError(ValueError):
    def __init__(self, errors: dict[str, tuple[str, dict[str, Any]]]) -> None:
        super().__init__("; ".join(m % p if p else m for m, p in errors.values()))
        self.errors = errors  # field -> (message id, params)


def clean(values: dict[str, Any]) -> dict[str, Any]:
    """Clean form values (title, summary, url, published) or raise ``ContentError``; nothing is written."""
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    title = str(values.get("title") or "").strip()
    summary = str(values.get("summary") or "").strip()
    url = str(values.get("url") or "").strip()
    if not title:
        errors["title"] = (TITLE_REQUIRED, {})
    elif len(title) > TITLE_MAX:
        errors["title"] = (TITLE_TOO_LONG, {"n": TITLE_MAX})
    if len(summary) > SUMMARY_MAX:
        errors["summary"] = (SUMMARY_TOO_LONG, {"n": SUMMARY_MAX})
    if url:
        try:
            url = validate_target(url)
        except ShortLinkError as exc:
            errors["url"] = (exc.message, exc.params)
    if errors:
        raise ContentError(errors)
    return {"title": title, "summary": summary, "url": url, "published": bool(values.get("published"))}


def latest(session: Session, tenant_id: int, kind: str, limit: int = HOME_LATEST) -> list[ContentArticle]:
    """The ``limit`` most recently updated published articles of ``kind`` (read live, R15)."""
    return list(session.execute(select(ContentArticle).where(
        ContentArticle.tenant_id == tenant_id, ContentArticle.kind == kind, ContentArticle.published.is_(True))
        .order_by(ContentArticle.updated_at.desc(), ContentArticle.id.desc()).limit(limit)).scalars())


def get(session: Session, tenant_id: int, article_id: int) -> ContentArticle | None:
    row = session.get(ContentArticle, article_id)
    return row if row is not None and row.tenant_id == tenant_id else None


def save(session: Session, tenant_id: int, kind: str, values: dict[str, Any], user_id: int | None,
         article: ContentArticle | None = None) -> ContentArticle:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    data = clean(values)
    if article is None:
        article = ContentArticle(tenant_id=tenant_id, kind=kind, created_by=user_id)
    for key, value in data.items():
        setattr(article, key, value)
    article.updated_at = utcnow()
    session.add(article)
    session.flush()
    return article
