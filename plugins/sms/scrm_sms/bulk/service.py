"""短信群发: audience, estimate, confirmation (quota reserved), planning in waves through ``plan_bulk_send``,
settlement of the quota from the delivery ledger, pause / resume / cancel.

How a bulk send goes:

1. **Confirmation** (``create``): the audience is resolved (tags or a members segment compiled by the platform's
   audience filters, or pasted numbers validated, deduplicated and stripped of opted-out numbers for marketing), the
   message is checked (``scrm_sms.content``), and every recipient's delivered text is measured: recipients are
   grouped by billed segments (only the nickname varies per recipient; the other variables are the same for all).
   ``estimated`` = Σ segments × recipients is **reserved** from the quota in the same transaction as the row
   (``INSUFFICIENT_BALANCE``: nothing written). A durable schedule fires the dispatch at ``send_at`` (now or later).
2. **Planning** (``plan_wave``): the audience is read again by customer id (customers created after the
   confirmation are left out) in pages of 1,000; each page goes to ``plan_bulk_send`` once per segment class with
   task_ref ``sms_bulk:<id>:<segments>`` (blacklist, opt-out, caps, ledger rows, send jobs); the cursor is written
   in the transaction of the page's chunk (a page of one class is one chunk: the rows and the cursor commit
   together), and a page read again after a crash is deduplicated by the ledger's idempotency keys. A wave plans
   ``WAVE_SECONDS`` of sending at the account's rate; the next wave is planned when the queue has drained below half
   a wave, so pausing stops the send within one wave.
3. **Settlement** (``settle``): the ledger rows of the send are counted by task_ref and status (one query); rows
   the provider accepted (sent, delivered, read) are consumed, rows failed or skipped (excluded, cancelled, provider
   refused) are released, each by its class's segments, applied as a delta in one transaction with the counters of
   the send (a conditional UPDATE on the previous counters: two settlements cannot both apply). When planning is
   done, what was reserved for recipients never planned is released.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlmodel import Session

from scrm.sdk import (
    AudienceError,
    ChannelAccount,
    Customer,
    DeliveryStatus,
    IdentityError,
    MessageDelivery,
    OutboundMessage,
    Tenant,
    compile_audience,
    current_bus,
    normalize_mobile,
    schedule,
    utcnow,
)

from .. import content as rules
from ..quota import service as quota
from .models import CANCELLED, FAILED, FINISHED, OPEN, PAUSED, SCHEDULED, SENDING, SmsBulkSend

log = logging.getLogger(__name__)

DISPATCH_ACTOR = "scrm_sms.bulk.dispatch"
PAGE = 1000
#: seconds of sending at the account's rate that one wave plans
WAVE_SECONDS = 60
#: the most numbers one paste may hold
MAX_PASTED = 10_000
#: how long delivery reports are awaited after the last send before the counts stop being refreshed
REFRESH_FOR = timedelta(hours=2)
#: variables whose value is the same for every recipient of a send
CONSTANT_VARIABLES = ("employee_name", "company_name")
MODES = ("tags", "segment", "phones")
_SPLIT = re.compile(r"[\s,，;；、]+")

_T = SmsBulkSend.__table__.c
_D = MessageDelivery.__table__.c


class BulkError(ValueError):
    """A bulk send refused (nothing written): a stable ``code`` (EMPTY_AUDIENCE, INSUFFICIENT_BALANCE,
    TEMPLATE_NOT_APPROVED, INVALID_INPUT ...), the ``field`` of the form and a translated ``message``."""

    def __init__(self, code: str, message: str, field: str = "") -> None:
        self.code, self.field, self.message = code, field, str(message)
        super().__init__(f"{code}: {message}")


# -- audience --------------------------------------------------------------------------------------------------


@dataclass
class Pasted:
    valid: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    duplicates: int = 0


def parse_phones(text: str) -> Pasted:
    """Numbers separated by new lines, spaces, commas or semicolons: mainland mobiles normalised (+86 removed),
    deduplicated in the order given; the rest counted as invalid."""
    out = Pasted()
    seen: set[str] = set()
    for token in _SPLIT.split(text or ""):
        if not token:
            continue
        try:
            mobile = normalize_mobile(token)
        except IdentityError:
            out.invalid.append(token[:20])
            continue
        if mobile in seen:
            out.duplicates += 1
            continue
        seen.add(mobile)
        out.valid.append(mobile)
    return out


def filter_types(session: Session, tenant: Tenant):
    return current_bus().platform.hooks(session, tenant).contribute("audience_filters", tenant=tenant)


def audience_query(session: Session, tenant: Tenant, audience: dict[str, Any]):
    """``SELECT customer.id, customer.mobile, customer.name`` of the tag / segment audience (customers with a
    mobile), or None for pasted numbers."""
    mode = audience.get("mode")
    if mode == "tags":
        tree = {"conditions": [{"type": "tag", "values": [int(t) for t in audience.get("tag_ids") or []]}]}
    elif mode == "segment":
        tree = {"conditions": [{"type": "segment", "values": [int(audience.get("segment_id") or 0)]}]}
    else:
        return None
    compiled = compile_audience(tenant.id, tree, filter_types(session, tenant))
    return compiled.with_only_columns(Customer.id, Customer.mobile, Customer.name).where(
        Customer.mobile.is_not(None), Customer.mobile != "")


def opted_out(session: Session, tenant_id: int, mobiles: list[str]) -> set[str]:
    """The numbers of ``mobiles`` on the tenant's unsubscribe list."""
    from ..optout.models import SmsUnsubscribe

    found: set[str] = set()
    for start in range(0, len(mobiles), 1000):
        found.update(session.execute(select(SmsUnsubscribe.mobile).where(
            SmsUnsubscribe.tenant_id == tenant_id, SmsUnsubscribe.mobile.in_(mobiles[start:start + 1000])))
            .scalars().all())
    return found


def pasted_recipients(session: Session, tenant_id: int, mobiles: list[str]) -> list[list]:
    """``[[customer_id or None, mobile, name], ...]``: each number with the tenant's customer of that mobile."""
    known: dict[str, tuple[int, str]] = {}
    for start in range(0, len(mobiles), 1000):
        part = mobiles[start:start + 1000]
        for cid, mobile, name in session.execute(select(Customer.id, Customer.mobile, Customer.name).where(
                Customer.tenant_id == tenant_id, Customer.merged_into_id.is_(None), Customer.mobile.in_(part))
                .order_by(Customer.id)):
            known.setdefault(mobile, (cid, name))
    return [[known.get(m, (None, ""))[0], m, known.get(m, (None, ""))[1]] for m in mobiles]


# -- the message ---------------------------------------------------------------------------------------------------


@dataclass
class Composer:
    """Measures and renders one send's text per recipient: constants filled, nickname and link per recipient."""

    signature: str
    body: str
    category: str
    link_length: int = 0

    def text(self, nickname: str, link: str = "") -> str:
        return rules.compose(self.signature, rules.render(self.body, {"customer_nickname": nickname or "",
                                                                       "link": link}), self.category)

    def segments(self, nickname: str) -> int:
        """Billed segments of the text for a recipient of this nickname: they depend on its wire length only (the
        other variables are the same for all), so one measurement per length is kept."""
        length = rules.wire_length(nickname or "")
        cache = self.__dict__.setdefault("_by_length", {})
        if length not in cache:
            cache[length] = rules.segments(self.text("x" * length, "x" * self.link_length))
        return cache[length]

    def fit(self, nickname: str, link: str, limit: int) -> str:
        """The text for a recipient within ``limit`` segments: a nickname that grew since the planning is shortened
        (the reservation is never exceeded)."""
        nickname = nickname or ""
        while nickname and rules.segments(self.text(nickname, link)) > limit:
            nickname = nickname[:-1]
        return self.text(nickname, link)


def fill_constants(body: str, *, employee_name: str, company_name: str) -> str:
    return rules.render(body, {"employee_name": employee_name, "company_name": company_name,
                               "customer_nickname": "${customer_nickname}", "link": "${link}"})


@dataclass
class Estimate:
    recipients: int = 0
    classes: dict[int, int] = field(default_factory=dict)
    invalid: int = 0
    duplicates: int = 0
    excluded: int = 0

    @property
    def billed(self) -> int:
        return sum(seg * n for seg, n in self.classes.items())


def measure(session: Session, tenant: Tenant, audience: dict[str, Any], composer: Composer,
            max_customer_id: int | None = None) -> Estimate:
    """Recipients and billed messages: one pass over the audience's names when the body has the nickname variable,
    else one COUNT."""
    estimate = Estimate()
    if audience.get("mode") == "phones":
        rows = audience.get("phones") or []
        for _cid, _mobile, name in rows:
            seg = composer.segments(name)
            estimate.classes[seg] = estimate.classes.get(seg, 0) + 1
        estimate.recipients = len(rows)
        return estimate
    query = audience_query(session, tenant, audience)
    if max_customer_id is not None:
        query = query.where(Customer.id <= max_customer_id)
    if "${customer_nickname}" not in composer.body:
        count = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        if count:
            estimate.classes[composer.segments("")] = count
        estimate.recipients = count
        return estimate
    if session.get_bind().dialect.name == "postgresql":
        from scrm.sdk import utf16_length

        # the carriers' length of a name: its characters, plus one for each outside the BMP (an emoji: 2 units)
        wire = utf16_length(Customer.name)
        for length, count in session.execute(query.with_only_columns(wire, func.count()).group_by(wire)):
            seg = composer.segments("x" * int(length or 0))
            estimate.classes[seg] = estimate.classes.get(seg, 0) + count
            estimate.recipients += count
        return estimate
    for name, count in session.execute(query.with_only_columns(Customer.name, func.count()).group_by(Customer.name)):
        seg = composer.segments(name or "")
        estimate.classes[seg] = estimate.classes.get(seg, 0) + count
        estimate.recipients += count
    return estimate


# -- confirmation ----------------------------------------------------------------------------------------------------


def _link_base(base: str | None) -> str:
    from scrm.sdk import shortlinks

    return shortlinks.short_url("x" * shortlinks.PERSONAL_CODE_LENGTH, base)


def create(session: Session, tenant: Tenant, *, account_id: int, category: str, signature: str, content: str,
           audience: dict[str, Any], send_at: datetime | None = None, template_id: int | None = None,
           user_id: int | None = None, creator_name: str = "", employee_name: str = "",
           link_url: str | None = None, public_base: str | None = None,
           signature_max: int = rules.SIGNATURE_MAX) -> SmsBulkSend:
    """Validate, measure, reserve the quota and schedule the dispatch, in the caller's transaction; ``BulkError``
    with nothing written otherwise. ``audience`` for pasted numbers is ``{"mode": "phones", "text": "..."}``.

    ``signature`` must be a signature approved on the account (spec 2.2 / 3.9: only approved signatures are usable,
    ``SIGNATURE_NOT_APPROVED`` otherwise) and within ``signature_max`` characters: the tenant's limit
    (``content.signature_limit`` of the plugin settings; the pages pass it), 20 by default."""
    account = session.get(ChannelAccount, account_id) if account_id else None
    if account is None or account.tenant_id != tenant.id or account.plugin != "sms" or not account.active:
        raise BulkError("INVALID_INPUT", _l("Choose an active SMS account."), "account_id")
    if category not in quota.CATEGORIES:
        raise BulkError("INVALID_INPUT", _l("Choose marketing or notification."), "category")
    if template_id is not None:
        content = _check_template(session, tenant.id, template_id).content  # the approved text, as reviewed
    # ``${code}`` is filled only by a feature sending one code to one recipient (``message_templates``)
    check = rules.check_message(signature, content, category, signature_max=signature_max,
                                allowed=rules.BULK_VARIABLES)
    if not check.ok:
        from scrm.sdk.web import translate

        issue = check.errors[0]
        raise BulkError("INVALID_INPUT", translate(issue.message), issue.field)
    signature = _check_signature(session, tenant.id, account.id, signature)
    mode = audience.get("mode")
    if mode not in MODES:
        raise BulkError("INVALID_INPUT", _l("Choose the audience."), "mode")
    link = None
    body = fill_constants(content.strip(), employee_name=employee_name, company_name=tenant.name)
    if "${link}" in body:
        from scrm.sdk import shortlinks

        try:
            target = shortlinks.validate_target(link_url)
        except shortlinks.ShortLinkError as exc:
            from scrm.sdk.web import translate

            raise BulkError("INVALID_INPUT", translate(exc.message) if hasattr(exc, "message") else str(exc),
                            "link_url") from exc
        link = target
    composer = Composer(signature.strip(), body, category,
                        len(_link_base(public_base)) if link else 0)
    stored: dict[str, Any] = {"mode": mode}
    invalid = excluded = 0
    if mode == "phones":
        pasted = parse_phones(audience.get("text") or "")
        invalid = len(pasted.invalid)
        if len(pasted.valid) > MAX_PASTED:
            raise BulkError("INVALID_INPUT", _l("At most %(n)s numbers per send.", n=MAX_PASTED), "phones")
        mobiles = pasted.valid
        if category == quota.MARKETING and mobiles:
            out = opted_out(session, tenant.id, mobiles)
            excluded = len(out)
            mobiles = [m for m in mobiles if m not in out]
        stored["phones"] = pasted_recipients(session, tenant.id, mobiles)
        if not pasted.valid:
            raise BulkError("EMPTY_AUDIENCE", _l("No valid mobile number (%(n)s invalid).", n=invalid), "phones")
    elif mode == "tags":
        tags = [int(t) for t in audience.get("tag_ids") or [] if str(t).isdigit()]
        if not tags:
            raise BulkError("EMPTY_AUDIENCE", _l("Choose at least one tag."), "tag_ids")
        stored["tag_ids"] = tags
    else:
        if not str(audience.get("segment_id") or "").isdigit():
            raise BulkError("EMPTY_AUDIENCE", _l("Choose a segment."), "segment_id")
        stored["segment_id"] = int(audience["segment_id"])
    max_id = session.execute(select(func.max(Customer.id)).where(Customer.tenant_id == tenant.id)).scalar_one()
    try:
        estimate = measure(session, tenant, stored, composer, max_id)
    except AudienceError as exc:
        raise BulkError("INVALID_INPUT", str(exc), "mode") from exc
    if estimate.recipients == 0:
        raise BulkError("EMPTY_AUDIENCE", _l("The audience has no recipient with a mobile number."), "mode")
    bulk = SmsBulkSend(tenant_id=tenant.id, account_id=account.id, category=category, signature=signature.strip(),
                       content=content.strip(), body=body, template_id=template_id, audience=stored,
                       send_at=send_at, status=SCHEDULED, recipients=estimate.recipients,
                       invalid_numbers=invalid, excluded_numbers=excluded,
                       classes={str(k): v for k, v in sorted(estimate.classes.items())},
                       max_customer_id=max_id, estimated=estimate.billed, reserved=estimate.billed,
                       created_by=user_id, creator_name=creator_name[:100])
    if link:
        bulk.audience["link"] = {"target": link, "base": public_base}
    try:
        with session.begin_nested():
            quota.reserve(session, tenant.id, category, estimate.billed)
    except quota.InsufficientBalance as exc:
        raise BulkError(quota.INSUFFICIENT_BALANCE, exc.message(), "") from exc
    session.add(bulk)
    session.flush()
    if link:
        from scrm.sdk import shortlinks

        short = shortlinks.create(session, tenant.id, link, channel="sms", campaign=f"sms_bulk:{bulk.id}",
                                  campaign_label=content.strip()[:100], created_by="plugin:sms")
        bulk.audience = {**bulk.audience, "link": {"target": link, "base": public_base, "link_id": short.id}}
    if template_id is not None:
        _count_template_use(session, tenant.id, template_id)
    schedule_dispatch(session, bulk, send_at or utcnow(), "a")
    from scrm.sdk import audit

    audit(session, "sms.bulk.create", tenant_id=tenant.id, user_id=user_id, actor="user" if user_id else "system",
          target=f"sms_bulk:{bulk.id}", detail={"recipients": bulk.recipients, "estimated": bulk.estimated,
                                               "category": category})
    session.flush()
    return bulk


def _check_template(session: Session, tenant_id: int, template_id: int):
    """Only an approved template (or a system template) of the tenant may be used (spec 3.9: TEMPLATE_NOT_APPROVED)."""
    from ..smstemplates.service import usable_template

    row = usable_template(session, tenant_id, template_id)
    if row is None:
        raise BulkError("TEMPLATE_NOT_APPROVED", _l("Only an approved template can be sent."), "template_id")
    return row


def _check_signature(session: Session, tenant_id: int, account_id: int, text: str) -> str:
    """The approved signature ``text`` of the account, as filed; ``SIGNATURE_NOT_APPROVED`` otherwise (spec 2.2,
    3.9: a pending, rejected, unknown or other account's signature cannot be sent)."""
    from ..signatures.service import approved_text

    row = approved_text(session, tenant_id, account_id, text)
    if row is None:
        raise BulkError("SIGNATURE_NOT_APPROVED",
                        _l("Choose a signature approved on this SMS account."), "signature")
    return row.text


def _count_template_use(session: Session, tenant_id: int, template_id: int) -> None:
    from ..smstemplates.service import count_use

    count_use(session, tenant_id, template_id)


# -- planning ------------------------------------------------------------------------------------------------------


def task_ref(bulk_id: int, segments: int) -> str:
    return f"sms_bulk:{bulk_id}:{segments}"


def purpose_of(category: str) -> str:
    """The channel's purposes (``scrm_sms.payload``): marketing SMS are refused by the blacklist and the opt-out
    list, notifications by neither."""
    from ..payload import purpose_for

    return purpose_for(category)


def _payload(bulk: SmsBulkSend, segments: int) -> OutboundMessage:
    return OutboundMessage("text", {"content": bulk.body, "signature": bulk.signature, "category": bulk.category,
                                    "sms_bulk": bulk.id, "segments": segments})


def _classes_of(composer: Composer, fixed: int | None) -> list[int]:
    """The segment classes the planner can give a recipient: the one class of a text without the nickname, else
    every class from the empty name's to the longest name's."""
    if fixed is not None:
        return [fixed]
    return list(range(composer.segments(""), composer.segments("x" * NAME_WIRE_MAX) + 1))


def segments_sql(composer: Composer, name, dialect: str):
    """The billed segments of each recipient's text as SQL: a step function of the UTF-16 length of ``name``
    (measured in Python for every length a name can have, so SQL and ``Composer.segments`` agree). PostgreSQL looks
    the length up in an array (the length computed once a row); elsewhere a CASE over the steps."""
    from sqlalchemy import Integer, case, literal, literal_column
    from sqlalchemy.dialects.postgresql import ARRAY

    from scrm.sdk import utf16_length

    by_length = [composer.segments("x" * length) for length in range(NAME_WIRE_MAX + 1)]
    if len(set(by_length)) == 1:
        return literal(by_length[0])
    wire = utf16_length(func.coalesce(name, ""))
    if dialect == "postgresql":
        table = literal_column("(ARRAY[" + ",".join(map(str, by_length)) + "])", ARRAY(Integer))  # digits only
        return table[func.least(wire, NAME_WIRE_MAX) + 1]
    steps: list[tuple[int, int]] = []  # (longest name length of the class, class)
    for length, seg in enumerate(by_length):
        if steps and steps[-1][1] == seg:
            steps[-1] = (length, seg)
        else:
            steps.append((length, seg))
    return case(*[(wire <= longest, literal(seg)) for longest, seg in steps[:-1]], else_=literal(steps[-1][1]))


def _audience(session: Session, tenant: Tenant, bulk: SmsBulkSend, composer: Composer, fixed: int | None):
    """The recipients as (customer id or None, mobile, segments): a query (tags, segment) or the pasted list."""
    if bulk.audience.get("mode") == "phones":
        return [(cid, mobile, fixed or composer.segments(name or ""))
                for cid, mobile, name in (bulk.audience.get("phones") or [])]
    from sqlalchemy import literal

    query = audience_query(session, tenant, bulk.audience)
    if bulk.max_customer_id is not None:
        query = query.where(Customer.id <= bulk.max_customer_id)
    seg = literal(fixed) if fixed is not None else segments_sql(composer, Customer.name,
                                                                session.get_bind().dialect.name)
    return query.with_only_columns(Customer.id, Customer.mobile, seg)


def _lease(session: Session, bulk_id: int, seconds: int = 300) -> bool:
    now = utcnow()
    moved = session.execute(update(SmsBulkSend.__table__).where(
        _T.id == bulk_id, (_T.lease_until.is_(None)) | (_T.lease_until < now)).values(
        lease_until=now + timedelta(seconds=seconds)))
    session.commit()
    return moved.rowcount == 1


def _unlease(session: Session, bulk_id: int) -> None:
    session.execute(update(SmsBulkSend.__table__).where(_T.id == bulk_id).values(lease_until=None))
    session.commit()


def plan_wave(session: Session, bulk: SmsBulkSend, limit: int | None) -> int:
    """Plan up to ``limit`` more recipients (None: all the rest); returns how many were read.

    Set-based (``plan_bulk_set``): each chunk's ledger rows by one INSERT ... SELECT from the audience query (or
    the pasted list), one variant per segment class, the blacklist and the opt-out list as SQL, at most the
    send's reservation (a running sum of the segments); in the chunk's transaction the cursor and the count move,
    and the segments of the recipients the exclusions skipped are released at once (on the send's ``released``
    and the tenant's quota, one conditional UPDATE each), so what stays reserved is exactly the queued rows'
    segments and the recipients not planned yet. A chunk planned again after a crash writes nothing twice (one
    idempotency key per send and recipient)."""
    from scrm.sdk import Variant, plan_bulk_set

    tenant = session.get(Tenant, bulk.tenant_id)
    classes = {int(k): v for k, v in (bulk.classes or {}).items()}
    link = (bulk.audience or {}).get("link")
    composer = Composer(bulk.signature, bulk.body, bulk.category, len(_link_base(link.get("base"))) if link else 0)
    fixed = next(iter(classes)) if len(classes) == 1 and "${customer_nickname}" not in bulk.body else None
    variants = {seg: Variant(task_ref(bulk.id, seg), _payload(bulk, seg), seg) for seg in _classes_of(composer, fixed)}
    budget = bulk.reserved - _planned_segments(session, bulk)
    link_id = link.get("link_id") if link else None

    def on_chunk(s: Session, chunk) -> None:
        if link_id:
            _personal_links(s, bulk, link_id, [(cid, mobile) for _, _, cid, mobile, _ in chunk.rows])
        skipped = chunk.weight(variants, status=DeliveryStatus.SKIPPED)
        s.execute(update(SmsBulkSend.__table__).where(_T.id == bulk.id).values(
            cursor=chunk.last, planned=_T.planned + chunk.read, released=_T.released + skipped))
        quota.release(s, bulk.tenant_id, bulk.category, skipped)

    size = PAGE * 10 if limit is None else max(1, min(limit, PAGE * 10))
    plan = plan_bulk_set(session, bulk.tenant_id, account=bulk.account_id, purpose=purpose_of(bulk.category),
                         audience=_audience(session, tenant, bulk, composer, fixed), variants=variants,
                         key_prefix=f"sms_bulk:{bulk.id}", kind="sms_bulk", chunk_size=size, after=bulk.cursor,
                         limit=limit, budget=budget, on_chunk=on_chunk)
    session.refresh(bulk)
    if plan.exhausted:
        session.execute(update(SmsBulkSend.__table__).where(_T.id == bulk.id).values(plan_done=True))
        session.commit()
        bulk.plan_done = True
    return plan.read


def _personal_links(session: Session, bulk: SmsBulkSend, link_id: int, rows: list[tuple]) -> None:
    from scrm.sdk import shortlinks

    link = shortlinks.get(session, bulk.tenant_id, link_id)
    if link is not None and rows:
        shortlinks.create_many_personalised(session, link, [(mobile, cid) for cid, mobile in rows])


def _planned_segments(session: Session, bulk: SmsBulkSend) -> int:
    return tally(ledger_counts(session, bulk)).planned


# -- settlement ----------------------------------------------------------------------------------------------------

ACCEPTED = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ)
ENDED_UNSENT = (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED)


#: the longest a customer's name can be on the wire: 100 characters (``Customer.name``), each at most 2 UTF-16 units
NAME_WIRE_MAX = 200


def task_refs(bulk: SmsBulkSend) -> list[str]:
    """Every task ref the send's ledger rows can carry: one per segment class the planner can give a recipient (the
    measured classes, and with the nickname variable every class up to the longest name's), so the settlement reads
    the ledger by equality on its ``(tenant_id, task_ref)`` index (a ``LIKE`` prefix cannot use it on PostgreSQL)."""
    classes = {int(k) for k in (bulk.classes or {}) if str(k).isdigit()}
    if "${customer_nickname}" in (bulk.body or ""):
        link = (bulk.audience or {}).get("link")
        composer = Composer(bulk.signature, bulk.body, bulk.category,
                            len(_link_base(link.get("base"))) if link else 0)
        classes.update(range(1, composer.segments("x" * NAME_WIRE_MAX) + 1))
    return [task_ref(bulk.id, seg) for seg in sorted(classes)]


def ledger_counts(session: Session, bulk: SmsBulkSend) -> dict[int, dict[tuple[DeliveryStatus, bool], int]]:
    """segments -> (status, accepted by the provider) -> rows of the send's ledger rows (one GROUP BY on the task
    index, ``task_ref IN (...)`` over ``task_refs``; a row with a provider id was accepted, even if a report later
    failed it)."""
    prefix = f"sms_bulk:{bulk.id}:"
    out: dict[int, dict[tuple[DeliveryStatus, bool], int]] = {}
    accepted = _D.provider_id.is_not(None)
    for ref, status, took, count in session.execute(select(_D.task_ref, _D.status, accepted, func.count()).where(
            _D.tenant_id == bulk.tenant_id, _D.task_ref.in_(task_refs(bulk))).group_by(_D.task_ref, _D.status,
                                                                                       accepted)):
        seg = int(ref[len(prefix):])
        key = (DeliveryStatus(status), bool(took))
        out.setdefault(seg, {})[key] = out.get(seg, {}).get(key, 0) + count
    return out


@dataclass
class Tally:
    """Billed messages of a send's ledger rows by outcome."""

    consumed: int = 0
    released: int = 0
    pending: int = 0
    delivered: int = 0
    failed: int = 0
    sent: int = 0
    rows: int = 0

    @property
    def planned(self) -> int:
        return self.consumed + self.released + self.pending


def tally(counts: dict[int, dict[tuple[DeliveryStatus, bool], int]]) -> Tally:
    t = Tally()
    for seg, statuses in counts.items():
        for (status, took), n in statuses.items():
            billed = seg * n
            t.rows += n
            if status in ACCEPTED or (status == DeliveryStatus.FAILED and took):
                t.consumed += billed  # the provider took it: billed (refund policy), even if a report failed it
                t.sent += billed
            elif status in ENDED_UNSENT:
                t.released += billed
            else:
                t.pending += billed
            if status in (DeliveryStatus.DELIVERED, DeliveryStatus.READ):
                t.delivered += billed
            if status in ENDED_UNSENT:
                t.failed += billed
    return t


def settle(session: Session, bulk: SmsBulkSend) -> bool:
    """Bring the send's quota and counts up to date with the ledger (see the module documentation); commits.
    Returns True when nothing of the send is left to go out (planning done and no row queued or sending)."""
    t = tally(ledger_counts(session, bulk))
    ended = bool(bulk.plan_done) and t.pending == 0
    # what was reserved for recipients never planned (the audience shrank, opted out, cancelled)
    unplanned = max(bulk.reserved - t.planned, 0) if ended else 0
    d_consumed = max(t.consumed - bulk.consumed, 0)
    d_released = max(t.released + unplanned - bulk.released, 0)
    values: dict[str, Any] = {"delivered_count": t.delivered, "failed_count": t.failed, "sent_count": t.sent,
                              "pending_count": t.pending}
    if ended and bulk.status == SENDING:
        values.update(status=FINISHED if t.rows else FAILED, finished_at=utcnow())
    moved = session.execute(update(SmsBulkSend.__table__).where(
        _T.id == bulk.id, _T.consumed == bulk.consumed, _T.released == bulk.released).values(
        consumed=bulk.consumed + d_consumed, released=bulk.released + d_released, **values))
    if moved.rowcount != 1:  # another settlement applied first: read again next time
        session.rollback()
        session.refresh(bulk)
        return False
    quota.settle(session, bulk.tenant_id, bulk.category, d_consumed, d_released)
    session.commit()
    session.refresh(bulk)
    return ended


# -- the dispatch job and the operator's actions ------------------------------------------------------------------


def schedule_dispatch(session: Session, bulk: SmsBulkSend, due: datetime, slot: str) -> None:
    """A durable run of the dispatcher at ``due``. Runs alternate between two schedule keys (a run finishing would
    otherwise mark its own successor done); operators' actions use a third."""
    schedule(session, DISPATCH_ACTOR, due, tenant_id=bulk.tenant_id, kwargs={"bulk_id": bulk.id, "slot": slot},
             key=f"sms_bulk:{bulk.id}:{slot}")


def rate_of(session: Session, bulk: SmsBulkSend) -> float:
    account = session.get(ChannelAccount, bulk.account_id)
    plugin = current_bus().platform.registry.plugin("sms")
    rate = plugin.account_rate_limit(account) if plugin is not None and account is not None else None
    return float(rate or 50.0)


def wave_size(rate: float) -> int:
    return max(PAGE, int(rate * WAVE_SECONDS) // PAGE * PAGE)


def dispatch_once(session: Session, bulk_id: int, tenant_id: int, *, wave: int | None = -1) -> datetime | None:
    """One run of the dispatcher: start a scheduled send, plan the next wave when the queue has drained below half a
    wave, settle. Returns when to run again (None: the send is over)."""
    bulk = session.get(SmsBulkSend, bulk_id, populate_existing=True)  # its counters move by UPDATE statements
    if bulk is None or bulk.tenant_id != tenant_id:
        return None
    now = utcnow()
    if bulk.status == SCHEDULED:
        if bulk.send_at is not None and bulk.send_at > now:
            return bulk.send_at  # fired early (never before its time)
        session.execute(update(SmsBulkSend.__table__).where(_T.id == bulk.id, _T.status == SCHEDULED).values(
            status=SENDING, started_at=now))
        session.commit()
        session.refresh(bulk)
    rate = rate_of(session, bulk)
    size = wave_size(rate) if wave == -1 else wave
    if bulk.status == SENDING and not bulk.plan_done and _lease(session, bulk.id):
        try:
            pending = tally(ledger_counts(session, bulk)).pending  # billed messages still queued or sending
            if size is None or pending <= size // 2:
                plan_wave(session, bulk, size)
        finally:
            _unlease(session, bulk.id)
        session.refresh(bulk)
    done = settle(session, bulk)
    if bulk.status == PAUSED and done is False and not bulk.pending_count:
        return now + timedelta(seconds=60)  # nothing in flight: look again now and then (resume schedules at once)
    if bulk.status in (SENDING, PAUSED) or not done:
        return now + timedelta(seconds=5)
    if bulk.finished_at and now - bulk.finished_at < REFRESH_FOR:
        return now + timedelta(seconds=60)  # delivery reports still arrive
    return None


def pause(session: Session, bulk: SmsBulkSend) -> bool:
    moved = session.execute(update(SmsBulkSend.__table__).where(
        _T.id == bulk.id, _T.status.in_((SENDING, SCHEDULED))).values(status=PAUSED))
    return moved.rowcount == 1


def resume(session: Session, bulk: SmsBulkSend) -> bool:
    moved = session.execute(update(SmsBulkSend.__table__).where(_T.id == bulk.id, _T.status == PAUSED).values(
        status=SENDING if bulk.started_at or (bulk.send_at or utcnow()) <= utcnow() else SCHEDULED))
    if moved.rowcount == 1:
        schedule_dispatch(session, bulk, max(bulk.send_at or utcnow(), utcnow()), "op")
    return moved.rowcount == 1


def cancel(session: Session, bulk: SmsBulkSend) -> bool:
    """Stop the send: nothing more is planned; queued rows are declined at their send (released); what was reserved
    for recipients never planned is released by the next settlement."""
    moved = session.execute(update(SmsBulkSend.__table__).where(_T.id == bulk.id, _T.status.in_(OPEN)).values(
        status=CANCELLED, plan_done=True, finished_at=utcnow()))
    if moved.rowcount == 1:
        schedule_dispatch(session, bulk, utcnow(), "op")
    return moved.rowcount == 1


def is_cancelled(session: Session, bulk_id: int) -> bool:
    return session.execute(select(_T.status).where(_T.id == bulk_id)).scalar_one_or_none() == CANCELLED


__all__ = ["BulkError", "Composer", "Estimate", "cancel", "create", "dispatch_once", "measure", "parse_phones",
           "pause", "plan_wave", "resume", "settle"]
