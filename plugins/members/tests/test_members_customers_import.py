# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Importing customers from CSV and XLSX: upload, preview and column mapping, every row validated with per-row
errors as CSV, valid rows applied in a job with progress, One-ID matching on mobile (a known number updates, never
duplicates), resumable batches after a failure, bad files refused, and tenant isolation."""

from __future__ import annotations

import csv
import io

import pytest
from members_customers_fixtures import acme, admin, committed, custom_field, customer, fresh, signin  # noqa: F401
from openpyxl import Workbook
from scrm_members.customers import importing, jobs
from scrm_members.customers.models import ImportJob
from sqlmodel import select

from scrm.core.models import Customer, CustomerIdentity, Outbox

IMPORT = "/t/acme/members/customers/import"


def csv_file(rows: list[list[str]]) -> io.BytesIO:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return io.BytesIO(buffer.getvalue().encode("utf-8-sig"))


def upload(client, rows, name="customers.csv"):
    data = csv_file(rows) if name.endswith(".csv") else rows
    return client.post(IMPORT, data={"file": (data, name)}, content_type="multipart/form-data")


def last_job(db) -> ImportJob:
    return committed(db, select(ImportJob).order_by(ImportJob.id.desc()))[0]


def live_customers(db, tenant_id):
    return committed(db, select(Customer).where(Customer.tenant_id == tenant_id, Customer.merged_into_id.is_(None))
                     .order_by(Customer.id))


ROWS = [["姓名", "手机号", "性别", "生日", "Email"],
        ["Anna", "13800000001", "女", "1990-01-02", "anna@example.com"],
        ["Ben", "1380000", "男", "", ""],
        ["Cleo", "13800000003", "unknown", "1990-13-01", ""],
        ["Dan", "13800000001", "", "", ""],
        ["", "13800000005", "", "", ""],
        ["Eve Updated", "13900000009", "", "", "eve@example.com"]]


def test_the_whole_import_flow(client, admin, acme, customer, worker, db):
    eve = customer(acme, "Eve", mobile="13900000009", source="wecom")
    response = upload(client, ROWS)
    assert response.status_code == 302
    job = last_job(db)
    page = client.get(f"{IMPORT}/{job.id}").get_data(as_text=True)
    assert 'data-testid="import-mapping"' in page and "Anna" in page
    assert job.mapping == {"0": "name", "1": "mobile", "2": "gender", "3": "birthday", "4": "email"}
    mapping = {f"col_{i}": key for i, key in job.mapping.items()}
    assert client.post(f"{IMPORT}/{job.id}", data=mapping).status_code == 302
    worker.join()
    job = last_job(db)
    assert (job.status, job.total_rows, job.valid_rows, job.error_rows) == ("validated", 6, 2, 4)
    errors = list(csv.reader(io.StringIO(client.get(f"{IMPORT}/{job.id}/errors.csv").get_data(as_text=True)[1:])))
    assert [e[0] for e in errors[1:]] == ["3", "4", "5", "6"]
    assert [c.name for c in live_customers(db, acme.id)] == ["Eve"]
    assert client.post(f"{IMPORT}/{job.id}/apply").status_code == 302
    worker.join()
    job = last_job(db)
    assert (job.status, job.created_count, job.updated_count, job.applied_rows) == ("done", 1, 1, 2)
    people = {c.name: c for c in live_customers(db, acme.id)}
    assert set(people) == {"Anna", "Eve Updated"}
    anna = people["Anna"]
    assert (anna.source, anna.gender, anna.attributes["birthday"], anna.is_member) == ("import", 2, "1990-01-02",
                                                                                      False)
    eve = fresh(db, Customer, eve.id)
    assert eve.source == "wecom" and eve.attributes["email"] == "eve@example.com"
    [event] = committed(db, select(Outbox).where(Outbox.type == "members.customers_imported"))
    assert event.payload["created_ids"] == [anna.id] and event.payload["updated_ids"] == [eve.id]
    assert job.content == b""
    progress = client.get(f"{IMPORT}/{job.id}/progress")
    assert 'data-status="done"' in progress.get_data(as_text=True)


def test_xlsx_files_are_read(client, admin, acme, worker, db):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Mobile", "Member (Y/N)"])
    sheet.append(["Anna", 13800000001, "Y"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    assert upload(client, buffer, "people.xlsx").status_code == 302
    job = last_job(db)
    client.post(f"{IMPORT}/{job.id}", data={f"col_{i}": k for i, k in job.mapping.items()})
    worker.join()
    client.post(f"{IMPORT}/{job.id}/apply")
    worker.join()
    [anna] = live_customers(db, acme.id)
    assert (anna.name, anna.mobile, anna.is_member) == ("Anna", "13800000001", True)


def test_bad_files_are_refused(client, admin, acme, db):
    assert upload(client, [["a"]], "notes.txt").status_code == 422
    assert upload(client, [["姓名", "手机号"]]).status_code == 422
    broken = client.post(IMPORT, data={"file": (io.BytesIO(b"not a zip"), "x.xlsx")},
                         content_type="multipart/form-data")
    assert broken.status_code == 422
    assert committed(db, select(ImportJob)) == []


def test_the_mapping_needs_a_mobile_column(client, admin, acme, db):
    upload(client, ROWS)
    job = last_job(db)
    response = client.post(f"{IMPORT}/{job.id}", data={"col_0": "name"})
    assert response.status_code == 422
    twice = client.post(f"{IMPORT}/{job.id}", data={"col_0": "mobile", "col_1": "mobile"})
    assert twice.status_code == 422
    assert last_job(db).status == "uploaded"


def test_custom_fields_are_validated_and_required_for_new_customers(client, admin, acme, custom_field, worker, db):
    size = custom_field(acme, "尺码", "single_select", options=["S", "M"], required_member=True)
    upload(client, [["姓名", "手机号", "尺码"], ["Anna", "13800000001", "M"], ["Ben", "13800000002", "XL"],
                    ["Cleo", "13800000003", ""]])
    job = last_job(db)
    assert job.mapping["2"] == size.key
    client.post(f"{IMPORT}/{job.id}", data={f"col_{i}": k for i, k in job.mapping.items()})
    worker.join()
    job = last_job(db)
    assert (job.valid_rows, job.error_rows) == (1, 2)
    assert {e["column"] for e in job.errors} == {"尺码"}


def test_a_failed_import_resumes_without_duplicates(acme, admin, client, db, monkeypatch):
    rows = [["姓名", "手机号"]] + [[f"C{i}", f"138{i:08d}"] for i in range(7)]
    upload(client, rows)
    job = last_job(db)
    client.post(f"{IMPORT}/{job.id}", data={"col_0": "name", "col_1": "mobile"})
    tenant_id = acme.id
    db.commit()
    jobs.validate_import(tenant_id, job_id=job.id)
    db.execute(ImportJob.__table__.update().where(ImportJob.id == job.id).values(status="applying"))
    db.commit()
    monkeypatch.setattr(importing, "BATCH", 3)
    real, calls = importing.apply_batch, []

    def flaky(session, job, batch):
        calls.append(len(batch))
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(session, job, batch)

    monkeypatch.setattr(importing, "apply_batch", flaky)
    with pytest.raises(RuntimeError):
        jobs.apply_import(tenant_id, job_id=job.id)
    failed = last_job(db)
    assert (failed.status, failed.applied_rows, failed.created_count) == ("failed", 3, 3)
    assert len(live_customers(db, acme.id)) == 3
    assert "Resume" in client.get(f"{IMPORT}/{job.id}").get_data(as_text=True)
    monkeypatch.setattr(importing, "apply_batch", real)
    jobs.apply_import(tenant_id, job_id=job.id)
    done = last_job(db)
    assert (done.status, done.applied_rows, done.created_count, done.updated_count) == ("done", 7, 7, 0)
    assert len(live_customers(db, acme.id)) == 7
    numbers = committed(db, select(CustomerIdentity.value).where(CustomerIdentity.tenant_id == acme.id))
    assert len(numbers) == len(set(numbers)) == 7


def test_another_tenants_imports_are_out_of_reach(client, admin, acme, other_tenant, db):
    theirs = ImportJob(tenant_id=other_tenant.id, filename="x.csv", file_format="csv", content=b"a,b\n1,2\n",
                       columns=["a", "b"], status="validated", valid_rows=1, total_rows=1)
    db.add(theirs)
    db.commit()
    for path in (f"{IMPORT}/{theirs.id}", f"{IMPORT}/{theirs.id}/progress", f"{IMPORT}/{theirs.id}/errors.csv"):
        assert client.get(path).status_code == 404
    assert client.post(f"{IMPORT}/{theirs.id}/apply").status_code == 404
    assert client.post(f"{IMPORT}/{theirs.id}/cancel").status_code == 404
    assert fresh(db, ImportJob, theirs.id).status == "validated"
    assert "x.csv" not in client.get(IMPORT).get_data(as_text=True)


def test_an_import_job_of_one_tenant_writes_only_that_tenant(acme, other_tenant, customer, db):
    customer(other_tenant, "Globex Anna", mobile="13800000001")
    job = ImportJob(tenant_id=acme.id, filename="x.csv", file_format="csv",
                    content="姓名,手机号\nAnna,13800000001\n".encode(), columns=["姓名", "手机号"],
                    mapping={"0": "name", "1": "mobile"}, status="validating")
    db.add(job)
    db.commit()
    mine, theirs, job_id = acme.id, other_tenant.id, job.id
    db.commit()
    jobs.apply_import(theirs, job_id=job_id)  # the wrong tenant is ignored
    jobs.validate_import(theirs, job_id=job_id)
    jobs.validate_import(mine, job_id=job_id)
    db.execute(ImportJob.__table__.update().where(ImportJob.id == job_id).values(status="applying"))
    db.commit()
    jobs.apply_import(theirs, job_id=job_id)
    jobs.apply_import(mine, job_id=job_id)
    assert [c.name for c in live_customers(db, acme.id)] == ["Anna"]
    assert [c.name for c in live_customers(db, other_tenant.id)] == ["Globex Anna"]
