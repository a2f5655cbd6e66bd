"""Quota (issue 13 item 5, spec A.5): reserve / consume / release by conditional UPDATE, never negative under
concurrent reservations, no quota no send (INSUFFICIENT_BALANCE), purchase ledger with audit, tenant isolation."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, select


def test_top_up_reserve_consume_release_keep_the_invariant(app, db, tenant):
    from scrm_sms.quota import service as quota
    from scrm_sms.quota.models import SmsRecharge

    quota.top_up(db, tenant.id, "marketing", 100, package="p1000", note="测试充值")
    db.commit()
    quota.reserve(db, tenant.id, "marketing", 30)
    quota.consume(db, tenant.id, "marketing", 20)
    quota.release(db, tenant.id, "marketing", 10)
    db.commit()
    b = quota.balance(db, tenant.id, "marketing")
    assert (b.available, b.reserved, b.sent, b.purchased) == (80, 0, 20, 100)
    assert b.available + b.reserved + b.sent == b.purchased
    assert quota.remaining(db, tenant.id, "marketing") == 80
    assert quota.sent(db, tenant.id, "marketing") == 20 and quota.purchased(db, tenant.id, "marketing") == 100
    assert quota.remaining(db, tenant.id, "notification") == 0  # categories are apart
    assert db.exec(select(SmsRecharge).where(SmsRecharge.tenant_id == tenant.id)).one().amount == 100
    from scrm.core.models import AuditLog

    assert db.exec(select(AuditLog).where(AuditLog.action == "sms.quota.top_up")).first() is not None


def test_no_quota_no_reservation_and_nothing_changes(db, tenant):
    from scrm_sms.quota import service as quota

    quota.top_up(db, tenant.id, "notification", 5)
    db.commit()
    with pytest.raises(quota.InsufficientBalance) as err:
        quota.reserve(db, tenant.id, "notification", 6)
    assert err.value.code == "INSUFFICIENT_BALANCE" and err.value.available == 5
    quota.reserve(db, tenant.id, "notification", 5)  # exactly the balance passes (boundary)
    db.commit()
    assert quota.balance(db, tenant.id, "notification").available == 0
    with pytest.raises(quota.InsufficientBalance):
        quota.reserve(db, tenant.id, "notification", 1)


def test_a_top_up_is_bounded(db, tenant):
    from scrm_sms.quota import service as quota

    for bad in (0, -5, 10_000_001):
        with pytest.raises(ValueError):
            quota.top_up(db, tenant.id, "marketing", bad)
    quota.top_up(db, tenant.id, "marketing", 10_000_000)  # the largest single top-up


def test_tenants_have_their_own_balance(db, tenant, other_tenant):
    from scrm_sms.quota import service as quota

    quota.top_up(db, tenant.id, "marketing", 10)
    db.commit()
    with pytest.raises(quota.InsufficientBalance):
        quota.reserve(db, other_tenant.id, "marketing", 1)
    assert quota.remaining(db, other_tenant.id, "marketing") == 0


def test_concurrent_reservations_never_overdraw(app, db, tenant):
    """Many threads reserve at once from 1,000: exactly 1,000 are reserved, the balance is never negative."""
    from scrm_sms.quota import service as quota

    engine = db.get_bind()
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite has one writer)")
    tid = tenant.id  # a plain value: the threads must not touch the test's session
    quota.top_up(db, tid, "marketing", 1000)
    db.commit()
    got = []
    lock = threading.Lock()

    def worker():
        for _ in range(40):
            with Session(engine) as s:
                try:
                    quota.reserve(s, tid, "marketing", 7)
                    s.commit()
                    with lock:
                        got.append(7)
                except quota.InsufficientBalance:
                    s.rollback()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    db.expire_all()
    b = quota.balance(db, tenant.id, "marketing")
    assert sum(got) == b.reserved == 1000 - 1000 % 7
    assert b.available == 1000 % 7 and b.available >= 0
