"""Churned and deleted customers recorded from WeCom callbacks (spec B §2.4, §4.5.1, J5; acceptance 15 and 19):
one row per churn or deletion with added-by, owner, added and lost times and the operator; a second deletion after a
re-add is a second row; handovers are not deletions; a redelivered event adds nothing; tenants stay apart."""

from __future__ import annotations

from datetime import UTC, datetime

from scrm_wecom.churn.models import FriendLoss
from sqlalchemy import select
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import churn, delete, employee, losses, re_add
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import CORP_ID, customer_of, follows

from scrm.core.models import Outbox
from scrm.sdk import DomainEvent, merge_customers, publish


def test_a_customer_deleting_the_employee_is_a_churned_row(db, churn_account, wsgi_http, worker):
    churn(wsgi_http, churn_account, "lisi", "wmAlice", at=1763600000)
    worker.join()
    [row] = losses(db, churn_account.tenant_id)
    tenant_id = churn_account.tenant_id
    alice = customer_of(db, tenant_id, "wmAlice")
    assert row.kind == "churned" and row.customer_id == alice.id
    assert row.employee_id == employee(db, tenant_id, "lisi").id  # added by
    assert row.owner_employee_id == alice.owner_employee_id == employee(db, tenant_id, "zhangsan").id  # owner guide
    assert row.added_at == datetime.fromtimestamp(1700000500, UTC)
    assert row.lost_at == datetime.fromtimestamp(1763600000, UTC)
    assert row.operator_employee_id is None


def test_the_employee_deleting_the_customer_is_a_deleted_row_and_a_second_deletion_a_second_row(
        db, churn_account, wsgi_http, worker):
    tenant_id = churn_account.tenant_id
    delete(wsgi_http, churn_account, "zhangsan", "wmCarol", at=1763600000)
    worker.join()
    re_add(wsgi_http, churn_account, "zhangsan", "wmCarol", at=1763600100)
    worker.join()
    delete(wsgi_http, churn_account, "zhangsan", "wmCarol", at=1763600200)
    worker.join()
    rows = losses(db, tenant_id, "deleted")
    zhangsan = employee(db, tenant_id, "zhangsan").id
    assert [(r.operator_employee_id, r.lost_at.timestamp()) for r in rows] == [(zhangsan, 1763600000),
                                                                               (zhangsan, 1763600200)]
    assert all(r.added_at is not None for r in rows)
    assert losses(db, tenant_id, "churned") == []


def test_a_deletion_caused_by_a_handover_is_not_recorded(db, churn_account, wsgi_http, worker):
    delete(wsgi_http, churn_account, "lisi", "wmBob", at=1763600000, Source="DELETE_BY_TRANSFER")
    worker.join()
    assert losses(db, churn_account.tenant_id) == []


def test_a_redelivered_event_adds_nothing(db, churn_account, wsgi_http, worker):
    churn(wsgi_http, churn_account, "zhangsan", "wmCarol", at=1763600000)
    worker.join()
    db.commit()
    row = db.execute(select(Outbox).where(Outbox.type == "wecom.friend_deleted_by_customer")).scalars().one()
    from scrm_wecom.churn.recording import record_loss

    assert record_loss(db, DomainEvent.from_row(row)) is None
    db.rollback()
    assert len(losses(db, churn_account.tenant_id)) == 1


def test_a_deletion_of_a_friend_the_platform_never_knew_is_recorded_and_named_from_wecom(
        db, tenant, churn_account, sandbox, wsgi_http, worker):
    # Dora is still lisi's friend in WeCom, but the platform never heard of her
    sandbox[1].add_friend(CORP_ID, "lisi", {"external_userid": "wmDora", "name": "Dora"})
    delete(wsgi_http, churn_account, "zhangsan", "wmDora", at=1763600000)
    worker.join()
    [row] = losses(db, tenant.id)
    dora = customer_of(db, tenant.id, "wmDora")  # One-ID: the external_userid identity
    assert row.kind == "deleted" and row.customer_id == dora.id and dora.name == "Dora"
    assert row.operator_employee_id == employee(db, tenant.id, "zhangsan").id
    assert row.lost_at == datetime.fromtimestamp(1763600000, UTC) and row.added_at is None
    assert follows(db, tenant.id, "wmDora")[("wmDora", "lisi")].status == "active"


def test_a_loss_wecom_no_longer_answers_for_is_recorded_under_the_external_userid(db, tenant, churn_account,
                                                                                 wsgi_http, worker):
    churn(wsgi_http, churn_account, "zhangsan", "wmNobody", at=1763600000)
    worker.join()
    [row] = losses(db, tenant.id)
    nobody = customer_of(db, tenant.id, "wmNobody")
    assert row.kind == "churned" and row.customer_id == nobody.id and nobody.name == "wmNobody"
    assert row.employee_id == employee(db, tenant.id, "zhangsan").id


def test_events_of_one_tenant_never_record_rows_for_another(db, churn_account, other_tenant, enable_plugins,
                                                           make_account, sandbox, worker):
    worker.join()
    enable_plugins(other_tenant, "wecom")
    other_account = make_account(other_tenant, sandbox[0], corp_id="ww00000000000000b2")
    alice = customer_of(db, churn_account.tenant_id, "wmAlice")
    # an event of the other tenant naming this tenant's account and customer
    publish(db, other_tenant.id, "wecom.friend_deleted_by_customer",
            {"account_id": churn_account.id, "corp_id": CORP_ID, "userid": "lisi", "external_userid": "wmAlice"})
    publish(db, other_tenant.id, "wecom.friend_deleted",
            {"account_id": other_account.id, "userid": "lisi", "external_userid": "wmAlice",
             "customer_id": alice.id})
    db.commit()
    worker.join()
    rows = db.execute(select(FriendLoss)).scalars().all()
    assert [r for r in rows if r.tenant_id == churn_account.tenant_id] == []
    # the other tenant's own account lost a friend it did not know: its row is its own customer, never Alice
    assert all(r.tenant_id == other_tenant.id and r.account_id == other_account.id and r.customer_id != alice.id
               for r in rows)


def test_a_merge_moves_the_rows_to_the_surviving_customer(db, platform, tenant, churn_account, wsgi_http, worker):
    churn(wsgi_http, churn_account, "zhangsan", "wmCarol", at=1763600000)
    worker.join()
    carol, alice = customer_of(db, tenant.id, "wmCarol"), customer_of(db, tenant.id, "wmAlice")
    merge_customers(db, platform.hooks(db, tenant), alice, carol)
    db.commit()
    assert [r.customer_id for r in losses(db, tenant.id)] == [alice.id]
