"""``SandboxControl``: the sandbox's control API over HTTP, for tests and ``scrm demo``."""

from __future__ import annotations

from typing import Any

import httpx


class SandboxControlError(Exception):
    """The sandbox refused a control request (``errcode`` / ``errmsg`` as the sandbox answered)."""


class SandboxControl:
    """Drives a running sandbox at ``base_url`` (the value ``channel_sandbox("wecom")`` returns)."""

    def __init__(self, base_url: str, http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http or httpx.Client(timeout=10.0)

    def _call(self, method: str, path: str, json: dict[str, Any] | None = None,
              params: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.request(method, f"{self.base_url}/sandbox/{path}", json=json, params=params)
        data = response.json()
        if not data.get("ok"):
            raise SandboxControlError(f"{data.get('errcode')}: {data.get('errmsg')}")
        return data

    def reset(self) -> None:
        self._call("POST", "reset")

    def seed(self, corp: dict[str, Any]) -> None:
        self._call("POST", "seed", corp)

    def corp(self, corp_id: str) -> dict[str, Any]:
        return self._call("GET", f"corps/{corp_id}")["corp"]

    def settings(self, **values: Any) -> dict[str, Any]:
        return self._call("POST", "settings", values)

    def expire_tokens(self, corp_id: str | None = None, kind: str | None = None) -> int:
        return self._call("POST", "tokens/expire", {"corp_id": corp_id, "kind": kind})["expired"]

    def invalidate_tokens(self) -> int:
        return self._call("POST", "tokens/invalidate", {})["invalidated"]

    def rate_limit(self, path: str, per_minute: int | None) -> None:
        self._call("POST", "rate_limits", {"path": path, "per_minute": per_minute})

    def fail_next(self, path: str, errcode: int, times: int = 1) -> None:
        self._call("POST", "fail_next", {"path": path, "errcode": errcode, "times": times})

    def calls(self, path: str | None = None) -> list[dict[str, Any]]:
        return self._call("GET", "calls", params={"path": path} if path else None)["calls"]

    def clear_calls(self) -> None:
        self._call("DELETE", "calls")

    def set_follow_users(self, corp_id: str, userids: list[str] | None) -> list[str]:
        """The members with the customer-contact permission (None: every member who has customers); returns the
        list ``get_follow_user_list`` answers from now on."""
        return self._call("POST", "follow_users", {"corp_id": corp_id, "userids": userids})["follow_user"]

    def add_friend(self, corp_id: str, userid: str, external_contact: dict[str, Any] | None = None, *,
                   state: str | None = None, half: bool = False,
                   callback: dict[str, Any] | None = None) -> dict[str, Any]:
        """Simulate a customer adding ``userid``; ``callback`` ({url, token, encoding_aes_key}) fires the event."""
        return self._call("POST", "friends", {"corp_id": corp_id, "userid": userid,
                                              "external_contact": external_contact or {}, "state": state,
                                              "half": half, "callback": callback})

    def delete_friend(self, corp_id: str, userid: str, external_userid: str, *, by: str = "customer",
                      callback: dict[str, Any] | None = None) -> dict[str, Any]:
        """End a friendship: ``by`` "customer" (``del_follow_user``) or "employee" (``del_external_contact``);
        ``callback`` ({url, token, encoding_aes_key}) fires the event."""
        return self._call("POST", "friends/delete", {"corp_id": corp_id, "userid": userid,
                                                     "external_userid": external_userid, "by": by,
                                                     "callback": callback})

    def complete_transfers(self, corp_id: str, status: int = 1, external_userids: list[str] | None = None,
                           callback: dict[str, Any] | None = None) -> int:
        """Settle waiting transfers (1 taken over, 3 refused, 4 limit); ``callback`` ({url, token,
        encoding_aes_key}) fires WeCom's ``transfer_fail`` event for refused / limited on-the-job transfers."""
        return self._call("POST", "transfers/complete", {"corp_id": corp_id, "status": status,
                                                         "external_userids": external_userids,
                                                         "callback": callback})["completed"]

    def close(self) -> None:
        self.http.close()
