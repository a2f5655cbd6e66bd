"""The rule form's trigger "no communication for N days": N defaults to 3 (the manual's example), a bad N answers 422
with the field's message and saves nothing, the details page names N; the trigger's own page fields."""

from __future__ import annotations

import pytest
from scrm_wecom.sop.models import SopRule
from sqlalchemy import select
from test_wecom_sop_pages import BASE, operator, rule_form  # noqa: F401
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import employee
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sop_fixtures import make_rule
from wecom_sync_fixtures import *  # noqa: F403


def rules(db, tenant_id):
    db.commit()
    db.expire_all()
    return list(db.execute(select(SopRule).where(SopRule.tenant_id == tenant_id)).scalars())


def test_n_is_3_unless_set(app, db, tenant, churn_account, operator):  # noqa: F811
    lisi = employee(db, tenant.id, "lisi")
    page = operator.get(f"{BASE}/new?kind=customer").get_data(as_text=True)
    assert 'name="quiet_days" inputmode="numeric" value="3"' in page and "No communication for N days" in page
    rule = make_rule(app, db, tenant.id, trigger="no_communication", employees=[lisi.id])
    assert db.get(SopRule, rule).params["quiet_days"] == 3


@pytest.mark.parametrize(("days", "status"), [("0", 422), ("366", 422), ("3.5", 422), ("-1", 422), ("7", 302)])
def test_the_form_takes_n_from_1_to_365(db, tenant, churn_account, operator, days, status):  # noqa: F811
    lisi = employee(db, tenant.id, "lisi")
    response = operator.post(f"{BASE}/new", data=rule_form(lisi.id, name="7天未沟通", trigger="no_communication",
                                                           quiet_days=days))
    assert response.status_code == status
    if status == 422:
        assert 'data-testid="error-quiet_days"' in response.get_data(as_text=True)
        assert f'value="{days}"' in response.get_data(as_text=True)  # the input is shown again
        assert rules(db, tenant.id) == []
    else:
        [rule] = rules(db, tenant.id)
        assert (rule.trigger, rule.params["quiet_days"]) == ("no_communication", 7)
        detail = operator.get(f"{BASE}/{rule.id}").get_data(as_text=True)
        assert "No communication for N days" in detail and "7 days without communication" in detail
