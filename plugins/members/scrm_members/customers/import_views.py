"""Import pages: upload a CSV / XLSX file, map its columns, validate every row in a job, download the row errors,
then apply the valid rows in a job with a progress bar polled by htmx; a failed import can be resumed."""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.orm import defer
from sqlmodel import select

from scrm.sdk import get_scoped, tabular, utcnow
from scrm.sdk.web import STAFF, audit_action, current_tenant, db, role_required

from .blueprint import bp
from .fields import custom_fields
from .import_files import MAX_BYTES, ImportFileError, detect_format, guess_mapping, read_preview, targets
from .jobs import apply_import, validate_import
from .models import ImportJob, ImportStatus

RUNNING = (ImportStatus.VALIDATING.value, ImportStatus.APPLYING.value)


def _job(job_id: int) -> ImportJob:
    job = get_scoped(db(), ImportJob, current_tenant().id, job_id)
    if job is None:
        abort(404)
    return job


@bp.route("/import", methods=["GET", "POST"])
@role_required(*STAFF)
def import_upload():
    error, status = None, 200
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise ImportFileError(_("Choose a file to upload."))
            file_format = detect_format(upload.filename)
            content = upload.read(MAX_BYTES + 1)
            if len(content) > MAX_BYTES:
                raise ImportFileError(_("The file is larger than %(n)s MB.", n=MAX_BYTES // (1024 * 1024)))
            header, _preview, count = read_preview(content, file_format)
        except ImportFileError as exc:
            error, status = str(exc), 422
        else:
            fields = custom_fields(db(), current_tenant().id, enabled_only=True)
            job = ImportJob(tenant_id=current_tenant().id, filename=upload.filename[:200], file_format=file_format,
                            content=content, columns=header, mapping=guess_mapping(header, fields),
                            total_rows=count, created_by=g.user.id)
            db().add(job)
            db().flush()
            audit_action("members.import.upload", f"import:{job.id}", filename=job.filename, rows=count)
            db().commit()
            return redirect(url_for("members.customers.import_job", job_id=job.id))
    jobs = db().exec(select(ImportJob).options(defer(ImportJob.content))
                     .where(ImportJob.tenant_id == current_tenant().id).order_by(ImportJob.id.desc()).limit(20)).all()
    return render_template("members/customers/import_upload.html", error=error, jobs=jobs), status


@bp.route("/import/<int:job_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def import_job(job_id: int):
    job = _job(job_id)
    fields = custom_fields(db(), current_tenant().id, enabled_only=True)
    choices = targets(fields)
    error, status = None, 200
    mapping = dict(job.mapping or {})
    if request.method == "POST":
        if job.status != ImportStatus.UPLOADED.value:
            abort(409)
        known = {key for key, _label in choices}
        mapping = {str(i): request.form.get(f"col_{i}", "") for i in range(len(job.columns))}
        mapping = {i: k for i, k in mapping.items() if k}
        chosen = list(mapping.values())
        if any(k not in known for k in chosen):
            error = _("Choose fields from the list.")
        elif "mobile" not in chosen:
            error = _("Map a column to Mobile: customers are matched by their mobile number.")
        elif len(chosen) != len(set(chosen)):
            error = _("Each field can take one column only.")
        if error:
            status = 422
        else:
            job.mapping, job.status, job.updated_at = mapping, ImportStatus.VALIDATING.value, utcnow()
            db().add(job)
            db().commit()
            validate_import.send(job.tenant_id, job_id=job.id)
            return redirect(url_for("members.customers.import_job", job_id=job.id))
    header, preview = job.columns, []
    if job.status == ImportStatus.UPLOADED.value:
        header, preview, _count = read_preview(job.content, job.file_format)
    return render_template("members/customers/import_job.html", job=job, header=header, preview=preview,
                           choices=choices, mapping=mapping, error=error, running=job.status in RUNNING), status


@bp.get("/import/<int:job_id>/progress")
@role_required(*STAFF)
def import_progress(job_id: int):
    job = _job(job_id)
    response = Response(render_template("members/customers/_import_progress.html", job=job,
                                        running=job.status in RUNNING))
    if job.status not in RUNNING:
        response.headers["HX-Refresh"] = "true"
    return response


@bp.get("/import/<int:job_id>/errors.csv")
@role_required(*STAFF)
def import_errors(job_id: int):
    job = _job(job_id)
    body = tabular.csv_text([_("Row"), _("Column"), _("Error")],
                            ([entry.get("row"), entry.get("column"), entry.get("message")] for entry in job.errors or []))
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="import-{job.id}-errors.csv"'})


@bp.post("/import/<int:job_id>/apply")
@role_required(*STAFF)
def import_apply(job_id: int):
    job = _job(job_id)
    if job.valid_rows == 0 and job.status == ImportStatus.VALIDATED.value:
        flash(_("There are no valid rows to import."), "error")
        return redirect(url_for("members.customers.import_job", job_id=job.id))
    claimed = db().execute(update(ImportJob).where(
        ImportJob.id == job.id, ImportJob.status.in_((ImportStatus.VALIDATED.value, ImportStatus.FAILED.value)))
        .values(status=ImportStatus.APPLYING.value, updated_at=utcnow())).rowcount
    if not claimed:
        abort(409)
    audit_action("members.import.apply", f"import:{job.id}", rows=job.valid_rows, resumed_at=job.applied_rows)
    db().commit()
    apply_import.send(job.tenant_id, job_id=job.id)
    return redirect(url_for("members.customers.import_job", job_id=job.id))


@bp.post("/import/<int:job_id>/cancel")
@role_required(*STAFF)
def import_cancel(job_id: int):
    job = _job(job_id)
    done = db().execute(update(ImportJob).where(
        ImportJob.id == job.id, ImportJob.status.in_((ImportStatus.UPLOADED.value, ImportStatus.VALIDATED.value)))
        .values(status=ImportStatus.CANCELLED.value, content=b"", updated_at=utcnow())).rowcount
    if not done:
        abort(409)
    audit_action("members.import.cancel", f"import:{job.id}")
    db().commit()
    flash(_("Import cancelled."), "success")
    return redirect(url_for("members.customers.import_upload"))
