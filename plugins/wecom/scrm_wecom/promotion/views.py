"""Employee promotion pages under ``/t/<tenant>/wecom/promotion/`` (endpoints ``wecom.promotion.*``): the activity
list, the creation form, the details with statistics per employee, the ranking, a chart and the CSV / XLSX export,
each employee's poster, and sending the posters to the employees again."""

from __future__ import annotations

import secrets
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from scrm.sdk import (
    ChannelAccount,
    Department,
    Employee,
    EmployeeStatus,
    Tag,
    current_zone,
    format_local,
    local_today,
    shortlinks,
    zone_title,
)
from scrm.sdk.tabular import csv_stream, xlsx_file
from scrm.sdk.web import STAFF, audit_action, current_tenant, current_user, db, platform, role_required
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import AccountNotConfigured, list_accounts
from ..client import WeComClient, WeComUnavailable
from ..materials import files
from ..messaging.links import page_url, remember_public_url
from ..messaging.textcards import CardSpec, send_textcard
from . import service, sms
from .labels import ERRORS, REWARD_ERRORS, poster_card
from .models import (
    PromotionActivity,
    PromotionDepartment,
    PromotionReward,
    RemindMode,
    RewardKind,
    Standard,
    Target,
    WebhookAuth,
)
from .public import cover_response, poster_png

bp = Blueprint("promotion", __name__, url_prefix="/promotion", template_folder="../templates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_LABELS = {"not_started": _l("Not started"), "running": _l("Running"), "ended": _l("Ended")}
REWARD_LABELS = {"pending": _l("Reward pending"), "sent": _l("Reward sent"), "failed": _l("Reward failed")}


def _ints(name: str) -> list[int]:
    return [int(v) for v in request.form.getlist(name) if v.strip().isdigit()]


def _int(name: str) -> int | None:
    value = (request.form.get(name) or "").strip()
    return int(value) if value.isdigit() else None


def _date(name: str) -> date | None:
    try:
        return date.fromisoformat((request.form.get(name) or "").strip())
    except ValueError:
        return None


def _activity_or_404(activity_id: int) -> PromotionActivity:
    return service.get(db(), current_tenant().id, activity_id) or abort(404)


@bp.get("/")
@role_required(*STAFF)
def index():
    tenant = current_tenant()
    rows = list(db().exec(select(PromotionActivity).where(PromotionActivity.tenant_id == tenant.id)
                          .order_by(PromotionActivity.id.desc())))
    figures = {a.id: service.ranking(db(), a) for a in rows}
    return render_template("wecom/promotion/index.html", activities=rows, figures=figures, status=service.status,
                           status_labels=STATUS_LABELS, covers=service.covered(db(), tenant.id, [a.id for a in rows]))


def _input() -> service.ActivityInput:
    form = request.form
    return service.ActivityInput(
        name=form.get("name", ""), account_id=_int("account_id"), start=_date("start"), end=_date("end"),
        employee_ids=_ints("employee_ids"), department_ids=_ints("department_ids"),
        all_employees=form.get("all_employees") == "1", description=form.get("description", "").strip(),
        target=form.get("target", Target.LIVE_CODE), link_url=form.get("link_url", ""),
        standard=form.get("standard", Standard.FRIENDS), standard_count=_int("standard_count"),
        remind_mode=form.get("remind_mode", RemindMode.ONCE), remind_days_before=_int("remind_days_before"),
        reward=form.get("reward", RewardKind.NONE), webhook_url=form.get("webhook_url", ""),
        webhook_auth=form.get("webhook_auth", WebhookAuth.NONE), webhook_token_url=form.get("webhook_token_url", ""),
        credentials={k: form.get(k, "").strip() for k in ("username", "password", "secret", "client_id",
                                                             "client_secret")},
        sms_template=form.get("sms_template", "").strip(), tag_ids=_ints("tag_ids"))


def _cover(data: service.ActivityInput) -> str | None:
    """Check the uploaded cover (if any) before decoding, as the material centre does; its message, or None."""
    upload = request.files.get("cover")
    if upload is None or not upload.filename:
        return None
    try:
        data.cover = files.check_cover(upload.read(files.COVER_MAX + 1), upload.filename)
    except files.FileRejected as exc:
        return exc.message
    return None


def _tags() -> list[Tag]:
    return list(db().exec(select(Tag).where(Tag.tenant_id == current_tenant().id).order_by(Tag.group_id, Tag.id)))


def _form(values, errors: dict[str, str], status: int = 200, sms_choices=None):
    tenant = current_tenant()
    sms_choices = sms.choices(db(), tenant) if sms_choices is None else sms_choices
    employees = db().exec(select(Employee).where(Employee.tenant_id == tenant.id,
                                                 Employee.status == EmployeeStatus.ACTIVE).order_by(Employee.id))
    departments = db().exec(select(Department).where(Department.tenant_id == tenant.id).order_by(Department.id))
    return render_template("wecom/promotion/form.html", values=values, errors=errors, employees=list(employees),
                           departments=list(departments), accounts=list_accounts(db(), tenant.id),
                           auths=WebhookAuth.ALL, sms_choices=sms_choices, code_variable="${" + sms.CODE + "}",
                           tags=_tags()), status


@bp.route("/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new():
    tenant = current_tenant()
    if request.method == "GET":
        today = local_today()
        return _form(service.ActivityInput(name="", account_id=None, start=today, end=today), {})
    data = _input()
    cover_error = _cover(data)
    accounts = list_accounts(db(), tenant.id)
    sms_choices = sms.choices(db(), tenant)
    try:
        values = service.validate(db(), tenant.id, data, accounts, local_today(), sms_choices)
    except service.PromotionError as exc:
        errors = {k: str(ERRORS[v]) for k, v in exc.fields.items()}
        if cover_error:
            errors["cover"] = cover_error
        return _form(data, errors, 422, sms_choices)
    if cover_error:
        return _form(data, {"cover": cover_error}, 422, sms_choices)
    user = current_user()
    try:
        with WeComClient.for_account(values.account, platform()) as client:
            activity = service.create(db(), client, platform().secrets, tenant.id, values,
                                      created_by=user.email if user else "")
    except (WeChatAPIError, WeComUnavailable, AccountNotConfigured) as exc:
        db().rollback()
        return _form(data, {"account_id": _("WeCom refused the request: %(message)s", message=str(exc))}, 502)
    remember_public_url(db(), values.account, request.url_root)
    for participant, _employee in service.participants(db(), activity):
        service.send_poster(db(), activity, participant)
    from .jobs import ensure_schedule

    ensure_schedule(db(), tenant.id)
    audit_action("wecom.promotion.create", str(activity.id), name=activity.name)
    db().commit()
    flash(_("Activity created; each employee was sent their poster."))
    return redirect(url_for("wecom.promotion.detail", activity_id=activity.id))


def _edit_form(activity: PromotionActivity, values, errors: dict[str, str], status: int = 200):
    tenant = current_tenant()
    employees = db().exec(select(Employee).where(Employee.tenant_id == tenant.id,
                                                 Employee.status == EmployeeStatus.ACTIVE).order_by(Employee.id))
    departments = db().exec(select(Department).where(Department.tenant_id == tenant.id).order_by(Department.id))
    taking_part = {p.employee_id for p, _e in service.participants(db(), activity)}
    return render_template("wecom/promotion/edit.html", activity=activity, values=values, errors=errors,
                           employees=list(employees), departments=list(departments), taking_part=taking_part,
                           tags=_tags(), running=service.status(activity) == "running",
                           cover=service.cover_of(db(), activity)), status


def _ended(activity: PromotionActivity):
    flash(str(ERRORS["ended"]), "error")
    return redirect(url_for("wecom.promotion.detail", activity_id=activity.id), 303)


@bp.route("/<int:activity_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(activity_id: int):
    """Edit an activity that has not ended (an ended one is read-only): name, description, period, participants
    (added; new ones get their code or link and their poster card), tags and cover."""
    activity = _activity_or_404(activity_id)
    if service.status(activity) == "ended":
        return _ended(activity)
    if request.method == "GET":
        first, last = service.period_days(activity)
        departments = list(db().exec(select(PromotionDepartment.department_id).where(
            PromotionDepartment.tenant_id == activity.tenant_id, PromotionDepartment.activity_id == activity.id)))
        values = service.ActivityInput(
            name=activity.name, account_id=activity.account_id, start=first, end=last,
            description=activity.description, all_employees=activity.all_employees, department_ids=departments,
            employee_ids=[p.employee_id for p, _e in service.participants(db(), activity)],
            tag_ids=list(activity.tag_ids))
        return _edit_form(activity, values, {})
    form = request.form
    data = service.ActivityInput(
        name=form.get("name", ""), account_id=activity.account_id, start=_date("start"), end=_date("end"),
        employee_ids=_ints("employee_ids"), department_ids=_ints("department_ids"),
        all_employees=form.get("all_employees") == "1", description=form.get("description", "").strip(),
        tag_ids=_ints("tag_ids"))
    cover_error = _cover(data)
    try:
        values = service.validate_edit(db(), activity, data, local_today())
    except service.PromotionError as exc:
        if "activity" in exc.fields:
            return _ended(activity)
        errors = {k: str(ERRORS[v]) for k, v in exc.fields.items()}
        if cover_error:
            errors["cover"] = cover_error
        return _edit_form(activity, data, errors, 422)
    if cover_error:
        return _edit_form(activity, data, {"cover": cover_error}, 422)
    account = db().get(ChannelAccount, activity.account_id)
    try:
        with WeComClient.for_account(account, platform()) as client:
            added = service.apply_edit(db(), client, activity, values)
    except (WeChatAPIError, WeComUnavailable, AccountNotConfigured) as exc:
        db().rollback()
        activity = _activity_or_404(activity_id)
        return _edit_form(activity, data, {"employee_ids": _("WeCom refused the request: %(message)s",
                                                             message=str(exc))}, 502)
    remember_public_url(db(), account, request.url_root)
    for participant in added:
        service.send_poster(db(), activity, participant)
    audit_action("wecom.promotion.edit", str(activity.id), name=activity.name, added=len(added))
    db().commit()
    flash(_("Activity saved; %(num)s employees were added and sent their posters.", num=len(added)) if added
          else _("Activity saved."))
    return redirect(url_for("wecom.promotion.detail", activity_id=activity.id))


def _rewards(activity: PromotionActivity) -> dict[int, PromotionReward]:
    return {r.participant_id: r for r in db().exec(select(PromotionReward).where(
        PromotionReward.tenant_id == activity.tenant_id, PromotionReward.activity_id == activity.id))}


@bp.get("/<int:activity_id>")
@role_required(*STAFF)
def detail(activity_id: int):
    activity = _activity_or_404(activity_id)
    standings = service.ranking(db(), activity)
    chart = {"labels": [s.employee.name for s in standings[:20]],
             "datasets": [{"label": _("Results"), "data": [s.count for s in standings[:20]]}]}
    days = service.trend(db(), activity)
    trend_chart = {"labels": [d.day.isoformat() for d in days],
                   "datasets": [{"label": _("Results per day"), "data": [d.count for d in days]}]}
    return render_template("wecom/promotion/detail.html", activity=activity, standings=standings, chart=chart,
                           trend=days, trend_chart=trend_chart, zone=current_zone().key,
                           cover=service.cover_of(db(), activity), tags=service.tag_names(db(), activity),
                           rewards=_rewards(activity), status=service.status(activity), status_labels=STATUS_LABELS,
                           reward_labels=REWARD_LABELS, reward_errors=REWARD_ERRORS,
                           links={s.participant.id: shortlinks.short_url(shortlinks.get(db(), activity.tenant_id,
                                                                                        s.participant.link_id))
                                  for s in standings if s.participant.link_id})


@bp.get("/<int:activity_id>/cover")
@role_required(*STAFF)
def cover(activity_id: int):
    return cover_response(service.cover_of(db(), _activity_or_404(activity_id)))


@bp.post("/<int:activity_id>/posters")
@role_required(*STAFF)
def send_posters(activity_id: int):
    """Send every employee's poster card again (a new key per press, so a lost card can be resent)."""
    activity = _activity_or_404(activity_id)
    account = db().get(ChannelAccount, activity.account_id)
    remember_public_url(db(), account, request.url_root)
    title, description = poster_card(activity)
    press = secrets.token_hex(4)
    for participant, _employee in service.participants(db(), activity):
        url = page_url(account, f"/p/{current_tenant().slug}/wecom/promotion/{participant.token}")
        if url:
            send_textcard(db(), activity.tenant_id, employee_id=participant.employee_id,
                          card=CardSpec(title[:40], description[:160], url, None),
                          key=f"wecom_promotion:{activity.id}:{participant.id}:poster:{press}",
                          task_ref=f"wecom_promotion:{activity.id}")
    audit_action("wecom.promotion.posters", str(activity.id))
    db().commit()
    flash(_("The posters were sent to the employees again."))
    return redirect(url_for("wecom.promotion.detail", activity_id=activity.id))


@bp.post("/<int:activity_id>/rewards/<int:reward_id>/retry")
@role_required(*STAFF)
def retry_reward(activity_id: int, reward_id: int):
    """Try a failed SMS or webhook reward again (the promotion job sends it on its next round)."""
    activity = _activity_or_404(activity_id)
    reward = db().get(PromotionReward, reward_id)
    if reward is None or reward.tenant_id != activity.tenant_id or reward.activity_id != activity.id:
        abort(404)
    if not sms.retry(db(), reward):
        flash(_("Only a failed reward can be tried again."), "error")
        return redirect(url_for("wecom.promotion.detail", activity_id=activity.id))
    audit_action("wecom.promotion.reward_retry", str(reward.id), activity=activity.id)
    db().commit()
    flash(_("The reward will be sent again within a minute."))
    return redirect(url_for("wecom.promotion.detail", activity_id=activity.id))


@bp.get("/<int:activity_id>/posters/<int:participant_id>.png")
@role_required(*STAFF)
def poster(activity_id: int, participant_id: int):
    activity = _activity_or_404(activity_id)
    found = next((p for p, _e in service.participants(db(), activity) if p.id == participant_id), None)
    if found is None:
        abort(404)
    return poster_png(activity, found, download=True)


@bp.get("/<int:activity_id>/export.<any(csv, xlsx):fmt>")
@role_required(*STAFF)
def export(activity_id: int, fmt: str):
    activity = _activity_or_404(activity_id)
    standings = service.ranking(db(), activity)
    rewards = _rewards(activity)
    titles = [_("Ranking"), _("Employee"), _("Account"), _("Results"), _("Standard"), _("Reached"), _("Reached at"),
              _("Reward code"), _("Reward status")]

    def cells():
        for s in standings:
            reward = rewards.get(s.participant.id)
            yield [s.rank, s.employee.name, s.employee.userid, s.count, activity.standard_count,
                   _("Yes") if s.achieved else _("No"),
                   format_local(s.participant.achieved_at, "%Y-%m-%d %H:%M") if s.participant.achieved_at else "",
                   reward.code if reward else "", str(REWARD_LABELS.get(reward.status, "")) if reward else ""]

    audit_action("wecom.promotion.export", fmt, activity=activity.id)
    db().commit()
    name = f"promotion-{activity.id}.{fmt}"
    if fmt == "xlsx":
        return send_file(xlsx_file(titles, cells(), _("Employee promotion")), as_attachment=True,
                         download_name=name, mimetype=XLSX)
    return Response(csv_stream(titles, cells()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/<int:activity_id>/trend.<any(csv, xlsx):fmt>")
@role_required(*STAFF)
def export_trend(activity_id: int, fmt: str):
    """The daily trend (results per local day of the tenant's zone) as CSV / XLSX."""
    activity = _activity_or_404(activity_id)
    days = service.trend(db(), activity)
    titles = [zone_title(_("Date")), _("Results")]
    audit_action("wecom.promotion.export_trend", fmt, activity=activity.id)
    db().commit()
    name = f"promotion-{activity.id}-trend.{fmt}"
    rows = ([d.day.isoformat(), d.count] for d in days)
    if fmt == "xlsx":
        return send_file(xlsx_file(titles, rows, _("Results per day")), as_attachment=True, download_name=name,
                         mimetype=XLSX)
    return Response(csv_stream(titles, rows), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
