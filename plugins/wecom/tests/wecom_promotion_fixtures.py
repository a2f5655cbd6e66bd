"""Shared helpers of the employee promotion tests: an activity created through the form against the sandbox, the
attribution of friend events, a round of the job, and a loopback HTTP server that records (and checks) the reward
webhook calls. Import explicitly: ``from wecom_promotion_fixtures import ...``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from scrm_wecom.messaging.models import AppMessage
from scrm_wecom.promotion import jobs, service
from scrm_wecom.promotion.models import PromotionActivity, PromotionParticipant, PromotionReward
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import fresh, friend_event

from scrm.sdk import local_today

BASE = "/t/acme/wecom/promotion"


def form(world, *employees: str, **changes: Any) -> dict[str, Any]:
    today = local_today()
    data = {"name": "双12门店拉新", "account_id": str(world.account.id), "start": today.isoformat(),
            "end": (today + timedelta(days=6)).isoformat(),
            "employee_ids": [str(world.employees[u].id) for u in employees or ("zhangsan", "lisi")],
            "target": "live_code", "standard": "friends", "standard_count": "2", "remind_mode": "once",
            "remind_days_before": "1", "reward": "code"}
    data.update({k: v for k, v in changes.items() if v is not None})
    return data


def create(db, world, client, *employees: str, **changes: Any) -> PromotionActivity:
    response = client.post(f"{BASE}/new", data=form(world, *employees, **changes))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    fresh(db)
    return db.exec(select(PromotionActivity).where(PromotionActivity.tenant_id == world.tenant.id)
                   .order_by(PromotionActivity.id.desc())).first()


def participant(db, activity, employee) -> PromotionParticipant:
    return db.exec(select(PromotionParticipant).where(PromotionParticipant.activity_id == activity.id,
                                                      PromotionParticipant.employee_id == employee.id)).one()


def add_friend(db, platform, world, part: PromotionParticipant, external_userid: str, *, at=None, event=None,
               tenant_id=None):
    """A friend added through ``part``'s code, handled as the plugin's ``domain_event`` hook does."""
    event = event or friend_event(world, "zhangsan", external_userid, state=part.state, at=at, tenant_id=tenant_id)
    service.friend_added(db, event, platform.secrets)
    db.commit()
    return event


def cards(db, tenant_id: int) -> list[AppMessage]:
    fresh(db)
    return list(db.exec(select(AppMessage).where(AppMessage.tenant_id == tenant_id, AppMessage.msgtype == "textcard")
                        .order_by(AppMessage.id)))


def rewards(db, activity) -> list[PromotionReward]:
    fresh(db)
    return list(db.exec(select(PromotionReward).where(PromotionReward.activity_id == activity.id)))


def run_job(db, platform, tenant_id: int, now=None) -> int:
    db.commit()
    sent = jobs.run_once(db, tenant_id, platform.secrets, now)
    fresh(db)
    return sent


class Receiver:
    """A webhook receiver on 127.0.0.1: checks the authentication of every call and answers with the next status
    of ``statuses`` (then 200). ``calls`` holds (ok, headers, body) per reward call."""

    def __init__(self, auth: str, creds: dict[str, str]):
        self.auth, self.creds, self.statuses = auth, creds, []
        self.calls: list[tuple[bool, dict[str, str], dict]] = []
        self.token_requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/token":
                    receiver.token_requests += 1
                    basic = "Basic " + base64.b64encode(
                        f"{creds.get('client_id')}:{creds.get('client_secret')}".encode()).decode()
                    good = self.headers.get("Authorization") == basic and b"grant_type=client_credentials" in body
                    self._answer(200 if good else 401, {"access_token": "tok-123", "token_type": "bearer",
                                                        "expires_in": 3600} if good else {"error": "invalid_client"})
                    return
                ok = receiver.verify(dict(self.headers), body)
                receiver.calls.append((ok, dict(self.headers), json.loads(body or b"{}")))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self._answer(status if ok else 401, {"ok": ok})

            def _answer(self, status: int, data: dict):
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def verify(self, headers: dict[str, str], body: bytes) -> bool:
        if not headers.get("Idempotency-Key"):
            return False
        auth = headers.get("Authorization")
        if self.auth == "none":
            return auth is None
        if self.auth == "basic":
            return auth == "Basic " + base64.b64encode(
                f"{self.creds['username']}:{self.creds['password']}".encode()).decode()
        if self.auth == "secret":
            stamp = headers.get("X-Scrm-Timestamp", "")
            expected = hmac.new(self.creds["secret"].encode(), stamp.encode() + b"." + body, hashlib.sha256)
            return headers.get("X-Scrm-Signature") == "sha256=" + expected.hexdigest()
        return auth == "Bearer tok-123"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(auth: str = "none", **creds: str) -> Receiver:
        made.append(Receiver(auth, creds))
        return made[-1]

    yield make
    for one in made:
        one.close()


__all__ = ["BASE", "Receiver", "add_friend", "cards", "create", "form", "participant", "receiver", "rewards",
           "run_job"]
