"""Moments tasks and WeCom: hand a queued task over (``add_moment_task`` → jobid), read the job until WeCom created
it (``get_moment_task_result``), then read what the employees did: published or not (``get_moment_task``), the
customers reached (``get_moment_send_result``) and the comments and likes (``get_moment_comments``).

:func:`poll` does all three for a tenant; the ``poll_moments`` job runs it every minute while a task waits for
WeCom or was created less than :data:`FOLLOW_FOR` ago, then stops its schedule. WeCom is never called inside an
open transaction of this module: each step commits before the call.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from scrm.sdk import cancel_schedule, utcnow
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import AccountNotConfigured, find_account
from ..client import WeComClient, WeComUnavailable
from ..sync.models import Follow
from . import api
from .media import upload_attachment
from .models import MomentInteraction, MomentSender, MomentTask, TaskStatus
from .service import poll_key, tags_by_id

log = logging.getLogger(__name__)

FOLLOW_FOR = timedelta(days=3)  # results, comments and likes are read this long after WeCom created the task
RESULTS_EVERY = timedelta(minutes=10)  # between two reads of one task's results (a manual refresh reads at once)
GIVE_UP_AFTER = timedelta(hours=1)  # a job WeCom has not finished by then is marked failed


def submit(session: Session, client: Any, task: MomentTask) -> None:
    """Send a queued task to WeCom and keep the jobid (status creating); a refusal marks it failed. Commits."""
    senders = [s.userid for s in session.exec(select(MomentSender).where(MomentSender.task_id == task.id)
                                              .order_by(MomentSender.id))]
    tag_ids = [t.external_id for t in tags_by_id(session, task.tenant_id, task.tag_ids) if t.external_id]
    attachment = dict(task.attachment or {})
    try:
        files = _media_files(session, task) if attachment.get("type") in ("image", "video") else []
    except MaterialGone as exc:
        task.status, task.error = TaskStatus.FAILED, str(exc)[:200]
        session.add(task)
        session.commit()
        return
    session.commit()
    try:
        if files:
            attachment["media_ids"] = [upload_attachment(client, attachment["type"], name, data, mime)
                                       for name, data, mime in files]
        jobid = api.add_moment_task(client, api.moment_body(task.text, attachment, senders, tag_ids))
    except WeChatAPIError as exc:
        task.status, task.error = TaskStatus.FAILED, f"{exc.errcode}: {exc.errmsg or ''}"[:200]
    else:
        task.status, task.jobid, task.submitted_at = TaskStatus.CREATING, jobid, utcnow()
    session.add(task)
    session.commit()


class MaterialGone(ValueError):
    """A material of the task was deleted, or lost its file, before the task reached WeCom."""


def _media_files(session: Session, task: MomentTask) -> list[tuple[str, bytes, str]]:
    """(name, bytes, type) of the task's posters or video, read before WeCom is called."""
    from ..materials.files import file_of
    from ..materials.models import FILE_ROLE, Material

    files = []
    for material_id in task.attachment.get("material_ids") or []:
        material = session.get(Material, material_id)
        file = file_of(session, material_id, FILE_ROLE) if material is not None else None
        if material is None or material.tenant_id != task.tenant_id or material.deleted_at is not None or file is None:
            raise MaterialGone(f"material {material_id} is no longer available")
        files.append((file.name, file.data, file.mime))
    return files


def check(session: Session, client: Any, task: MomentTask, now: datetime | None = None) -> None:
    """Read the creation job; when WeCom is done, keep the moment_id and mark the senders it refused. Commits."""
    session.commit()
    data = api.get_moment_task_result(client, task.jobid or "")
    now = now or utcnow()
    if int(data.get("status") or 0) != api.JOB_DONE:
        if task.submitted_at and now - _aware(task.submitted_at) > GIVE_UP_AFTER:
            task.status, task.error = TaskStatus.FAILED, "job not finished by WeCom"
            session.add(task)
            session.commit()
        return
    result = data.get("result") or {}
    if int(result.get("errcode") or 0) or not result.get("moment_id"):
        task.status = TaskStatus.FAILED
        task.error = f"{result.get('errcode')}: {result.get('errmsg') or ''}"[:200]
    else:
        invalid = [str(u) for u in (result.get("invalid_sender_list") or {}).get("user_list") or []]
        task.status, task.moment_id, task.created_in_wecom_at = TaskStatus.CREATED, str(result["moment_id"]), now
        task.invalid_userids = invalid
        task.invalid_tag_ids = [str(t) for t in (result.get("invalid_external_contact_list") or {})
                                .get("tag_list") or []]
        for sender in session.exec(select(MomentSender).where(MomentSender.task_id == task.id)):
            sender.invalid = sender.userid in invalid
            session.add(sender)
    session.add(task)
    session.commit()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _when(stamp: Any) -> datetime:
    return datetime.fromtimestamp(int(stamp or 0), UTC)


def refresh(session: Session, client: Any, task: MomentTask, now: datetime | None = None) -> None:
    """Read who published the Moment, whom it reached, and its comments and likes. Commits."""
    now = now or utcnow()
    session.commit()
    published = {str(t["userid"]): int(t.get("publish_status") or 0) == 1
                 for t in api.get_moment_task(client, task.moment_id or "")}
    senders = list(session.exec(select(MomentSender).where(MomentSender.task_id == task.id)))
    known = {(i.sender_userid, i.kind, i.actor_id, _aware(i.happened_at)) for i in session.exec(
        select(MomentInteraction).where(MomentInteraction.task_id == task.id))}
    reads: dict[str, tuple[list[str], dict[str, list[dict[str, Any]]]]] = {}
    for sender in senders:
        if sender.invalid or not published.get(sender.userid):
            continue
        reads[sender.userid] = (api.get_moment_send_result(client, task.moment_id or "", sender.userid),
                                api.get_moment_comments(client, task.moment_id or "", sender.userid))
    externals = {i.get("external_userid") for _sent, c in reads.values() for i in [*c["comment_list"],
                                                                                    *c["like_list"]]}
    customers = _customers(session, task, {e for e in externals if e})
    for sender in senders:
        if sender.userid not in reads:
            continue
        sent_to, comments = reads[sender.userid]
        if not sender.published:
            sender.published, sender.published_seen_at = True, now
        sender.reached = len(sent_to)
        sender.comments, sender.likes = len(comments["comment_list"]), len(comments["like_list"])
        session.add(sender)
        for kind, items in (("comment", comments["comment_list"]), ("like", comments["like_list"])):
            for item in items:
                actor = str(item.get("external_userid") or item.get("userid") or "")
                when = _when(item.get("create_time"))
                if not actor or (sender.userid, kind, actor, when) in known:
                    continue
                known.add((sender.userid, kind, actor, when))
                from_customer = bool(item.get("external_userid"))
                session.add(MomentInteraction(tenant_id=task.tenant_id, task_id=task.id, sender_userid=sender.userid,
                                              kind=kind, actor_id=actor, from_customer=from_customer,
                                              customer_id=customers.get(actor) if from_customer else None,
                                              happened_at=when))
    task.results_at = now
    session.add(task)
    session.commit()


def _customers(session: Session, task: MomentTask, externals: set[str]) -> dict[str, int]:
    if not externals:
        return {}
    rows = session.exec(select(Follow.external_userid, Follow.customer_id).where(
        Follow.tenant_id == task.tenant_id, Follow.account_id == task.account_id,
        Follow.external_userid.in_(sorted(externals))))
    return {ext: customer_id for ext, customer_id in rows}


def poll(session: Session, platform: Any, tenant_id: int, now: datetime | None = None, *,
         force_task_id: int | None = None) -> None:
    """One round for a tenant: submit the queued tasks, read the creating ones, refresh the results of recent
    created tasks (each at most every :data:`RESULTS_EVERY`, or ``force_task_id`` at once). Stops the schedule when
    nothing is left to follow."""
    now = now or utcnow()
    tasks = list(session.exec(select(MomentTask).where(
        MomentTask.tenant_id == tenant_id,
        (MomentTask.status.in_([TaskStatus.QUEUED.value, TaskStatus.CREATING.value]))
        | ((MomentTask.status == TaskStatus.CREATED.value) & (MomentTask.created_in_wecom_at >= now - FOLLOW_FOR))
        | (MomentTask.id == (force_task_id or 0))).order_by(MomentTask.id)))
    for task in tasks:
        account = find_account(session, tenant_id, task.account_id)
        if account is None:
            continue
        try:
            with WeComClient.for_account(account, platform) as client:
                if task.status == TaskStatus.QUEUED:
                    submit(session, client, task)
                if task.status == TaskStatus.CREATING:
                    check(session, client, task, now)
                due = task.results_at is None or now - _aware(task.results_at) >= RESULTS_EVERY
                if task.status == TaskStatus.CREATED and (due or task.id == force_task_id):
                    refresh(session, client, task, now)
        except (WeComUnavailable, AccountNotConfigured, WeChatAPIError) as exc:
            session.rollback()
            log.warning("WeCom Moments task %s not read: %s", task.id, exc)
    waiting = session.exec(select(MomentTask.id).where(
        MomentTask.tenant_id == tenant_id,
        MomentTask.status.in_([TaskStatus.QUEUED.value, TaskStatus.CREATING.value])
        | ((MomentTask.status == TaskStatus.CREATED.value) & (MomentTask.created_in_wecom_at >= now - FOLLOW_FOR)))
    ).first()
    if waiting is None:
        cancel_schedule(session, poll_key(tenant_id))
    session.commit()
