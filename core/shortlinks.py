"""The short-link service: promotion links per channel and campaign (A.3), personalised links per recipient of a
bulk send, click recording and statistics, and the tenant's logo for QR codes (A.2).

- A link's ``code`` is 7 base62 characters drawn from a CSPRNG (62^7 ≈ 3.5 × 10^12 codes); a personalised link's is
  8 (62^8 ≈ 2.2 × 10^14), so a code's length says which table holds it and the redirect does one indexed lookup.
  A collision with an existing code (unique constraint) is retried with fresh codes.
- Kinds (A.3): ``short`` is valid 5 years from its creation (``SHORT_VALIDITY_YEARS``), the same calendar date and
  time five years on (29 February becomes 28 February); ``long`` is permanent (``expires_at`` None).
- Targets are validated once, when stored: ``http``/``https`` with a host, no credentials, no whitespace or control
  characters, at most ``TARGET_MAX`` characters. The redirect sends a visitor to the stored target and nowhere else.
- Clicks keep the kind of client (``agent_class``) and a keyed hash of the address, never the address. Clicks of
  link-preview robots are recorded as ``bot`` and left out of the counts. A personalised link counts its clicks and
  its first click on its own row (cheap to read per recipient); a link's counts come from the click index.

Every function takes the caller's session and never commits; plugins call it through ``scrm.sdk.shortlinks``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlsplit

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from sqlmodel import select as orm_select

from .labels import AUDIT_ACTION, register_labels
from .messages import N_
from .models.shortlinks import ShortLink, ShortLinkClick, ShortLinkRecipient, TenantLogo
from .models.tenancy import Tenant
from .timeutil import as_utc, date_span, local_today, utcnow

ALPHABET = string.digits + string.ascii_letters
CODE_LENGTH = 7
PERSONAL_CODE_LENGTH = 8
CODE_PATTERN = re.compile(r"[0-9A-Za-z]{7,8}")
SHORT_VALIDITY_YEARS = 5
TARGET_MAX = 2048
CAMPAIGN_MAX = 80
CAMPAIGN_LABEL_MAX = 100
RECIPIENT_MAX = 128
KINDS = ("short", "long")
#: the channels the platform knows (labels registry ``shortlink.channel``); a plugin may use another lowercase key
CHANNELS = ("sms", "official_account", "wecom", "poster", "other")
CHANNEL_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")
AGENTS = ("wechat", "mobile", "desktop", "bot", "other")
COLLISION_RETRIES = 5
_UNSAFE_URL = re.compile(r"[\x00-\x20\x7f-\x9f\\\s]")
_LABEL = r"[0-9a-z\u00a1-\uffff](?:[0-9a-z\u00a1-\uffff-]{0,61}[0-9a-z\u00a1-\uffff])?"
_HOST = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}\.?")
_BOTS = re.compile(r"bot|spider|crawl|slurp|preview|facebookexternalhit|curl/|wget/|python-requests|python-httpx|"
                   r"go-http-client|headlesschrome|httpclient|java/|libwww", re.I)
_MOBILE = re.compile(r"mobile|android|iphone|ipad|ipod|harmonyos|windows phone", re.I)
_DESKTOP = re.compile(r"windows nt|macintosh|x11|cros|linux", re.I)


#: label code sets (one label per code): ``code_label("shortlink.channel", link.channel)`` ...
CHANNEL_LABELS = "shortlink.channel"
KIND_LABELS = "shortlink.kind"
AGENT_LABELS = "shortlink.agent"
register_labels(CHANNEL_LABELS, {"sms": N_("SMS"), "official_account": N_("Official account"), "wecom": N_("WeCom"),
                                 "poster": N_("Poster"), "other": N_("Other")})
register_labels(KIND_LABELS, {"short": N_("Short link (valid 5 years)"), "long": N_("Long link (permanent)")})
register_labels(AUDIT_ACTION, {"short_link.create": N_("Short link created"),
                               "short_link.personalise": N_("Personalised links issued"),
                               "short_link.export": N_("Short link clicks exported"),
                               "tenant.qr_logo": N_("QR code logo changed")})
register_labels(AGENT_LABELS, {"wechat": N_("WeChat"), "mobile": N_("Mobile browser"),
                               "desktop": N_("Desktop browser"), "bot": N_("Robot / link preview"),
                               "other": N_("Other")})


class ShortLinkError(ValueError):
    """Input the service refuses: ``message`` is a message id (``N_``) to translate, ``field`` the input it names,
    ``params`` its placeholders."""

    def __init__(self, field: str, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.field, self.message, self.params = field, message, params


# --- validation --------------------------------------------------------------------------------------------------

def validate_target(url: str | None) -> str:
    """``url`` stripped of surrounding spaces, or ``ShortLinkError``: an absolute http(s) URL with a host, no user
    or password, no whitespace or control characters inside, at most ``TARGET_MAX`` characters."""
    value = (url or "").strip()
    if not value:
        raise ShortLinkError("target_url", N_("Enter the address the link opens."))
    if len(value) > TARGET_MAX:
        raise ShortLinkError("target_url", N_("The address is at most %(n)s characters."), n=TARGET_MAX)
    if _UNSAFE_URL.search(value):
        raise ShortLinkError("target_url", N_("The address may not contain spaces, backslashes or control characters."))
    try:
        parts = urlsplit(value)
        port = parts.port  # raises for a port that is no number or out of range
    except ValueError as exc:
        raise ShortLinkError("target_url", N_("Enter a full web address, e.g. https://shop.example.com/1212.")) from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise ShortLinkError("target_url", N_("Enter a full web address, e.g. https://shop.example.com/1212."))
    if "@" in parts.netloc:
        raise ShortLinkError("target_url", N_("The address may not contain a user name or password."))
    if not _valid_host(parts.hostname or "") or port == 0:
        raise ShortLinkError("target_url", N_("Enter a full web address, e.g. https://shop.example.com/1212."))
    return value


def _valid_host(host: str) -> bool:
    if ":" in host:  # an IPv6 literal (urlsplit took off the brackets)
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    return bool(_HOST.fullmatch(host))


def validate_channel(channel: str | None) -> str:
    value = (channel or "other").strip()
    if not CHANNEL_PATTERN.fullmatch(value):
        raise ShortLinkError("channel", N_("Choose a channel from the list."))
    return value


def expiry_for(kind: str, created_at: datetime) -> datetime | None:
    """When a link of ``kind`` created at ``created_at`` stops working: a short link ``SHORT_VALIDITY_YEARS`` years
    later to the second (29 February → 28 February), a long link never (None)."""
    if kind == "long":
        return None
    if kind != "short":
        raise ShortLinkError("kind", N_("Choose short link or long link."))
    created_at = as_utc(created_at)
    year = created_at.year + SHORT_VALIDITY_YEARS
    try:
        return created_at.replace(year=year)
    except ValueError:  # 29 February into a common year
        return created_at.replace(year=year, day=28)


def new_code(length: int = CODE_LENGTH) -> str:
    """A random base62 code from the operating system's CSPRNG."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def _random_codes(count: int, length: int) -> list[str]:
    """``count`` random base62 codes of ``length`` from the CSPRNG, fast: random bytes below 248 (4 × 62) taken
    modulo 62, so every character is equally likely (rejection sampling, no modulo bias)."""
    need = count * length
    chars: list[str] = []
    while len(chars) < need:
        chars.extend(ALPHABET[b % 62] for b in secrets.token_bytes(need - len(chars) + need // 16 + 8) if b < 248)
    return ["".join(chars[i:i + length]) for i in range(0, need, length)]


def short_url(code: str | ShortLink, base: str) -> str:
    """The public address of a code: ``<base>/s/<code>`` (``base`` the site's public URL)."""
    code = code.code if isinstance(code, ShortLink) else code
    return f"{base.rstrip('/')}/s/{code}"


# --- creating ----------------------------------------------------------------------------------------------------

def create(session: Session, tenant_id: int, target_url: str, *, kind: str = "short", channel: str = "other",
           campaign: str = "", campaign_label: str = "", created_by: str = "",
           now: datetime | None = None) -> ShortLink:
    """A new link of ``tenant_id`` (flushed, not committed), or ``ShortLinkError`` naming the bad input."""
    target = validate_target(target_url)
    if kind not in KINDS:
        raise ShortLinkError("kind", N_("Choose short link or long link."))
    channel = validate_channel(channel)
    campaign, campaign_label = (campaign or "").strip(), (campaign_label or "").strip()
    if len(campaign) > CAMPAIGN_MAX:
        raise ShortLinkError("campaign", N_("The campaign is at most %(n)s characters."), n=CAMPAIGN_MAX)
    if len(campaign_label) > CAMPAIGN_LABEL_MAX:
        raise ShortLinkError("campaign_label", N_("The campaign name is at most %(n)s characters."),
                             n=CAMPAIGN_LABEL_MAX)
    now = now or utcnow()
    for _attempt in range(COLLISION_RETRIES):
        link = ShortLink(tenant_id=tenant_id, code=new_code(CODE_LENGTH), target_url=target, kind=kind,
                         expires_at=expiry_for(kind, now), channel=channel, campaign=campaign,
                         campaign_label=campaign_label, created_by=(created_by or "")[:80], created_at=now)
        try:
            with session.begin_nested():
                session.add(link)
        except IntegrityError:
            continue  # the code exists: draw again
        return link
    raise RuntimeError("no free short-link code after several attempts")


@dataclass(frozen=True)
class Recipient:
    """One recipient of a personalised link: the address it is sent to and the customer when known."""

    recipient: str
    customer_id: int | None = None


def create_many_personalised(session: Session, link: ShortLink,
                             recipients: Sequence[Recipient | tuple[str, int | None] | str],
                             batch: int = 5000) -> list[str]:
    """One personalised link (8-character code) per recipient under ``link``, inserted in batches of ``batch`` rows
    (PostgreSQL: one INSERT ... SELECT FROM unnest(arrays) per batch; SQLite: multi-row INSERTs of up to 1,000 rows
    through SQLAlchemy's insertmanyvalues); returns the codes in the order of ``recipients``. Call it with the batches a bulk send plans
    (10,000 at a time, say), in the send's transaction. ``ShortLinkError`` for a recipient address too long."""
    items = [_recipient(r) for r in recipients]
    codes: list[str] = []
    table = ShortLinkRecipient.__table__
    postgresql = session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(items), batch):
        part = items[start:start + batch]
        for _attempt in range(COLLISION_RETRIES):
            chosen = _distinct_codes(len(part))
            try:
                with session.begin_nested():
                    if postgresql:  # one short prepared statement per batch, the varying columns as arrays
                        session.execute(_UNNEST, {"tenant_id": link.tenant_id, "link_id": link.id, "codes": chosen,
                                                  "customers": [i.customer_id for i in part],
                                                  "recipients": [i.recipient for i in part]})
                    else:  # executemany: multi-row VALUES pages (SQLAlchemy's insertmanyvalues)
                        session.execute(insert(table), [
                            {"tenant_id": link.tenant_id, "link_id": link.id, "code": code,
                             "customer_id": item.customer_id, "recipient": item.recipient, "clicks": 0,
                             "first_clicked_at": None} for code, item in zip(chosen, part, strict=True)])
            except IntegrityError:
                continue  # one code existed already: draw the batch again
            codes.extend(chosen)
            break
        else:
            raise RuntimeError("no free personalised codes after several attempts")
    if items:
        session.execute(update(ShortLink.__table__).where(ShortLink.__table__.c.id == link.id)
                        .values(recipients=ShortLink.__table__.c.recipients + len(items)))
        session.expire(link, ["recipients"])
    return codes


#: PostgreSQL: a batch of personalised links as arrays through unnest (the driver prepares one short statement
#: instead of parsing a VALUES list of 1,000 rows per page)
_UNNEST = text(
    "INSERT INTO short_link_recipient (tenant_id, link_id, code, customer_id, recipient, clicks) "
    "SELECT :tenant_id, :link_id, r.code, r.customer_id, r.recipient, 0 "
    "FROM unnest(CAST(:codes AS TEXT[]), CAST(:customers AS BIGINT[]), CAST(:recipients AS TEXT[])) "
    "AS r(code, customer_id, recipient)")


def _recipient(value: Recipient | tuple[str, int | None] | str) -> Recipient:
    if isinstance(value, str):
        value = Recipient(value)
    elif isinstance(value, tuple):
        value = Recipient(*value)
    if len(value.recipient) > RECIPIENT_MAX:
        raise ShortLinkError("recipient", N_("A recipient address is at most %(n)s characters."), n=RECIPIENT_MAX)
    return value


def _distinct_codes(count: int) -> list[str]:
    out = list(dict.fromkeys(_random_codes(count, PERSONAL_CODE_LENGTH)))
    while len(out) < count:  # a repeat within the batch (about 1 in 10^10 per pair): draw the missing ones
        out = list(dict.fromkeys(out + _random_codes(count - len(out), PERSONAL_CODE_LENGTH)))
    return out


# --- resolving and clicks ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Resolved:
    """What a code points at: its link, the personalised link and customer when it is one, whether the link's tenant
    is active (a deactivated brand's links stop working) and, through ``expired()``, whether it expired."""

    link_id: int
    tenant_id: int
    target_url: str
    expires_at: datetime | None
    recipient_id: int | None = None
    customer_id: int | None = None
    tenant_active: bool = True

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and as_utc(self.expires_at) <= (now or utcnow())


def resolve(session: Session, code: str) -> Resolved | None:
    """The link of ``code`` (any tenant: codes are platform-wide), or None for a code that does not exist. One
    indexed lookup (the tenant joined by its key); check ``expired()`` and ``tenant_active`` before redirecting."""
    if not CODE_PATTERN.fullmatch(code or ""):
        return None
    link = ShortLink.__table__.c
    tenant = Tenant.__table__.c
    if len(code) == CODE_LENGTH:
        row = session.execute(select(link.id, link.tenant_id, link.target_url, link.expires_at, tenant.active)
                              .join_from(ShortLink.__table__, Tenant.__table__, tenant.id == link.tenant_id)
                              .where(link.code == code)).first()
        return Resolved(*row[:4], tenant_active=row[4]) if row else None
    person = ShortLinkRecipient.__table__.c
    row = session.execute(select(link.id, link.tenant_id, link.target_url, link.expires_at, person.id,
                                 person.customer_id, tenant.active)
                          .join_from(ShortLinkRecipient.__table__, ShortLink.__table__, person.link_id == link.id)
                          .join(Tenant.__table__, tenant.id == link.tenant_id)
                          .where(person.code == code)).first()
    return Resolved(*row) if row else None


def agent_class(user_agent: str | None) -> str:
    """The kind of client of a User-Agent header: wechat, mobile, desktop, bot (link previews, scripts) or other."""
    ua = user_agent or ""
    if not ua or _BOTS.search(ua):
        return "bot" if ua else "other"
    if "MicroMessenger" in ua or "WeCom" in ua or "wxwork" in ua:
        return "wechat"
    if _MOBILE.search(ua):
        return "mobile"
    if _DESKTOP.search(ua):
        return "desktop"
    return "other"


def hash_ip(ip: str | None, key: str | bytes) -> str:
    """A keyed hash (HMAC-SHA256, 32 hex characters) of a client address: equal addresses compare equal, the address
    cannot be read back without the key."""
    if not ip:
        return ""
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()[:32]


def record_click(session: Session, resolved: Resolved, *, ip: str | None, user_agent: str | None,
                 key: str | bytes, now: datetime | None = None) -> str:
    """Record one visit of ``resolved`` (one insert; for a personalised link also its counter row) and return the
    agent class. Robots are recorded but not counted."""
    now = now or utcnow()
    agent = agent_class(user_agent)
    session.execute(insert(ShortLinkClick.__table__).values(
        tenant_id=resolved.tenant_id, link_id=resolved.link_id, recipient_id=resolved.recipient_id,
        customer_id=resolved.customer_id, clicked_at=now, agent=agent, ip_hash=hash_ip(ip, key)))
    if resolved.recipient_id is not None and agent != "bot":
        person = ShortLinkRecipient.__table__.c
        session.execute(update(ShortLinkRecipient.__table__).where(person.id == resolved.recipient_id).values(
            clicks=person.clicks + 1, first_clicked_at=func.coalesce(person.first_clicked_at, now)))
    return agent


# --- reading -----------------------------------------------------------------------------------------------------

def get(session: Session, tenant_id: int, link_id: int) -> ShortLink | None:
    """The tenant's link ``link_id``, or None (another tenant's link is None too)."""
    link = session.get(ShortLink, link_id)
    return link if link is not None and link.tenant_id == tenant_id else None


def get_by_code(session: Session, tenant_id: int, code: str) -> ShortLink | None:
    """The tenant's link of a 7-character code, or None."""
    return session.exec(orm_select(ShortLink).where(ShortLink.code == code, ShortLink.tenant_id == tenant_id)).first()


def query(tenant_id: int, *, channel: str | None = None, campaign: str | None = None,
          created_from: datetime | None = None, created_to: datetime | None = None):
    """A select of the tenant's links (unordered: order by id, descending for newest first), filtered by channel, campaign (contains, key or label) and
    creation time (``created_from`` inclusive, ``created_to`` exclusive)."""
    stmt = orm_select(ShortLink).where(ShortLink.tenant_id == tenant_id)
    if channel:
        stmt = stmt.where(ShortLink.channel == channel)
    if campaign:
        like = f"%{campaign}%"
        stmt = stmt.where(ShortLink.campaign.like(like) | ShortLink.campaign_label.like(like))
    if created_from is not None:
        stmt = stmt.where(ShortLink.created_at >= created_from)
    if created_to is not None:
        stmt = stmt.where(ShortLink.created_at < created_to)
    return stmt


def click_counts(session: Session, tenant_id: int, link_ids: Sequence[int]) -> dict[int, int]:
    """Counted clicks (robots left out) per link, for a page of links."""
    if not link_ids:
        return {}
    c = ShortLinkClick.__table__.c
    rows = session.execute(select(c.link_id, func.count()).where(
        c.link_id.in_(list(link_ids)), c.tenant_id == tenant_id, c.agent != "bot").group_by(c.link_id))
    return {link_id: count for link_id, count in rows}


@dataclass
class LinkStats:
    """A link's numbers: counted clicks, robot clicks, personalised links issued, recipients who clicked, first and
    last click, and counted clicks per day (the tenant's days, oldest first)."""

    clicks: int = 0
    bot_clicks: int = 0
    recipients: int = 0
    unique_recipients: int = 0
    first_clicked_at: datetime | None = None
    last_clicked_at: datetime | None = None
    per_day: list[tuple[date, int]] = field(default_factory=list)


def stats(session: Session, tenant_id: int, link_id: int, days: int = 30, now: datetime | None = None) -> LinkStats:
    """The numbers of the tenant's link ``link_id`` (``LinkStats``; empty for a link of another tenant), with clicks
    per day for the last ``days`` days in the current (tenant's) time zone."""
    link = get(session, tenant_id, link_id)
    if link is None:
        return LinkStats()
    c = ShortLinkClick.__table__.c
    mine = (c.link_id == link_id) & (c.tenant_id == tenant_id)
    counted, first, last = session.execute(select(func.count(), func.min(c.clicked_at), func.max(c.clicked_at))
                                           .where(mine, c.agent != "bot")).one()
    bots = session.execute(select(func.count()).where(mine, c.agent == "bot")).scalar_one()
    person = ShortLinkRecipient.__table__.c
    unique = session.execute(select(func.count()).where(person.link_id == link_id, person.tenant_id == tenant_id,
                                                        person.first_clicked_at.is_not(None))).scalar_one()
    today = local_today(now)
    per_day = []
    for back in range(days - 1, -1, -1):
        day = date.fromordinal(today.toordinal() - back)
        span = date_span(day)
        count = session.execute(select(func.count()).where(mine, c.agent != "bot", c.clicked_at >= span.start,
                                                           c.clicked_at < span.end)).scalar_one()
        per_day.append((day, count))
    return LinkStats(clicks=counted, bot_clicks=bots, recipients=link.recipients, unique_recipients=unique,
                     first_clicked_at=first, last_clicked_at=last, per_day=per_day)


def recipient_stats(session: Session, tenant_id: int, link_id: int, code_or_recipient: str) -> ShortLinkRecipient | None:
    """The personalised link of ``link_id`` by its code or its recipient address (clicks, first_clicked_at)."""
    stmt = orm_select(ShortLinkRecipient).where(ShortLinkRecipient.link_id == link_id,
                                            ShortLinkRecipient.tenant_id == tenant_id)
    column = ShortLinkRecipient.code if len(code_or_recipient) == PERSONAL_CODE_LENGTH and \
        CODE_PATTERN.fullmatch(code_or_recipient) else ShortLinkRecipient.recipient
    return session.exec(stmt.where(column == code_or_recipient)).first()


def clicks(session: Session, tenant_id: int, link_id: int, chunk: int = 1000) -> Iterator[tuple]:
    """Every click of the tenant's link, oldest first, in keyset batches: (clicked_at, agent, personalised code,
    recipient, customer_id, ip_hash). For exports: never holds them all."""
    c = ShortLinkClick.__table__.c
    person = ShortLinkRecipient.__table__.c
    after = 0
    while True:
        rows = session.execute(
            select(c.id, c.clicked_at, c.agent, person.code, person.recipient, c.customer_id, c.ip_hash)
            .select_from(ShortLinkClick.__table__.outerjoin(ShortLinkRecipient.__table__, person.id == c.recipient_id))
            .where(c.link_id == link_id, c.tenant_id == tenant_id, c.id > after).order_by(c.id).limit(chunk)).all()
        if not rows:
            return
        for row in rows:
            yield tuple(row[1:])
        after = rows[-1][0]


# --- the tenant's logo on QR codes (A.2) ---------------------------------------------------------------------------

def logo(session: Session, tenant_id: int) -> TenantLogo | None:
    """The tenant's logo row (image and switch), or None."""
    return session.get(TenantLogo, tenant_id)


def qr_logo(session: Session, tenant_id: int) -> bytes | None:
    """The logo to draw on the tenant's marketing and poster QR codes: its image when the switch is on."""
    row = session.get(TenantLogo, tenant_id)
    return row.image if row is not None and row.on_qr_codes and row.image else None


def set_logo(session: Session, tenant_id: int, image: bytes | None, on_qr_codes: bool) -> TenantLogo:
    """Store the tenant's logo (a PNG already checked, ``scrm.sdk.qr.validate_logo``; None keeps the stored one) and
    the switch; ``ShortLinkError`` for the switch on without any logo."""
    row = session.get(TenantLogo, tenant_id) or TenantLogo(tenant_id=tenant_id)
    if image is not None:
        row.image = image
    if on_qr_codes and not row.image:
        raise ShortLinkError("logo", N_("Upload a logo before turning on the logo on QR codes."))
    row.on_qr_codes = on_qr_codes
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def remove_logo(session: Session, tenant_id: int) -> None:
    """Drop the tenant's logo (and with it the switch)."""
    row = session.get(TenantLogo, tenant_id)
    if row is not None:
        session.delete(row)
        session.flush()
