"""Property-based fuzzing of the REST API (issue 11, finding 9): schemathesis generates requests from
``/api/v1/openapi.json`` (the host's and every plugin's operations), valid and invalid, and sends them in process to
the Flask app with a tenant token. Any 5xx, or a status the document does not declare for the operation, fails.

Bounded in time: a few examples per operation, a deadline per example, derandomized so CI sees the same cases; the
whole run takes well under two minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error, status_code_conformance

from scrm.core.models import Customer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

EXAMPLES_PER_OPERATION = 12


@pytest.fixture
def fuzz_headers(tenant, api_token, enable_plugins):
    """A tenant token of a tenant with every first-party plugin that has an API enabled."""
    enable_plugins(tenant, "members")
    return {"Authorization": f"Bearer {api_token(tenant)}"}


@pytest.fixture
def known_ids(tenant, fuzz_headers, db) -> dict[str, list[int]]:
    """Rows the generated path ids are mapped onto, so operations reach past their 404: customers (one of them a
    member with a level), a level, a segment by conditions and a manual one."""
    from scrm_members.loyalty.models import MemberLevel
    from scrm_members.segments.models import Segment, SegmentCategory

    customers = [Customer(tenant_id=tenant.id, name=f"C{i}", mobile=f"1380000000{i}", is_member=i == 0)
                 for i in range(3)]
    level = MemberLevel(tenant_id=tenant.id, name="Gold", rank=1)
    category = SegmentCategory(tenant_id=tenant.id, kind="dynamic", name="Fuzz")
    db.add_all([*customers, level, category])
    db.commit()
    segments = [Segment(tenant_id=tenant.id, category_id=category.id, name="By rule", kind="dynamic",
                        mode="conditions", rule={"conditions": [{"type": "member", "values": [True]}]}),
                Segment(tenant_id=tenant.id, category_id=category.id, name="Picked", kind="dynamic", mode="manual",
                        rule={})]
    db.add_all(segments)
    db.commit()
    return {"customer_id": [c.id for c in customers], "level_id": [level.id], "segment_id": [s.id for s in segments]}


def use_known_ids(case, known_ids: dict[str, list[int]]) -> None:
    """A generated non-negative path id becomes one of the known rows (negative or malformed ones stay as they are)."""
    for name, ids in known_ids.items():
        value = (case.path_parameters or {}).get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0 and value % 4:
            case.path_parameters[name] = ids[value % len(ids)]


def test_no_operation_answers_a_server_error_or_an_undocumented_status(app, fuzz_headers, known_ids):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30  # the host's and the members plugin's operations
    failures: dict[str, str] = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=timedelta(seconds=5), derandomize=True,
                  database=None, phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def fuzz(case):
            use_known_ids(case, known_ids)
            case.call_and_validate(headers=fuzz_headers, checks=[not_a_server_error, status_code_conformance])

        try:
            fuzz()
        except Exception as exc:  # noqa: BLE001  (every operation is fuzzed, then all failures are reported)
            failures[operation.label] = str(exc)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
