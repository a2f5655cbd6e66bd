"""The customer list and its bulk actions: add tags, transfer owner, export CSV / XLSX.

A bulk action applies to the rows ticked (``customer_id``, repeated) or, with ``scope=filter``, to every customer
the list's filter matches (``filter_qs`` carries the list's query string). Either way only live customers of the
tenant within the user's data scope are touched.

Bulk actions are POST only, so a CSRF token never travels in a URL: the list (or a profile) posts the selection
with ``step=choose`` to open the action's form, which posts again without it to apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import (
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import and_
from sqlmodel import Session, select
from werkzeug.datastructures import MultiDict

from scrm.sdk import Customer, CustomerIdentity, IdentityKind, Tag, TagGroup
from scrm.sdk.web import (
    STAFF,
    audit_action,
    current_membership,
    current_tenant,
    customer_visibility,
    db,
    keyset_page,
    next_target,
    platform,
    role_required,
    safe_redirect_target,
    tenant_hooks,
)

from .. import dialogs
from ..segments import tag_catalog
from ..segments.models import TagMeta
from ..segments.tagging import TaggingError, applicable_tag_ids, apply_tags, visible_tags
from . import exporting
from .audience import source_label
from .blueprint import bp, employee_names, filter_types, int_list, show_mobile
from .fields import GENDERS
from .listing import SEARCH_FIELDS, CountLine, count_line, counts, matching_ids, parse_filter, safe_where
from .transfer import TransferError, transfer_customers, wecom_friend_ids

PAGE_SIZE = 50


@bp.get("/")
@role_required(*STAFF)
def index():
    tenant = current_tenant()
    types = filter_types()
    flt = parse_filter(db(), tenant.id, request.args, types)
    where = safe_where(tenant.id, flt, types, customer_visibility())
    exact = request.args.get("count") == "exact"
    line = CountLine(*counts(db(), where)) if exact else count_line(db(), where)
    page = keyset_page(db(), select(Customer).where(where), Customer, request.args.get("after"), limit=PAGE_SIZE)
    owners = employee_names({c.owner_employee_id for c in page.items})
    shown_ids = [c.id for c in page.items]
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "after"]
    filter_args = [(k, v) for k, v in args if k != "count"]
    return render_template(
        "members/customers/index.html", flt=flt, page=page, owners=owners, line=line, search_fields=SEARCH_FIELDS,
        show_mobile=show_mobile, genders=GENDERS, source_label=source_label, filter_qs=urlencode(filter_args),
        next_args=urlencode([*args, ("after", page.next_after)]),
        blacklist=("members.segments.blacklist_add" in current_app.view_functions),
        wecom_friends=wecom_friend_ids(db(), tenant.id, shown_ids), with_channels=channel_identity_ids(shown_ids),
    ), (400 if flt.error else 200)


def channel_identity_ids(customer_ids: list[int]) -> set[int]:
    """Which of ``customer_ids`` have an identity besides their mobile (the row menu offers Delete to the others,
    as the profile does)."""
    if not customer_ids:
        return set()
    return set(db().exec(select(CustomerIdentity.customer_id).where(
        CustomerIdentity.tenant_id == current_tenant().id, CustomerIdentity.customer_id.in_(customer_ids),
        CustomerIdentity.kind != IdentityKind.MOBILE).distinct()))


@bp.get("/count")
@role_required(*STAFF)
def count():
    """The exact count line of the list's filter (htmx fragment): the list itself says "more than N" when more than
    ``EXACT_COUNT_LIMIT`` customers match, and offers this on demand."""
    tenant = current_tenant()
    types = filter_types()
    flt = parse_filter(db(), tenant.id, request.args, types)
    where = safe_where(tenant.id, flt, types, customer_visibility())
    return render_template("members/customers/_count_line.html", line=CountLine(*counts(db(), where)),
                           filter_qs=urlencode([(k, v) for k, v in request.args.items(multi=True)
                                                if k not in ("after", "count")])), (400 if flt.error else 200)


def choosing(values: MultiDict) -> bool:
    """True when a bulk action's form is only being opened for a selection (``step=choose``), not submitted."""
    return values.get("step") == "choose"


class Selection:
    """The customers a bulk action applies to, resolved in SQL within the tenant and the user's scope."""

    def __init__(self, values: MultiDict) -> None:
        tenant = current_tenant()
        self.scope = "filter" if values.get("scope") == "filter" else "selected"
        self.filter_qs = values.get("filter_qs") or ""
        types = filter_types()
        args = MultiDict(parse_qsl(self.filter_qs, keep_blank_values=True)) if self.scope == "filter" else MultiDict()
        flt = parse_filter(db(), tenant.id, args, types)
        self.where = safe_where(tenant.id, flt, types, customer_visibility())
        if self.scope != "filter":
            self.where = and_(self.where, Customer.id.in_(int_list(values.getlist("customer_id"))))

    @cached_property
    def ids(self) -> list[int]:
        return matching_ids(db(), self.where)

    def hidden(self) -> list[tuple[str, Any]]:
        """Form fields that carry the selection to the next step."""
        if self.scope == "filter":
            return [("scope", "filter"), ("filter_qs", self.filter_qs)]
        return [("customer_id", i) for i in self.ids]

    def back(self) -> str:
        index = url_for("members.customers.index")
        return safe_redirect_target(index + (f"?{self.filter_qs}" if self.filter_qs else ""), index)


@dataclass
class TagTab:
    """One tab of the bulk tagging dialog: its key, its title and its tags by category."""

    key: str
    title: str
    groups: list[tuple[str, list[Tag]]]

    @property
    def count(self) -> int:
        return sum(len(tags) for _name, tags in self.groups)


def tag_tabs() -> list[TagTab]:
    """The dialog's tabs (手动标签 / 企微标签 / 个人标签): manual tags, one tab per enabled plugin's ``TagSource`` (WeCom's
    appears only where WeCom is enabled), and "personal", the manual tags the signed-in user created. Only the tags
    the user may see and apply by hand are listed (not automatic tags)."""
    tenant = current_tenant()
    applicable = applicable_tag_ids(db(), tenant.id, current_membership())
    tags = [t for t in visible_tags(db(), tenant.id, current_membership()) if t.id in applicable]
    groups = {gr.id: gr for gr in db().exec(select(TagGroup).where(TagGroup.tenant_id == tenant.id))}
    mine = set(db().exec(select(TagMeta.tag_id).where(TagMeta.tenant_id == tenant.id,
                                                        TagMeta.created_by == g.user.id)))

    def grouped(chosen: list[Tag]) -> list[tuple[str, list[Tag]]]:
        out: dict[str, list[Tag]] = {}
        for tag in chosen:
            group = groups.get(tag.group_id)
            out.setdefault(group.name if group else "", []).append(tag)
        return list(out.items())

    def source_of(tag: Tag) -> str:
        group = groups.get(tag.group_id)
        return group.source if group else tag.source

    sources = sorted((s for s in tenant_hooks().contribute("tag_sources", tenant=tenant)
                      if s.source not in tag_catalog.TABS), key=lambda s: (s.order, s.source))
    tabs = [TagTab("manual", _("Manual tags"), grouped([t for t in tags if source_of(t) == "manual"]))]
    tabs += [TagTab(s.source, str(s.title), grouped([t for t in tags if source_of(t) == s.source])) for s in sources]
    tabs.append(TagTab("personal", _("Personal tags"),
                       grouped([t for t in tags if source_of(t) == "manual" and t.id in mine])))
    return tabs


@bp.post("/bulk/tag")
@role_required(*STAFF)
def bulk_tag():
    values = request.form
    selection = Selection(values)
    error, status = None, 200
    chosen = list(dict.fromkeys(int_list(values.getlist("tag_id"))))  # a tag listed in two tabs is posted twice
    if not selection.ids:
        error, status = _("Choose at least one customer."), 422
    elif not choosing(values):
        try:
            added = apply_tags(db(), current_tenant().id, selection.ids, chosen, current_membership(),
                               source="manual", user_id=g.user.id)
            audit_action("members.customers.bulk_tag", f"{len(selection.ids)} customers", tag_ids=chosen,
                         added=added)
            db().commit()
            flash(_("Tags added: %(n)s new tag links on %(c)s customers.", n=added, c=len(selection.ids)),
                  "success")
            return dialogs.done(selection.back())
        except TaggingError as exc:
            db().rollback()
            error, status = str(exc), 422
    tabs = tag_tabs()
    names = {t.id: t.name for tab in tabs for _name, tags in tab.groups for t in tags}
    return render_template("members/customers/bulk_tag.html", selection=selection, tabs=tabs,
                           chosen=[(i, names[i]) for i in chosen if i in names], error=error), status


@bp.post("/bulk/transfer")
@role_required(*STAFF)
def bulk_transfer():
    from .blueprint import active_employees

    values = request.form
    selection = Selection(values)
    errors: dict[str, str] = {}
    status = 200
    if not selection.ids:
        errors["customers"], status = _("Choose at least one customer."), 422
    elif not choosing(values):
        try:
            result = transfer_customers(db(), tenant_hooks(), current_tenant(), selection.ids,
                                        values.get("to_employee_id"), values.get("reason") or "", g.user.id)
            audit_action("members.customers.transfer", f"{len(selection.ids)} customers",
                         to_employee_id=values.get("to_employee_id"), customer_ids=selection.ids[:1000])
            db().commit()
            if result.pending:
                flash(_("%(n)s WeCom friends change owner in 24 hours; %(m)s customers were transferred now.",
                        n=result.pending, m=result.effective), "success")
            else:
                flash(_("%(n)s customers transferred.", n=result.effective), "success")
            return dialogs.done(next_target(selection.back()))
        except TransferError as exc:
            db().rollback()
            errors[exc.field], status = str(exc), 422
    return render_template("members/customers/transfer.html", selection=selection, employees=active_employees(),
                           errors=errors, form=values), status


@bp.route("/export.<fmt>", methods=["GET", "POST"])
@role_required(*STAFF)
def export(fmt: str):
    """The list's customers as CSV or XLSX: GET exports a filter (the list's query string); the list's bulk form
    POSTs its selection (``scope``, ``customer_id`` / ``filter_qs``)."""
    if fmt not in ("csv", "xlsx"):
        return redirect(url_for("members.customers.index"))
    tenant = current_tenant()
    if request.method == "POST":
        where = Selection(request.form).where
    else:
        types = filter_types()
        where = safe_where(tenant.id, parse_filter(db(), tenant.id, request.args, types), types,
                           customer_visibility())
    total = counts(db(), where)[0]
    described = request.form.get("filter_qs", "") if request.method == "POST" else request.query_string.decode()
    audit_action("members.customers.export", fmt, rows=total, filter=described[:500])
    db().commit()
    name = f"customers-{tenant.slug}.{fmt}"
    if fmt == "xlsx":
        handle = exporting.xlsx_file(db(), tenant.id, where, tenant.mask_mobiles)
        return send_file(handle, as_attachment=True, download_name=name,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    tenant_id, mask = tenant.id, tenant.mask_mobiles

    def stream():
        # a session of its own: the request's session is closed when the view returns, before the body streams
        with Session(platform().engine, expire_on_commit=False) as session:
            yield from exporting.csv_stream(session, tenant_id, where, mask)

    body = stream_with_context(stream())
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
