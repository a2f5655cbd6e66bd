"""Materials: validation (spec 3.2, 4.1), the WeChat calls that keep each material a permanent material there, and
the references that protect a material in use.

Everything here takes the caller's session and never commits. A WeChat call happens before the local change is
flushed, so that a refused upload or edit changes nothing (the caller rolls back on ``MaterialError``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from scrm.sdk import N_, Message, uploads, utcnow

from .models import IMAGE, KINDS, MEDIA_KINDS, NEWS, VIDEO, VOICE, Material, MaterialUsage, NewsArticle

# -- limits ------------------------------------------------------------------------------------------------------
#: spec 4.1 rule 5 (the editor's counters): digest at most 120 characters, read-original link at most 255
DIGEST_MAX = 120
SOURCE_URL_MAX = 255
#: WeChat's own limits of a news article (external): title 64 characters, author 16, content under 20,000
TITLE_MAX = 64
AUTHOR_MAX = 16
CONTENT_MAX = 20_000
#: a news material holds 1 to 8 articles (WeChat's multi-article limit)
ARTICLES_MAX = 8
VIDEO_TITLE_MAX = 64
VIDEO_DESCRIPTION_MAX = 120
#: permanent material files (WeChat's add_material limits): bytes and the accepted formats of each kind
MAX_BYTES = {IMAGE: 10 * 1024 * 1024, VOICE: 2 * 1024 * 1024, VIDEO: 10 * 1024 * 1024}
IMAGE_FORMATS = ("BMP", "PNG", "JPEG", "GIF")
EXTENSIONS = {IMAGE: (".bmp", ".png", ".jpeg", ".jpg", ".gif"), VOICE: (".mp3", ".wma", ".wav", ".amr"),
              VIDEO: (".mp4",)}
VOICE_SECONDS_MAX = 60

#: what the in-use error names: the referrer types other modules register usages under
REFERRER_TYPES = {"auto_reply": N_("auto reply"), "menu_item": N_("custom menu"), "mass_send": N_("mass send"),
                  "message": N_("message"), "news_cover": N_("news cover")}


def _m(text: str, **params: Any) -> Message:
    return Message(text, params)


class MaterialError(Exception):
    """Refused input: ``fields`` maps a form field (or ``"file"``, ``"upstream"``) to a ``Message``."""

    def __init__(self, fields: dict[str, Message]) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class MaterialInUse(MaterialError):
    """MATERIAL_IN_USE: the material is referenced (``usages``: what refers to it) and cannot be deleted."""

    code = "MATERIAL_IN_USE"

    def __init__(self, usages: list[tuple[str, str]]) -> None:
        self.usages = usages
        super().__init__({"material": _m(N_("This material is in use (%(where)s): change or delete what uses "
                                                 "it first."),
                                              where=", ".join(label for _kind, label in usages))})


@dataclass
class ArticleInput:
    title: str = ""
    author: str = ""
    digest: str = ""
    content: str = ""
    content_source_url: str = ""
    cover_id: int | None = None
    show_cover: bool = True


@dataclass
class MaterialView:
    """A material as other modules see it (:func:`get_material`)."""

    id: int
    account_id: int
    kind: str
    name: str
    media_id: str | None
    url: str | None
    title: str = ""
    description: str = ""
    revision: int = 1
    articles: list[dict[str, Any]] = field(default_factory=list)
    updated_at: datetime | None = None


# -- validation ------------------------------------------------------------------------------------------------

_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)


def valid_url(value: str) -> bool:
    if not _URL.match(value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def validate_articles(session: Session, tenant_id: int, account_id: int,
                      articles: list[ArticleInput]) -> dict[str, Message]:
    """Errors keyed ``"<index>.<field>"`` (``0.title`` ...), or ``"articles"``; empty when every article is fine."""
    errors: dict[str, Message] = {}
    if not articles:
        return {"articles": _m(N_("A news material needs at least one article."))}
    if len(articles) > ARTICLES_MAX:
        return {"articles": _m(N_("A news material holds at most %(max)s articles."), max=ARTICLES_MAX)}
    covers = {m.id for m in session.exec(select(Material).options(defer(Material.data)).where(
        Material.tenant_id == tenant_id, Material.account_id == account_id, Material.kind == IMAGE,
        col(Material.id).in_([a.cover_id for a in articles if a.cover_id])))}
    for index, article in enumerate(articles):
        key = f"{index}."
        if not article.title.strip():
            errors[key + "title"] = _m(N_("Enter a title."))
        elif len(article.title) > TITLE_MAX:
            errors[key + "title"] = _m(N_("The title is at most %(max)s characters."), max=TITLE_MAX)
        if len(article.author) > AUTHOR_MAX:
            errors[key + "author"] = _m(N_("The author is at most %(max)s characters."), max=AUTHOR_MAX)
        if len(article.digest) > DIGEST_MAX:
            errors[key + "digest"] = _m(N_("The digest is at most %(max)s characters."), max=DIGEST_MAX)
        if not article.content.strip():
            errors[key + "content"] = _m(N_("Enter the article's content."))
        elif len(article.content) > CONTENT_MAX:
            errors[key + "content"] = _m(N_("The content is at most %(max)s characters."), max=CONTENT_MAX)
        url = article.content_source_url.strip()
        if not url:
            errors[key + "content_source_url"] = _m(N_("Enter the read-original link."))
        elif len(url) > SOURCE_URL_MAX:
            errors[key + "content_source_url"] = _m(N_("The read-original link is at most %(max)s characters."),
                                                         max=SOURCE_URL_MAX)
        elif not valid_url(url):
            errors[key + "content_source_url"] = _m(N_("Enter a web address starting with http:// or "
                                                            "https://."))
        if not article.cover_id:
            errors[key + "cover_id"] = _m(N_("Choose a cover image: every article needs one."))
        elif article.cover_id not in covers:
            errors[key + "cover_id"] = _m(N_("Choose a cover image of this account."))
    return errors


def _sniff(kind: str, data: bytes, file_name: str) -> str:
    """The content type of an uploaded voice or video file from its first bytes, or "" when it is not one of the
    formats WeChat accepts (the extension must agree)."""
    lower = file_name.lower()
    if kind == VIDEO:
        return "video/mp4" if lower.endswith(".mp4") and data[4:8] == b"ftyp" else ""
    if lower.endswith(".mp3") and (data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF
                                                          and data[1] & 0xE0 == 0xE0)):
        return "audio/mpeg"
    if lower.endswith(".amr") and data[:6] == b"#!AMR\n":
        return "audio/amr"
    if lower.endswith(".wav") and data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if lower.endswith(".wma") and data[:16] == bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c"):
        return "audio/x-ms-wma"
    return ""


def _wav_seconds(data: bytes) -> float | None:
    """The length of a PCM WAV file from its header (byte rate and data chunk size), None when not readable."""
    import struct

    try:
        byte_rate = struct.unpack("<I", data[28:32])[0]
        pos = 12
        while pos + 8 <= len(data):
            chunk, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
            if chunk == b"data":
                return size / byte_rate if byte_rate else None
            pos += 8 + size + (size & 1)
    except struct.error:
        return None
    return None


def check_media_file(kind: str, data: bytes, file_name: str) -> str:
    """The content type of an acceptable ``kind`` upload, or ``MaterialError`` on ``"file"``. The size is checked
    first (``data`` was read with ``uploads.read_upload(..., MAX_BYTES[kind])``), then the format by the file's
    header; an image goes through ``scrm.sdk.uploads`` (header and declared size before any pixel is decoded)."""
    if kind not in MEDIA_KINDS:
        raise MaterialError({"kind": _m(N_("Unknown material type."))})
    limit = MAX_BYTES[kind]
    if not data:
        raise MaterialError({"file": _m(N_("Choose a file to upload."))})
    if len(data) > limit:
        raise MaterialError({"file": _m(N_("The file is larger than %(size)s MB."), size=limit // (1024 * 1024))})
    if not file_name.lower().endswith(EXTENSIONS[kind]):
        raise MaterialError({"file": _m(N_("Unsupported file type: use %(types)s."),
                                             types=", ".join(e.lstrip(".") for e in EXTENSIONS[kind]))})
    if kind == IMAGE:
        try:
            image = uploads.read_image(data, max_bytes=limit, formats=IMAGE_FORMATS)
        except uploads.ImageRejected as exc:
            if exc.reason == "too_many_pixels":
                raise MaterialError({"file": _m(N_("The image has too many pixels."))}) from exc
            raise MaterialError({"file": _m(N_("Unsupported file type: use %(types)s."),
                                                 types=", ".join(e.lstrip(".") for e in EXTENSIONS[kind]))}) from exc
        return {"BMP": "image/bmp", "PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}[image.format]
    content_type = _sniff(kind, data, file_name)
    if not content_type:
        raise MaterialError({"file": _m(N_("Unsupported file type: use %(types)s."),
                                             types=", ".join(e.lstrip(".") for e in EXTENSIONS[kind]))})
    if content_type == "audio/wav":
        seconds = _wav_seconds(data)
        if seconds is not None and seconds > VOICE_SECONDS_MAX:
            raise MaterialError({"file": _m(N_("An audio material plays at most %(max)s seconds."),
                                                 max=VOICE_SECONDS_MAX)})
    return content_type


# -- reading ---------------------------------------------------------------------------------------------------

def find(session: Session, tenant_id: int, material_id: int, account_id: int | None = None) -> Material | None:
    query = select(Material).options(defer(Material.data)).where(Material.id == material_id,
                                                                 Material.tenant_id == tenant_id)
    if account_id is not None:
        query = query.where(Material.account_id == account_id)
    return session.exec(query).first()


def articles_of(session: Session, material: Material) -> list[NewsArticle]:
    return list(session.exec(select(NewsArticle).where(NewsArticle.material_id == material.id,
                                                       NewsArticle.tenant_id == material.tenant_id)
                             .order_by(NewsArticle.position)))


def list_materials(session: Session, tenant_id: int, account_id: int, kind: str, *, search: str = "",
                   offset: int = 0, limit: int = 20) -> tuple[list[Material], int]:
    from sqlalchemy import func

    query = select(Material).options(defer(Material.data)).where(
        Material.tenant_id == tenant_id, Material.account_id == account_id, Material.kind == kind)
    if search:
        query = query.where(col(Material.name).contains(search))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = list(session.exec(query.order_by(col(Material.id).desc()).offset(offset).limit(limit)))
    return rows, int(total)


def usages_of(session: Session, tenant_id: int, material: Material) -> list[tuple[str, str]]:
    """What uses ``material``: (referrer type, label) pairs, news covers included."""
    out = [(u.referrer_type, u.label or str(REFERRER_TYPES.get(u.referrer_type, u.referrer_type)))
           for u in session.exec(select(MaterialUsage).where(MaterialUsage.tenant_id == tenant_id,
                                                             MaterialUsage.material_id == material.id)
                                 .order_by(MaterialUsage.id))]
    if material.kind == IMAGE:
        for news in session.exec(select(Material).join(NewsArticle, col(NewsArticle.material_id) == Material.id)
                                 .where(NewsArticle.tenant_id == tenant_id, NewsArticle.cover_id == material.id)
                                 .distinct()):
            out.append(("news_cover", news.name))
    return out


def reference_counts(session: Session, tenant_id: int, material_ids: list[int]) -> dict[int, int]:
    """How many referrers use each material (registered usages plus news articles using it as cover): the list's
    reference count (spec 2.1); a material with a count above 0 cannot be deleted."""
    from sqlalchemy import func

    counts = dict.fromkeys(material_ids, 0)
    if not material_ids:
        return counts
    for material_id, n in session.exec(select(MaterialUsage.material_id, func.count()).where(
            MaterialUsage.tenant_id == tenant_id, col(MaterialUsage.material_id).in_(material_ids))
            .group_by(MaterialUsage.material_id)):
        counts[material_id] += int(n)
    for cover_id, n in session.exec(select(NewsArticle.cover_id, func.count(func.distinct(NewsArticle.material_id)))
                                    .where(NewsArticle.tenant_id == tenant_id,
                                           col(NewsArticle.cover_id).in_(material_ids))
                                    .group_by(NewsArticle.cover_id)):
        counts[cover_id] += int(n)
    return counts


def view_of(session: Session, material: Material) -> MaterialView:
    view = MaterialView(id=material.id, account_id=material.account_id, kind=material.kind, name=material.name,
                        media_id=material.media_id, url=material.url, title=material.title,
                        description=material.description, revision=material.revision,
                        updated_at=material.updated_at)
    if material.kind == NEWS:
        articles = articles_of(session, material)
        covers = {m.id: m for m in session.exec(select(Material).options(defer(Material.data)).where(
            Material.tenant_id == material.tenant_id, col(Material.id).in_([a.cover_id for a in articles])))}
        view.articles = [{"title": a.title, "author": a.author, "digest": a.digest, "content": a.content,
                          "url": a.content_source_url, "show_cover": a.show_cover, "cover_id": a.cover_id,
                          "cover_media_id": covers[a.cover_id].media_id if a.cover_id in covers else None,
                          "picurl": (covers[a.cover_id].url or "") if a.cover_id in covers else ""}
                         for a in articles]
    return view


# -- references ------------------------------------------------------------------------------------------------

def set_references(session: Session, tenant_id: int, referrer_type: str, referrer_id: str | int,
                   material_ids: list[int] | tuple[int, ...], label: str = "") -> None:
    """Make ``material_ids`` exactly the materials that ``referrer_type``/``referrer_id`` uses (``[]`` when the
    referrer is deleted or no longer uses a material). Ids of another tenant are ignored."""
    referrer_id = str(referrer_id)
    wanted = set(material_ids)
    if wanted:  # lock the materials: a delete running at the same time waits and then sees the usage
        wanted = set(session.exec(select(Material.id).where(Material.tenant_id == tenant_id,
                                                            col(Material.id).in_(wanted)).with_for_update()))
    current = {u.material_id: u for u in session.exec(select(MaterialUsage).where(
        MaterialUsage.tenant_id == tenant_id, MaterialUsage.referrer_type == referrer_type,
        MaterialUsage.referrer_id == referrer_id))}
    for material_id, usage in current.items():
        if material_id not in wanted:
            session.delete(usage)
        elif label and usage.label != label:
            usage.label = label[:200]
            session.add(usage)
    for material_id in wanted - set(current):
        session.add(MaterialUsage(tenant_id=tenant_id, material_id=material_id, referrer_type=referrer_type,
                                  referrer_id=referrer_id, label=label[:200]))
    session.flush()


# -- writing ---------------------------------------------------------------------------------------------------

def _article_body(article: ArticleInput | NewsArticle, covers: dict[int, Material]) -> dict[str, Any]:
    cover = covers.get(article.cover_id or 0)
    return {"title": article.title, "author": article.author, "digest": article.digest,
            "content": article.content, "content_source_url": article.content_source_url,
            "thumb_media_id": cover.media_id if cover else "", "show_cover_pic": 1 if article.show_cover else 0,
            "need_open_comment": 0, "only_fans_can_comment": 0}


def _covers(session: Session, tenant_id: int, articles: list[ArticleInput]) -> dict[int, Material]:
    ids = [a.cover_id for a in articles if a.cover_id]
    return {m.id: m for m in session.exec(select(Material).options(defer(Material.data)).where(
        Material.tenant_id == tenant_id, col(Material.id).in_(ids)))}


def _clean(articles: list[ArticleInput]) -> list[ArticleInput]:
    return [ArticleInput(title=a.title.strip(), author=a.author.strip(), digest=a.digest.strip(), content=a.content,
                         content_source_url=a.content_source_url.strip(), cover_id=a.cover_id,
                         show_cover=a.show_cover) for a in articles]


def create_news(session: Session, client: Any, tenant_id: int, account_id: int, articles: list[ArticleInput],
                created_by: str = "") -> Material:
    """A news material: validated, created as a draft on WeChat (``draft/add``), then stored."""
    from . import wechat

    articles = _clean(articles)
    errors = validate_articles(session, tenant_id, account_id, articles)
    if errors:
        raise MaterialError(errors)
    covers = _covers(session, tenant_id, articles)
    media_id = wechat.add_news(client, [_article_body(a, covers) for a in articles])
    material = Material(tenant_id=tenant_id, account_id=account_id, kind=NEWS, name=articles[0].title,
                        media_id=media_id, created_by=created_by[:200])
    session.add(material)
    session.flush()
    _store_articles(session, material, articles)
    return material


def _store_articles(session: Session, material: Material, articles: list[ArticleInput]) -> None:
    for row in articles_of(session, material):
        session.delete(row)
    session.flush()
    for position, a in enumerate(articles):
        session.add(NewsArticle(tenant_id=material.tenant_id, material_id=material.id, position=position,
                                title=a.title, author=a.author, digest=a.digest, content=a.content,
                                content_source_url=a.content_source_url, cover_id=a.cover_id,
                                show_cover=a.show_cover))
    session.flush()


def update_news(session: Session, client: Any, material: Material, articles: list[ArticleInput]) -> Material:
    """Edit a news material: WeChat first (``draft/update`` per article when the count is unchanged, otherwise a new
    draft replacing the old one), then the stored articles. Every later reply, menu push or mass send reads the
    new content (spec 4.1 rule 3)."""
    from . import wechat

    articles = _clean(articles)
    errors = validate_articles(session, material.tenant_id, material.account_id, articles)
    if errors:
        raise MaterialError(errors)
    session.exec(select(Material).where(Material.id == material.id).with_for_update()).first()
    covers = _covers(session, material.tenant_id, articles)
    bodies = [_article_body(a, covers) for a in articles]
    old = articles_of(session, material)
    if material.media_id and len(old) == len(articles):
        for index, body in enumerate(bodies):
            wechat.update_news(client, material.media_id, index, body)
    else:
        new_id = wechat.add_news(client, bodies)
        if material.media_id:
            wechat.delete_news(client, material.media_id, missing_ok=True)
        material.media_id = new_id
    material.name = articles[0].title
    material.revision += 1
    material.updated_at = utcnow()
    session.add(material)
    _store_articles(session, material, articles)
    return material


def upload_media(session: Session, client: Any, tenant_id: int, account_id: int, kind: str, data: bytes,
                 file_name: str, *, title: str = "", description: str = "", created_by: str = "") -> Material:
    """An image, voice or video file: checked (size, then format) and uploaded as a permanent material
    (``material/add_material``), then stored with WeChat's media id."""
    from . import wechat

    content_type = check_media_file(kind, data, file_name)
    title, description = title.strip(), description.strip()
    if kind == VIDEO:
        errors: dict[str, Message] = {}
        if not title:
            errors["title"] = _m(N_("Enter a title for the video."))
        elif len(title) > VIDEO_TITLE_MAX:
            errors["title"] = _m(N_("The title is at most %(max)s characters."), max=VIDEO_TITLE_MAX)
        if len(description) > VIDEO_DESCRIPTION_MAX:
            errors["description"] = _m(N_("The introduction is at most %(max)s characters."),
                                            max=VIDEO_DESCRIPTION_MAX)
        if errors:
            raise MaterialError(errors)
    safe_name = re.sub(r"[^\w.\-]+", "_", file_name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1])[-200:] or kind
    answer = wechat.add_material(client, kind, safe_name, data, content_type,
                                 {"title": title, "introduction": description} if kind == VIDEO else None)
    material = Material(tenant_id=tenant_id, account_id=account_id, kind=kind,
                        name=(title if kind == VIDEO else safe_name)[:200], media_id=answer.get("media_id"),
                        url=answer.get("url") or None, file_name=safe_name, content_type=content_type,
                        size=len(data), data=data, title=title, description=description, created_by=created_by[:200])
    session.add(material)
    session.flush()
    return material


def delete_material(session: Session, client: Any, material: Material) -> None:
    """Delete ``material`` locally and on WeChat; ``MaterialInUse`` (MATERIAL_IN_USE) while anything uses it."""
    from . import wechat

    session.exec(select(Material).where(Material.id == material.id).with_for_update()).first()
    usages = usages_of(session, material.tenant_id, material)
    if usages:
        raise MaterialInUse(usages)
    if material.media_id:
        if material.kind == NEWS:
            wechat.delete_news(client, material.media_id, missing_ok=True)
        else:
            wechat.delete_material(client, material.media_id, missing_ok=True)
    session.delete(material)
    session.flush()


def kinds() -> tuple[str, ...]:
    return KINDS
