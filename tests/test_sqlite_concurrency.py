"""The embedded default serves a small team: concurrent API clients and pages while the embedded worker writes.

A real threaded server on the suite's database (a SQLite file by default), the in-process worker busy with write
jobs, 8 client threads mixing API reads, API writes and pages for a few seconds: no 5xx, and every write persisted.
On PostgreSQL the same test checks that nothing changed there.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter

import pytest
import requests
from sqlmodel import Session, func, select

from scrm.core.models import ApiToken, Customer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

CLIENTS = 8
DURATION = 4.0
REQUEST_TIMEOUT = 60


def _sign_in(base: str, email: str, password: str) -> requests.Session:
    """A browser-like session signed in through the login form (CSRF on, as in production)."""
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=REQUEST_TIMEOUT)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    data = {"email": email, "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    response = browser.post(f"{base}/login", data=data, allow_redirects=False, timeout=REQUEST_TIMEOUT)
    assert response.status_code == 302, response.text[:300]
    return browser


def test_eight_clients_and_the_busy_worker_get_no_server_error(app, platform, tenant, enable_plugins, make_user,
                                                              api_token, live_server, worker):
    from scrm_example.jobs import stamp
    from scrm_example.models import ExampleNote

    from scrm.sdk.testing import ADMIN_PASSWORD

    enable_plugins(tenant, "members", "example")
    token = api_token(tenant)
    make_user("ops@acme.test", tenant, role="tenant_admin")
    api = {"Authorization": f"Bearer {token}"}
    base = live_server
    seed = requests.post(f"{base}/api/v1/customers", json={"name": "Seed", "mobile": "13900000000"}, headers=api,
                         timeout=REQUEST_TIMEOUT)
    assert seed.status_code == 201, seed.text
    seed_id = seed.json()["customer"]["id"]

    statuses: Counter = Counter()
    failures: list[str] = []
    created: set[str] = set()  # mobiles answered 201
    renamed: dict[int, str] = {}  # customer id -> last name written by its only writer
    jobs_sent = 0
    lock = threading.Lock()
    stop = threading.Event()

    def record(response: requests.Response, what: str) -> None:
        with lock:
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                failures.append(f"{what}: {response.status_code} {response.text[:200]}")

    def busy_worker() -> None:
        """Keep the embedded worker writing: batches of jobs, each its own write transaction."""
        nonlocal jobs_sent
        while not stop.is_set():
            for _ in range(20):
                stamp.send(tenant.id, body=f"busy {jobs_sent}")
                jobs_sent += 1
            time.sleep(0.05)

    def api_client(number: int) -> None:
        http = requests.Session()
        own_id = None
        round_ = 0
        while not stop.is_set():
            round_ += 1
            record(http.get(f"{base}/api/v1/customers?limit=20", headers=api, timeout=REQUEST_TIMEOUT), "list")
            record(http.get(f"{base}/api/v1/customers/{seed_id}", headers=api, timeout=REQUEST_TIMEOUT), "get")
            mobile = f"139{number:02d}{round_:06d}"
            name = f"Client {number} #{round_}"
            response = http.post(f"{base}/api/v1/customers", json={"name": name, "mobile": mobile}, headers=api,
                                 timeout=REQUEST_TIMEOUT)
            record(response, "create")
            if response.status_code == 201:
                with lock:
                    created.add(mobile)
                own_id = own_id or response.json()["customer"]["id"]
            if own_id is not None:
                new_name = f"Renamed {number} #{round_}"
                response = http.patch(f"{base}/api/v1/customers/{own_id}", json={"name": new_name}, headers=api,
                                      timeout=REQUEST_TIMEOUT)
                record(response, "update")
                if response.status_code == 200:
                    renamed[own_id] = new_name

    def page_client(number: int) -> None:
        browser = _sign_in(base, "ops@acme.test", ADMIN_PASSWORD)
        round_ = 0
        while not stop.is_set():
            round_ += 1
            for path in ("/t/acme/", "/t/acme/members/customers/", "/api/v1/customers?limit=5"):
                headers = api if path.startswith("/api/") else {}
                record(browser.get(f"{base}{path}", headers=headers, timeout=REQUEST_TIMEOUT), path)
            form = browser.get(f"{base}/t/acme/members/customers/new", timeout=REQUEST_TIMEOUT)
            record(form, "new customer form")
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
            mobile = f"137{number:02d}{round_:06d}"
            response = browser.post(f"{base}/t/acme/members/customers/new", allow_redirects=False,
                                    timeout=REQUEST_TIMEOUT, data={
                                        "csrf_token": token.group(1) if token else "", "name": f"Form {mobile}",
                                        "gender": "0", "mobiles": mobile})
            record(response, "create through the form")
            if response.status_code == 302:
                with lock:
                    created.add(mobile)

    def guarded(target, *args) -> threading.Thread:
        def run() -> None:
            try:
                target(*args)
            except Exception as exc:  # a client that dies is a failure of the test, not a silent thread
                with lock:
                    failures.append(f"{target.__name__}: {exc!r}")
        return threading.Thread(target=run, daemon=True)

    threads = [guarded(busy_worker)]
    threads += [guarded(api_client, n) for n in range(CLIENTS - 2)]
    threads += [guarded(page_client, n) for n in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(DURATION)
    stop.set()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT + 10)
        assert not thread.is_alive(), "a client hung"
    worker.join(timeout=120)

    assert not failures, f"{len(failures)} server errors of {sum(statuses.values())} requests: {failures[:5]}"
    assert sum(statuses.values()) >= 3 * CLIENTS, statuses  # the load really ran
    assert renamed and any(m.startswith("139") for m in created) and any(m.startswith("137") for m in created)
    print(f"{sum(statuses.values())} requests {dict(statuses)}, {jobs_sent} jobs")
    with Session(platform.engine) as session:
        stored = set(session.exec(select(Customer.mobile).where(Customer.tenant_id == tenant.id)))
        missing = set(created) - stored
        assert not missing, f"customers answered 201 but not stored: {sorted(missing)[:5]}"
        for customer_id, name in renamed.items():
            assert session.get(Customer, customer_id).name == name
        notes = session.exec(select(func.count()).select_from(ExampleNote)
                             .where(ExampleNote.tenant_id == tenant.id, ExampleNote.source == "job")).one()
        assert notes == jobs_sent, "every job of the busy worker wrote its row"
        used = session.exec(select(ApiToken.last_used_at).where(ApiToken.tenant_id == tenant.id)).one()
        assert used is not None


def test_a_token_records_its_last_use_at_most_once_a_minute(app, platform, tenant, api_token, db):
    from datetime import timedelta

    from scrm.core.services.tokens import touch_token
    from scrm.core.timeutil import as_utc, utcnow

    api_token(tenant)
    token = db.exec(select(ApiToken).where(ApiToken.tenant_id == tenant.id)).one()
    start = utcnow()
    assert touch_token(platform.engine, token, start)
    assert not touch_token(platform.engine, token, start + timedelta(seconds=50))
    db.expire_all()
    assert as_utc(db.get(ApiToken, token.id).last_used_at) == start
    later = start + timedelta(seconds=61)
    assert touch_token(platform.engine, token, later)
    db.expire_all()
    assert as_utc(db.get(ApiToken, token.id).last_used_at) == later


def test_an_api_read_leaves_the_request_without_a_write(app, tenant, api_token, db):
    """The stamp is its own transaction: after authentication the request's session has nothing to flush."""
    from scrm.hostapp.api import authenticate
    from scrm.hostapp.platform_ext import db as request_db

    token = api_token(tenant)
    with app.test_request_context("/api/v1/customers", headers={"Authorization": f"Bearer {token}"}):
        authenticate()
        session = request_db()
        assert not session.dirty and not session.new
        session.rollback()
    assert db.exec(select(ApiToken.last_used_at).where(ApiToken.tenant_id == tenant.id)).one() is not None


def _sqlite_only(platform) -> None:
    if platform.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's locking only")


def test_a_unit_of_work_that_read_can_write_after_another_commit(platform, tenant):
    """The case that failed at once with "database is locked": read, another connection commits, then write."""
    _sqlite_only(platform)
    with Session(platform.engine) as first, Session(platform.engine) as second:
        assert first.exec(select(func.count()).select_from(Customer)).one() == 0
        second.add(Customer(tenant_id=tenant.id, name="Committed meanwhile"))
        second.commit()
        first.add(Customer(tenant_id=tenant.id, name="Written after reading"))
        first.commit()
        assert first.exec(select(func.count()).select_from(Customer)).one() == 2


def test_reads_take_no_lock_and_the_first_write_or_locking_read_takes_it(platform, tenant):
    _sqlite_only(platform)
    with Session(platform.engine) as session:
        session.exec(select(Customer)).all()
        raw = session.connection().connection.dbapi_connection
        assert not raw.in_transaction, "a read holds no transaction (and so no stale snapshot)"
        session.exec(select(Customer).with_for_update()).all()
        assert raw.in_transaction, "a read that locks rows for an update takes the write lock"
        session.rollback()
    with Session(platform.engine) as session:
        session.add(Customer(tenant_id=tenant.id, name="Writer"))
        session.flush()
        assert session.connection().connection.dbapi_connection.in_transaction
        session.rollback()
