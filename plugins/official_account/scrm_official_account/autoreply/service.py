"""Auto replies: the rules of spec 3.5 / 4.3 (limits, uniqueness, independent switches, precedence) and the fast
matcher the inbound path uses.

Decisions (also in the README):

* "the newest rule wins" is decided by **creation** time (``created_at``, then ``id``): the spec's entity table says
  ``created_at`` decides, and acceptance 12 speaks of "the rule created later". Editing a rule does not move it.
* keywords are unique **per account** (a tenant may have several accounts, each with its own rules), compared exactly
  after trimming spaces; a message is trimmed before matching; matching is case-sensitive.
* half match (半匹配) = the fan's message contains the keyword; full match (全匹配) = the message equals it.
* the subscribe and default replies offer text, image, voice and video; keyword rules also news.

Every change bumps ``ReplySettings.revision``; a process keeps one compiled matcher per account and rebuilds it when
the revision changed. The process that commits a change drops its matcher at once; another process checks the
revision stamp (one read of the platform cache, Redis in production) at most once per ``CHECK_INTERVAL`` (1 s) per
account, so it answers with the new rules from its first message after that second. Between checks a message is
matched from memory alone: no I/O, and no reply thread (``keyword_in_memory``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import defer
from sqlmodel import Session, col, func, select

from scrm.sdk import N_, Message, utcnow

from ..materials import service as materials
from ..materials.models import IMAGE, NEWS, VIDEO, VOICE, Material
from .models import FULL, HALF, MATCH_MODES, Keyword, KeywordRule, ReplySettings

#: spec 4.3 rule 6 and 3.5
RULES_MAX = 20
NAME_MAX = 60
KEYWORD_MAX = 30
TEXT_MAX = 600  # a passive text reply: WeChat's 2,048-byte content limit, in Chinese characters
TEXT = "text"
RULE_TYPES = (TEXT, NEWS, IMAGE, VOICE, VIDEO)
SINGLE_TYPES = (TEXT, IMAGE, VOICE, VIDEO)
DEFAULT, SUBSCRIBE = "default", "subscribe"
SWITCHES = {"keyword": "keyword_enabled", "message": "message_enabled", "subscribe": "subscribe_enabled"}
REFERRER = "auto_reply"
#: seconds a revision stamp stays in the platform cache (a bound on how stale a matcher can be after a race)
STAMP_TTL = 2
#: seconds a process answers from its compiled matcher before it checks the account's revision stamp again
CHECK_INTERVAL = 1.0
#: the domain event a keyword rule with forwarding publishes (marketing rules D.5); the customer-service plugin
#: subscribes to it through its ``domain_event`` hook (no import between the plugins)
FORWARD_EVENT = "official_account.forward_to_service"


def _m(text: str, **params: Any) -> Message:
    return Message(text, params)


class ReplyError(Exception):
    """Refused input: ``code`` (NAME_REQUIRED, TOO_LONG, DUPLICATE_KEYWORD, RULE_LIMIT_REACHED, KEYWORD_REQUIRED,
    CONTENT_REQUIRED) and ``fields`` (form field -> ``Message``)."""

    def __init__(self, code: str, fields: dict[str, Message]) -> None:
        super().__init__(f"{code}: " + ", ".join(f"{k}: {v}" for k, v in fields.items()))
        self.code = code
        self.fields = fields


@dataclass
class KeywordInput:
    text: str
    mode: str = HALF


@dataclass
class ReplyInput:
    type: str = TEXT
    text: str = ""
    material_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "text": self.text if self.type == TEXT else "",
                "material_id": None if self.type == TEXT else self.material_id}


@dataclass
class RuleInput:
    name: str = ""
    keywords: list[KeywordInput] = field(default_factory=list)
    reply: ReplyInput = field(default_factory=ReplyInput)
    forward_to_service: bool = False


# -- settings and switches -------------------------------------------------------------------------------------

def settings_for(session: Session, tenant_id: int, account_id: int, *, lock: bool = False) -> ReplySettings:
    """The account's settings row (created on first use); ``lock`` holds it for the transaction, which serialises
    the rule writes of one account (the 20-rule limit and the keyword check hold under concurrency)."""
    from sqlalchemy.exc import IntegrityError

    query = select(ReplySettings).where(ReplySettings.tenant_id == tenant_id, ReplySettings.account_id == account_id)
    row = session.exec(query.with_for_update() if lock else query).first()
    if row is None:
        try:
            with session.begin_nested():  # two first writes at once: the loser reads the winner's row
                session.add(ReplySettings(tenant_id=tenant_id, account_id=account_id))
        except IntegrityError:
            pass
        row = session.exec(query.with_for_update() if lock else query).one()
    return row


def peek_settings(session: Session, tenant_id: int, account_id: int) -> ReplySettings:
    """The account's settings as stored, or the defaults (not saved) when it has none yet: for pages."""
    row = session.exec(select(ReplySettings).where(ReplySettings.tenant_id == tenant_id,
                                                   ReplySettings.account_id == account_id)).first()
    return row if row is not None else ReplySettings(tenant_id=tenant_id, account_id=account_id,
                                                     default_reply={}, subscribe_reply={})


def _bump(session: Session, settings: ReplySettings) -> None:
    session.flush()
    session.execute(update(ReplySettings).where(col(ReplySettings.id) == settings.id)
                    .values(revision=ReplySettings.revision + 1, updated_at=utcnow()))
    session.flush()
    session.refresh(settings)
    _forget_after_commit(session, settings.account_id)


def set_switch(session: Session, tenant_id: int, account_id: int, which: str, enabled: bool) -> ReplySettings:
    """Turn one of the three replies on or off; the other two stay as they are (spec 4.3 rule 1). Turning a single
    reply on needs its content first (CONTENT_REQUIRED)."""
    if which not in SWITCHES:
        raise ReplyError("UNKNOWN_SWITCH", {"switch": _m(N_("Unknown reply type."))})
    settings = settings_for(session, tenant_id, account_id, lock=True)
    if enabled and which != "keyword":
        reply = settings.default_reply if which == "message" else settings.subscribe_reply
        if not reply or not reply.get("type"):
            raise ReplyError("CONTENT_REQUIRED", {"switch": _m(N_("Set the reply's content before turning it on."))})
    setattr(settings, SWITCHES[which], bool(enabled))
    session.add(settings)
    _bump(session, settings)
    return settings


def _check_reply(session: Session, tenant_id: int, account_id: int, reply: ReplyInput,
                 types: tuple[str, ...]) -> dict[str, Message]:
    if reply.type not in types:
        return {"reply_type": _m(N_("Choose a reply type."))}
    if reply.type == TEXT:
        if not reply.text.strip():
            return {"reply_text": _m(N_("Enter the reply text."))}
        if len(reply.text) > TEXT_MAX:
            return {"reply_text": _m(N_("The reply text is at most %(max)s characters."), max=TEXT_MAX)}
        return {}
    if not reply.material_id:
        return {"material_id": _m(N_("Choose a material."))}
    material = materials.find(session, tenant_id, reply.material_id, account_id)
    if material is None or material.kind != reply.type:
        return {"material_id": _m(N_("Choose a material of this account and of the chosen type."))}
    return {}


def save_single_reply(session: Session, tenant_id: int, account_id: int, which: str, reply: ReplyInput,
                      label: str = "") -> ReplySettings:
    """Set the default (received-message) or the subscribe reply's content; the switches are left alone."""
    errors = _check_reply(session, tenant_id, account_id, reply, SINGLE_TYPES)
    if errors:
        raise ReplyError("CONTENT_REQUIRED", errors)
    settings = settings_for(session, tenant_id, account_id, lock=True)
    content = reply.as_dict()
    if which == DEFAULT:
        settings.default_reply = content
    elif which == SUBSCRIBE:
        settings.subscribe_reply = content
    else:
        raise ReplyError("UNKNOWN_SWITCH", {"switch": _m(N_("Unknown reply type."))})
    session.add(settings)
    materials.set_references(session, tenant_id, REFERRER, f"{account_id}:{which}",
                             [content["material_id"]] if content["material_id"] else [], label=label)
    _bump(session, settings)
    return settings


# -- keyword rules ---------------------------------------------------------------------------------------------

def _validate_rule(session: Session, tenant_id: int, account_id: int, data: RuleInput,
                   rule: KeywordRule | None) -> None:
    name = data.name.strip()
    if not name:
        raise ReplyError("NAME_REQUIRED", {"name": _m(N_("Enter a rule name."))})
    if len(name) > NAME_MAX:
        raise ReplyError("TOO_LONG", {"name": _m(N_("The rule name is at most %(max)s characters."), max=NAME_MAX)})
    texts = [k.text.strip() for k in data.keywords]
    if not any(texts):
        raise ReplyError("KEYWORD_REQUIRED", {"keywords": _m(N_("Add at least one keyword."))})
    for k in data.keywords:
        if k.mode not in MATCH_MODES:
            raise ReplyError("KEYWORD_REQUIRED", {"keywords": _m(N_("Choose full or half match."))})
    for text in texts:
        if not text:
            raise ReplyError("KEYWORD_REQUIRED", {"keywords": _m(N_("A keyword cannot be empty."))})
        if len(text) > KEYWORD_MAX:
            raise ReplyError("TOO_LONG", {"keywords": _m(N_("A keyword is at most %(max)s characters: %(keyword)s"),
                                                         max=KEYWORD_MAX, keyword=text)})
    seen: set[str] = set()
    for text in texts:
        if text in seen:
            raise ReplyError("DUPLICATE_KEYWORD", {"keywords": _m(N_("The keyword %(keyword)s is listed twice."),
                                                                  keyword=text)})
        seen.add(text)
    query = select(Keyword, KeywordRule.name).join(KeywordRule, col(KeywordRule.id) == Keyword.rule_id).where(
        Keyword.tenant_id == tenant_id, Keyword.account_id == account_id, col(Keyword.text).in_(texts))
    if rule is not None:
        query = query.where(Keyword.rule_id != rule.id)
    clash = session.exec(query).first()
    if clash is not None:
        raise ReplyError("DUPLICATE_KEYWORD", {"keywords": _m(N_("The keyword %(keyword)s is already used by the "
                                                                 "rule %(rule)s."),
                                                              keyword=clash[0].text, rule=clash[1])})
    errors = _check_reply(session, tenant_id, account_id, data.reply, RULE_TYPES)
    if errors:
        raise ReplyError("CONTENT_REQUIRED", errors)


def count_rules(session: Session, tenant_id: int, account_id: int) -> int:
    return int(session.exec(select(func.count()).select_from(KeywordRule).where(
        KeywordRule.tenant_id == tenant_id, KeywordRule.account_id == account_id)).one())


def _store_rule(session: Session, rule: KeywordRule, data: RuleInput) -> None:
    rule.name = data.name.strip()
    rule.reply_type = data.reply.type
    rule.reply_text = data.reply.text if data.reply.type == TEXT else ""
    rule.material_id = data.reply.material_id if data.reply.type != TEXT else None
    rule.forward_to_service = bool(data.forward_to_service)
    rule.updated_at = utcnow()
    session.add(rule)
    session.flush()
    for old in session.exec(select(Keyword).where(Keyword.rule_id == rule.id)):
        session.delete(old)
    session.flush()
    for k in data.keywords:
        session.add(Keyword(tenant_id=rule.tenant_id, account_id=rule.account_id, rule_id=rule.id,
                            text=k.text.strip(), mode=k.mode))
    materials.set_references(session, rule.tenant_id, REFERRER, f"rule:{rule.id}",
                             [rule.material_id] if rule.material_id else [], label=rule.name)
    session.flush()


def create_rule(session: Session, tenant_id: int, account_id: int, data: RuleInput) -> KeywordRule:
    settings = settings_for(session, tenant_id, account_id, lock=True)
    if count_rules(session, tenant_id, account_id) >= RULES_MAX:
        raise ReplyError("RULE_LIMIT_REACHED", {"name": _m(N_("An account has at most %(max)s keyword rules."),
                                                           max=RULES_MAX)})
    _validate_rule(session, tenant_id, account_id, data, None)
    rule = KeywordRule(tenant_id=tenant_id, account_id=account_id, name=data.name.strip(),
                       reply_type=data.reply.type)
    _store_rule(session, rule, data)
    _bump(session, settings)
    return rule


def update_rule(session: Session, rule: KeywordRule, data: RuleInput) -> KeywordRule:
    settings = settings_for(session, rule.tenant_id, rule.account_id, lock=True)
    _validate_rule(session, rule.tenant_id, rule.account_id, data, rule)
    _store_rule(session, rule, data)
    _bump(session, settings)
    return rule


def delete_rule(session: Session, rule: KeywordRule) -> None:
    settings = settings_for(session, rule.tenant_id, rule.account_id, lock=True)
    materials.set_references(session, rule.tenant_id, REFERRER, f"rule:{rule.id}", [])
    session.delete(rule)
    _bump(session, settings)


def find_rule(session: Session, tenant_id: int, rule_id: int) -> KeywordRule | None:
    return session.exec(select(KeywordRule).where(KeywordRule.id == rule_id,
                                                  KeywordRule.tenant_id == tenant_id)).first()


def keywords_of(session: Session, rule_ids: list[int]) -> dict[int, list[Keyword]]:
    out: dict[int, list[Keyword]] = {rid: [] for rid in rule_ids}
    if rule_ids:
        for k in session.exec(select(Keyword).where(col(Keyword.rule_id).in_(rule_ids)).order_by(Keyword.id)):
            out[k.rule_id].append(k)
    return out


def list_rules(session: Session, tenant_id: int, account_id: int, *, search: str = "", reply_type: str = ""
               ) -> list[KeywordRule]:
    """The account's rules, newest first (the order that decides precedence); ``search`` matches a rule name or
    one of its keywords."""
    query = select(KeywordRule).where(KeywordRule.tenant_id == tenant_id, KeywordRule.account_id == account_id)
    if reply_type:
        query = query.where(KeywordRule.reply_type == reply_type)
    if search:
        by_keyword = select(Keyword.rule_id).where(Keyword.tenant_id == tenant_id, Keyword.account_id == account_id,
                                                   col(Keyword.text).contains(search))
        query = query.where(col(KeywordRule.name).contains(search) | col(KeywordRule.id).in_(by_keyword))
    return list(session.exec(query.order_by(col(KeywordRule.created_at).desc(), col(KeywordRule.id).desc())))


# -- the matcher -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleReply:
    rule_id: int
    name: str
    reply: dict[str, Any]
    forward: bool


@dataclass(frozen=True)
class Compiled:
    """One account's replies as of ``revision``: full-match keywords in a dict, half-match keywords newest rule
    first, each with the rank of its rule (higher = created later)."""

    tenant_id: int
    revision: int
    stamp: str  # "<revision>|<updated_at>": what the platform cache holds while this matcher is current
    keyword_enabled: bool
    message_enabled: bool
    subscribe_enabled: bool
    default_reply: dict[str, Any]
    subscribe_reply: dict[str, Any]
    full: dict[str, int]
    half: tuple[tuple[str, int], ...]
    rules: dict[int, RuleReply]  # rank -> rule

    def match(self, text: str) -> RuleReply | None:
        """The rule answering ``text``: among the matching rules the one created last (spec 4.3 rule 4)."""
        text = text.strip()
        best = self.full.get(text, -1)
        for keyword, rank in self.half:  # newest first: the first hit newer than the full match decides
            if rank <= best:
                break
            if keyword in text:
                best = rank
                break
        return self.rules.get(best) if best >= 0 else None


_compiled: dict[int, Compiled] = {}
_compiled_lock = threading.Lock()
#: account id -> (clock() until which its matcher is taken as current unchecked, the platform cache it was checked
#: against: a matcher of another platform in this process, a test's say, is never taken for current)
_checked: dict[int, tuple[float, Any]] = {}
_clock = time.monotonic


def compile_account(session: Session, settings: ReplySettings) -> Compiled:
    rules = list(session.exec(select(KeywordRule).where(KeywordRule.tenant_id == settings.tenant_id,
                                                        KeywordRule.account_id == settings.account_id)
                              .order_by(col(KeywordRule.created_at), col(KeywordRule.id))))
    rank_of = {rule.id: rank for rank, rule in enumerate(rules)}
    full: dict[str, int] = {}
    half: list[tuple[str, int]] = []
    for k in session.exec(select(Keyword).where(Keyword.tenant_id == settings.tenant_id,
                                                Keyword.account_id == settings.account_id)):
        rank = rank_of.get(k.rule_id)
        if rank is None:
            continue
        if k.mode == FULL:
            full[k.text] = max(rank, full.get(k.text, -1))
        else:
            half.append((k.text, rank))
    half.sort(key=lambda item: -item[1])
    return Compiled(tenant_id=settings.tenant_id, revision=settings.revision,
                    stamp=_stamp_text(settings.revision, settings.updated_at), keyword_enabled=settings.keyword_enabled,
                    message_enabled=settings.message_enabled, subscribe_enabled=settings.subscribe_enabled,
                    default_reply=dict(settings.default_reply or {}),
                    subscribe_reply=dict(settings.subscribe_reply or {}), full=full, half=tuple(half),
                    rules={rank_of[r.id]: RuleReply(r.id, r.name, {"type": r.reply_type, "text": r.reply_text,
                                                                   "material_id": r.material_id},
                                                    r.forward_to_service) for r in rules})


def _cache() -> Any:
    """The platform's cache (Redis in production, shared by every process; memory otherwise), or None."""
    try:
        from scrm.sdk import current_bus

        return current_bus().platform.cache
    except (RuntimeError, AttributeError):
        return None


def _stamp_key(account_id: int) -> str:
    return f"oa:autoreply:stamp:{account_id}"


def _stamp_text(revision: int, updated_at: Any) -> str:
    return f"{revision}|{updated_at.isoformat() if updated_at is not None else ''}"


def _forget_after_commit(session: Session, account_id: int) -> None:
    """Once the change is committed, every process re-reads the account's revision at its next message."""
    from sqlalchemy import event

    def forget(_session: Any) -> None:
        cache = _cache()
        if cache is not None:
            cache.delete(_stamp_key(account_id))
        _checked.pop(account_id, None)
        _compiled.pop(account_id, None)

    event.listen(session, "after_commit", forget, once=True)


def forget_compiled() -> None:
    """Drop every matcher this process holds (the next message of each account checks its revision again): for a
    database whose account ids start again (the test suite empties its tables between tests)."""
    with _compiled_lock:
        _compiled.clear()
        _checked.clear()


def compiled_in_memory(tenant_id: int, account_id: int) -> Compiled | None:
    """The account's compiled replies when this process checked their revision less than ``CHECK_INTERVAL`` ago;
    None otherwise (then :func:`compiled_for` checks, or compiles). No I/O."""
    cached = _compiled.get(account_id)
    if cached is None or cached.tenant_id != tenant_id:
        return None
    checked = _checked.get(account_id)
    if checked is None or checked[0] <= _clock() or checked[1] is not _cache():
        return None
    return cached


def _mark_checked(account_id: int, compiled: Compiled, cache: Any) -> Compiled:
    _checked[account_id] = (_clock() + CHECK_INTERVAL, cache)
    return compiled


def compiled_for(session: Session, tenant_id: int, account_id: int) -> Compiled | None:
    """The account's compiled replies; None when nothing is configured.

    Within ``CHECK_INTERVAL`` of the last check the matcher in memory is used as is. Then the account's revision
    stamp is read from the platform cache (one Redis GET; the key is dropped when a change commits and expires
    after ``STAMP_TTL`` seconds) and the matcher rebuilt only when the stamp changed; without a cached stamp the
    settings row is read (one indexed read) and the stamp cached."""
    fresh = compiled_in_memory(tenant_id, account_id)
    if fresh is not None:
        return fresh
    cache = _cache()
    cached = _compiled.get(account_id)
    if cached is not None and cached.tenant_id == tenant_id and cache is not None:
        if cache.get(_stamp_key(account_id)) == cached.stamp:
            return _mark_checked(account_id, cached, cache)
    row = session.exec(select(ReplySettings.revision, ReplySettings.updated_at).where(
        ReplySettings.account_id == account_id, ReplySettings.tenant_id == tenant_id)).first()
    if row is None:
        return None
    stamp = _stamp_text(row[0], row[1])
    if cache is not None:
        cache.set(_stamp_key(account_id), stamp, ttl=STAMP_TTL)
    if cached is not None and cached.tenant_id == tenant_id and cached.stamp == stamp:
        return _mark_checked(account_id, cached, cache)
    settings = session.exec(select(ReplySettings).where(ReplySettings.account_id == account_id,
                                                        ReplySettings.tenant_id == tenant_id)).one()
    compiled = compile_account(session, settings)
    with _compiled_lock:
        _compiled[account_id] = compiled
    return _mark_checked(account_id, compiled, cache)


@dataclass(frozen=True)
class Decision:
    """What to answer: ``reply`` (a reply content dict) or None; ``source`` keyword / default / subscribe;
    ``rule`` the matching keyword rule (its ``forward`` flag asks for customer service)."""

    reply: dict[str, Any] | None
    source: str = ""
    rule: RuleReply | None = None


NO_REPLY = Decision(None)


def keyword_decision(compiled: Compiled | None, content: str) -> Decision:
    """The newest keyword rule of ``compiled`` matching a text message, when keyword replies are on (spec 4.3
    rules 3, 4)."""
    if compiled is None or not compiled.keyword_enabled:
        return NO_REPLY
    rule = compiled.match(content or "")
    return Decision(rule.reply, "keyword", rule) if rule is not None else NO_REPLY


def default_decision(compiled: Compiled | None) -> Decision:
    """The default (received-message) reply of ``compiled`` when it is on."""
    if compiled is None or not compiled.message_enabled or not compiled.default_reply.get("type"):
        return NO_REPLY
    return Decision(compiled.default_reply, "default")


def subscribe_decision(compiled: Compiled | None) -> Decision:
    """The subscribe reply of ``compiled`` when it is on."""
    if compiled is None or not compiled.subscribe_enabled or not compiled.subscribe_reply.get("type"):
        return NO_REPLY
    return Decision(compiled.subscribe_reply, "subscribe")


def decide_keyword(session: Session, tenant_id: int, account_id: int, content: str) -> Decision:
    """The newest keyword rule matching a text message, when keyword replies are on (spec 4.3 rules 3, 4)."""
    return keyword_decision(compiled_for(session, tenant_id, account_id), content)


def decide_default(session: Session, tenant_id: int, account_id: int) -> Decision:
    """The default (received-message) reply when it is on."""
    return default_decision(compiled_for(session, tenant_id, account_id))


def decide_message(session: Session, tenant_id: int, account_id: int, msg_type: str, content: str = "") -> Decision:
    """Spec 4.3 rules 7 and 9: a text message gets the newest matching keyword rule's reply when keyword replies
    are on; otherwise (and for any other message type) the default reply when it is on; otherwise nothing."""
    if msg_type == "text":
        decision = decide_keyword(session, tenant_id, account_id, content)
        if decision.reply is not None:
            return decision
    return decide_default(session, tenant_id, account_id)


def decide_subscribe(session: Session, tenant_id: int, account_id: int) -> Decision:
    """Spec 4.3 rule 8: a follow gets the subscribe reply only when it is on."""
    return subscribe_decision(compiled_for(session, tenant_id, account_id))


def resolve(session: Session, tenant_id: int, account_id: int, reply: dict[str, Any]) -> dict[str, Any] | None:
    """A reply content as a message: ``{"type": "text", "content"}``, ``{"type": "image"|"voice", "media_id"}``,
    ``{"type": "video", "media_id", "title", "description"}`` or ``{"type": "news", "articles": [{"title",
    "description", "picurl", "url"}]}``. Materials are read now, so a news edit shows in the next reply (spec 4.1
    rule 3). None when the material is gone or not on WeChat yet."""
    kind = reply.get("type")
    if kind == TEXT:
        return {"type": TEXT, "content": reply.get("text") or ""}
    material = session.exec(select(Material).options(defer(Material.data)).where(
        Material.id == (reply.get("material_id") or 0), Material.tenant_id == tenant_id,
        Material.account_id == account_id)).first()
    if material is None:
        return None
    if kind == NEWS:
        view = materials.view_of(session, material)
        # a passive news reply shows one article (WeChat's rule for news replies since 2018): the first
        return {"type": NEWS, "material_id": material.id, "revision": material.revision,
                "articles": [{"title": a["title"], "description": a["digest"], "picurl": a["picurl"],
                              "url": a["url"]} for a in view.articles[:1]]}
    if not material.media_id:
        return None
    if kind == VIDEO:
        return {"type": VIDEO, "media_id": material.media_id, "title": material.title,
                "description": material.description}
    return {"type": kind, "media_id": material.media_id}
