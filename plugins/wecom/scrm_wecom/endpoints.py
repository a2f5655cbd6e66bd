"""Typed WeCom endpoints (mixed into :class:`scrm_wecom.client.WeComClient`).

Each method names the secret whose token it uses, sends the documented request shape and returns the documented
part of the answer (``errcode`` / ``errmsg`` stripped by the caller's contract: non-zero codes are raised).
Address-book reads use the address-book secret, external-contact APIs the customer-contact secret and app messages
the agent secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .accounts import AccountNotConfigured, SecretKind

AB, CONTACT, AGENT = SecretKind.ADDRESS_BOOK, SecretKind.CONTACT, SecretKind.AGENT
EC = "/cgi-bin/externalcontact"


def _clean(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if v is not None}


class WeComEndpoints:
    """The typed API surface; relies on ``self.call(kind, method, path, params=, json=)`` and ``self.agent_id``."""

    def call(self, kind: SecretKind, method: str, path: str, *, params: Mapping[str, Any] | None = None,
             json: Mapping[str, Any] | None = None) -> dict[str, Any]:  # pragma: no cover - see WeComClient
        raise NotImplementedError

    agent_id: int | None

    # -- address book ------------------------------------------------------------------------------------------------

    def list_departments(self, department_id: int | None = None) -> list[dict[str, Any]]:
        """``department/list``: ``[{id, name, parentid, order, ...}]`` (the subtree of ``department_id``, or all)."""
        params = {"id": department_id} if department_id is not None else None
        return list(self.call(AB, "GET", "/cgi-bin/department/list", params=params).get("department", []))

    def list_users(self, department_id: int, *, fetch_child: bool = False) -> list[dict[str, Any]]:
        """``user/list``: the members of a department with details (``userid, name, department, status, ...``)."""
        params = {"department_id": department_id, "fetch_child": int(fetch_child)}
        return list(self.call(AB, "GET", "/cgi-bin/user/list", params=params).get("userlist", []))

    def get_user(self, userid: str) -> dict[str, Any]:
        """``user/get``: one member (60111 when the userid does not exist)."""
        data = self.call(AB, "GET", "/cgi-bin/user/get", params={"userid": userid})
        return {k: v for k, v in data.items() if k not in ("errcode", "errmsg")}

    # -- external contacts -------------------------------------------------------------------------------------------

    def get_follow_user_list(self) -> list[str]:
        """``externalcontact/get_follow_user_list``: the userids of the members with the customer-contact
        permission (客户联系功能)."""
        return [str(u) for u in self.call(CONTACT, "GET", f"{EC}/get_follow_user_list").get("follow_user", [])]

    def list_external_contacts(self, userid: str) -> list[str]:
        """``externalcontact/list``: the external_userids of a member's customers (84061 when there are none)."""
        return list(self.call(CONTACT, "GET", f"{EC}/list", params={"userid": userid}).get("external_userid", []))

    def get_external_contact(self, external_userid: str, cursor: str | None = None) -> dict[str, Any]:
        """``externalcontact/get``: ``{external_contact, follow_user, next_cursor}`` (40096 for an unknown id)."""
        data = self.call(CONTACT, "GET", f"{EC}/get", params=_clean({"external_userid": external_userid,
                                                                    "cursor": cursor}))
        return {"external_contact": data.get("external_contact", {}), "follow_user": data.get("follow_user", []),
                "next_cursor": data.get("next_cursor", "")}

    def batch_get_external_contacts(self, userids: Sequence[str], cursor: str = "",
                                           limit: int = 100) -> tuple[list[dict[str, Any]], str]:
        """``externalcontact/batch/get_by_user``: one page of ``[{external_contact, follow_info}]`` and the next
        cursor (``""`` after the last page). ``limit`` is at most 100."""
        data = self.call(CONTACT, "POST", f"{EC}/batch/get_by_user",
                         json={"userid_list": list(userids), "cursor": cursor, "limit": min(int(limit), 100)})
        return list(data.get("external_contact_list", [])), str(data.get("next_cursor") or "")

    # -- corp tags ---------------------------------------------------------------------------------------------------

    def list_corp_tags(self, tag_ids: Sequence[str] = (), group_ids: Sequence[str] = ()) -> list[dict[str, Any]]:
        """``get_corp_tag_list``: ``[{group_id, group_name, create_time, order, deleted, tag: [{id, name, ...}]}]``."""
        body = _clean({"tag_id": list(tag_ids) or None, "group_id": list(group_ids) or None})
        return list(self.call(CONTACT, "POST", f"{EC}/get_corp_tag_list", json=body).get("tag_group", []))

    def add_corp_tag(self, tags: Sequence[Mapping[str, Any]], *, group_id: str | None = None,
                     group_name: str | None = None, order: int | None = None) -> dict[str, Any]:
        """``add_corp_tag``: add ``tags`` (``[{name, order?}]``) to an existing group or a new one; returns the group."""
        body = _clean({"group_id": group_id, "group_name": group_name, "order": order, "tag": [dict(t) for t in tags]})
        return dict(self.call(CONTACT, "POST", f"{EC}/add_corp_tag", json=body).get("tag_group", {}))

    def edit_corp_tag(self, tag_or_group_id: str, *, name: str | None = None, order: int | None = None) -> None:
        """``edit_corp_tag``: rename or reorder a tag or a tag group."""
        self.call(CONTACT, "POST", f"{EC}/edit_corp_tag", json=_clean({"id": tag_or_group_id, "name": name,
                                                                       "order": order}))

    def delete_corp_tags(self, tag_ids: Sequence[str] = (), group_ids: Sequence[str] = ()) -> None:
        """``del_corp_tag``: delete tags and/or whole groups."""
        self.call(CONTACT, "POST", f"{EC}/del_corp_tag", json={"tag_id": list(tag_ids), "group_id": list(group_ids)})

    def mark_tag(self, userid: str, external_userid: str, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        """``mark_tag``: add / remove corp tags on a customer as seen by member ``userid``."""
        self.call(CONTACT, "POST", f"{EC}/mark_tag", json={"userid": userid, "external_userid": external_userid,
                                                           "add_tag": list(add), "remove_tag": list(remove)})

    # -- contact ways ("contact me" codes) ---------------------------------------------------------------------------

    def add_contact_way(self, *, type: int, scene: int, users: Sequence[str] = (), parties: Sequence[int] = (),
                        state: str | None = None, remark: str | None = None, skip_verify: bool = True,
                        style: int | None = None, **extra: Any) -> dict[str, Any]:
        """``add_contact_way``: ``{config_id, qr_code}`` (``qr_code`` only for scene 2)."""
        body = _clean({"type": type, "scene": scene, "user": list(users) or None, "party": list(parties) or None,
                       "state": state, "remark": remark, "skip_verify": skip_verify, "style": style, **extra})
        data = self.call(CONTACT, "POST", f"{EC}/add_contact_way", json=body)
        return {"config_id": data.get("config_id"), "qr_code": data.get("qr_code")}

    def get_contact_way(self, config_id: str) -> dict[str, Any]:
        """``get_contact_way``: the stored configuration."""
        return dict(self.call(CONTACT, "POST", f"{EC}/get_contact_way", json={"config_id": config_id})
                    .get("contact_way", {}))

    def update_contact_way(self, config_id: str, **changes: Any) -> None:
        """``update_contact_way``: change members, state, remark, skip_verify, style, ..."""
        self.call(CONTACT, "POST", f"{EC}/update_contact_way", json={"config_id": config_id, **_clean(changes)})

    def delete_contact_way(self, config_id: str) -> None:
        """``del_contact_way``."""
        self.call(CONTACT, "POST", f"{EC}/del_contact_way", json={"config_id": config_id})

    # -- messages ----------------------------------------------------------------------------------------------------

    def send_welcome_msg(self, welcome_code: str, text: str | None = None,
                         attachments: Sequence[Mapping[str, Any]] = ()) -> None:
        """``send_welcome_msg``: the code is single-use and valid 20 s (41051 when used up or expired)."""
        body = _clean({"welcome_code": welcome_code, "text": {"content": text} if text else None,
                       "attachments": [dict(a) for a in attachments] or None})
        self.call(CONTACT, "POST", f"{EC}/send_welcome_msg", json=body)

    def add_msg_template(self, *, sender: str | None = None, external_userids: Sequence[str] = (),
                         chat_type: str = "single", text: str | None = None,
                         attachments: Sequence[Mapping[str, Any]] = (), chat_ids: Sequence[str] = ()
                         ) -> dict[str, Any]:
        """``add_msg_template`` (enterprise mass message task): ``{msgid, fail_list}``."""
        body = _clean({"chat_type": chat_type, "sender": sender, "external_userid": list(external_userids) or None,
                       "chat_id_list": list(chat_ids) or None, "text": {"content": text} if text else None,
                       "attachments": [dict(a) for a in attachments] or None})
        data = self.call(CONTACT, "POST", f"{EC}/add_msg_template", json=body)
        return {"msgid": data.get("msgid"), "fail_list": list(data.get("fail_list", []))}

    def get_groupmsg_task(self, msgid: str, cursor: str = "", limit: int = 1000) -> tuple[list[dict[str, Any]], str]:
        """``get_groupmsg_task``: one page of the members of a mass task, ``[{userid, status (0 not sent, 2 sent),
        send_time}]``, and the next cursor (``""`` after the last page)."""
        data = self.call(CONTACT, "POST", f"{EC}/get_groupmsg_task",
                         json=_clean({"msgid": msgid, "limit": max(1, min(int(limit), 1000)), "cursor": cursor or None}))
        return list(data.get("task_list", [])), str(data.get("next_cursor") or "")

    def get_groupmsg_send_result(self, msgid: str, userid: str, cursor: str = "",
                                 limit: int = 1000) -> tuple[list[dict[str, Any]], str]:
        """``get_groupmsg_send_result``: one page of one member's targets, ``[{external_userid | chat_id, userid,
        status (0 not sent, 1 sent, 2 not a friend, 3 already received a mass message), send_time}]``."""
        data = self.call(CONTACT, "POST", f"{EC}/get_groupmsg_send_result",
                         json=_clean({"msgid": msgid, "userid": userid, "limit": max(1, min(int(limit), 1000)),
                                      "cursor": cursor or None}))
        return list(data.get("send_list", [])), str(data.get("next_cursor") or "")

    def remind_groupmsg_send(self, msgid: str) -> None:
        """``remind_groupmsg_send``: remind the members who have not sent (at most 3 times in 24 hours per task)."""
        self.call(CONTACT, "POST", f"{EC}/remind_groupmsg_send", json={"msgid": msgid})

    def cancel_groupmsg_send(self, msgid: str) -> None:
        """``cancel_groupmsg_send``: stop a mass task for the members who have not sent."""
        self.call(CONTACT, "POST", f"{EC}/cancel_groupmsg_send", json={"msgid": msgid})

    def _agent_id(self) -> int:
        if not self.agent_id:
            raise AccountNotConfigured(AGENT)
        return int(self.agent_id)

    def send_app_text(self, content: str, *, users: Sequence[str] = (), parties: Sequence[int] = (),
                      tags: Sequence[int] = ()) -> dict[str, Any]:
        """``message/send`` a text app message: ``{msgid, invaliduser, ...}``."""
        return self._send_app({"msgtype": "text", "text": {"content": content}}, users, parties, tags)

    def send_app_textcard(self, *, title: str, description: str, url: str, button: str | None = None,
                          users: Sequence[str] = (), parties: Sequence[int] = (),
                          tags: Sequence[int] = ()) -> dict[str, Any]:
        """``message/send`` a text card (title ≤128, description ≤512 characters, button text ≤4)."""
        card = _clean({"title": title, "description": description, "url": url, "btntxt": button})
        return self._send_app({"msgtype": "textcard", "textcard": card}, users, parties, tags)

    def _send_app(self, message: dict[str, Any], users: Sequence[str], parties: Sequence[int],
                  tags: Sequence[int]) -> dict[str, Any]:
        body = {"touser": "|".join(users), "toparty": "|".join(map(str, parties)), "totag": "|".join(map(str, tags)),
                "agentid": self._agent_id(), **message}
        data = self.call(AGENT, "POST", "/cgi-bin/message/send", json=body)
        return {k: v for k, v in data.items() if k not in ("errcode", "errmsg")}

    # -- transfers ---------------------------------------------------------------------------------------------------

    def transfer_customer(self, handover_userid: str, takeover_userid: str, external_userids: Sequence[str],
                          success_msg: str | None = None, *, resigned: bool = False) -> list[dict[str, Any]]:
        """On-the-job (or ``resigned``) transfer: ``[{external_userid, errcode}]``, one per customer."""
        path = f"{EC}/resigned/transfer_customer" if resigned else f"{EC}/transfer_customer"
        body = _clean({"handover_userid": handover_userid, "takeover_userid": takeover_userid,
                       "external_userid": list(external_userids),
                       "transfer_success_msg": None if resigned else success_msg})
        return list(self.call(CONTACT, "POST", path, json=body).get("customer", []))

    def transfer_result(self, handover_userid: str, takeover_userid: str, cursor: str = "", *,
                        resigned: bool = False) -> tuple[list[dict[str, Any]], str]:
        """One page of ``[{external_userid, status, takeover_time}]`` and the next cursor; status 1 done, 2 waiting,
        3 refused by the customer, 4 takeover member full, 5 no record."""
        path = f"{EC}/resigned/transfer_result" if resigned else f"{EC}/transfer_result"
        data = self.call(CONTACT, "POST", path, json={"handover_userid": handover_userid,
                                                      "takeover_userid": takeover_userid, "cursor": cursor})
        return list(data.get("customer", [])), str(data.get("next_cursor") or "")

    def get_unassigned_list(self, cursor: str = "", page_size: int = 1000) -> tuple[list[dict[str, Any]], str]:
        """``get_unassigned_list``: customers of members who left, ``[{handover_userid, external_userid,
        dimission_time}]``, and the next cursor (``""`` when ``is_last``)."""
        data = self.call(CONTACT, "POST", f"{EC}/get_unassigned_list",
                         json={"cursor": cursor, "page_size": min(int(page_size), 1000)})
        return list(data.get("info", [])), "" if data.get("is_last") else str(data.get("next_cursor") or "")

    # -- customer group chats ----------------------------------------------------------------------------------------

    def list_group_chats(self, cursor: str = "", limit: int = 1000, *, status_filter: int = 0,
                         owner_userids: Sequence[str] = ()) -> tuple[list[dict[str, Any]], str]:
        """``groupchat/list``: one page of ``[{chat_id, status}]`` (status 0 normal, 1 owner left, 2 inheriting,
        3 inherited) and the next cursor (``""`` after the last page). ``limit`` is 1..1000."""
        body = _clean({"status_filter": status_filter, "cursor": cursor or None, "limit": max(1, min(int(limit), 1000)),
                       "owner_filter": {"userid_list": list(owner_userids)} if owner_userids else None})
        data = self.call(CONTACT, "POST", f"{EC}/groupchat/list", json=body)
        return list(data.get("group_chat_list", [])), str(data.get("next_cursor") or "")

    def get_group_chat(self, chat_id: str, *, need_name: bool = True) -> dict[str, Any]:
        """``groupchat/get``: ``{chat_id, name, owner, create_time, notice, member_list, admin_list, member_version}``
        (40050 for a chat id WeCom does not know)."""
        data = self.call(CONTACT, "POST", f"{EC}/groupchat/get", json={"chat_id": chat_id, "need_name": int(need_name)})
        return dict(data.get("group_chat", {}))

    def transfer_group_chats(self, chat_ids: Sequence[str], new_owner: str, *,
                             resigned: bool = True) -> list[dict[str, Any]]:
        """``groupchat/transfer`` (owner left; ``resigned=False``: ``groupchat/onjob_transfer``) of at most 100 chats to
        ``new_owner``; returns ``failed_chat_list`` ``[{chat_id, errcode, errmsg}]`` (90500 owner has not left,
        90501 not a customer group chat). The change of owner itself is asynchronous."""
        path = f"{EC}/groupchat/transfer" if resigned else f"{EC}/groupchat/onjob_transfer"
        data = self.call(CONTACT, "POST", path, json={"chat_id_list": list(chat_ids), "new_owner": new_owner})
        return list(data.get("failed_chat_list", []))

    # -- group chat join ways ("加入群聊" QR codes) -------------------------------------------------------------------

    def add_join_way(self, *, scene: int, chat_ids: Sequence[str], auto_create_room: bool = True,
                     room_base_name: str | None = None, room_base_id: int | None = None, remark: str | None = None,
                     state: str | None = None) -> str:
        """``groupchat/add_join_way``: a join way over 1..5 chats (scene 1 mini program plugin, 2 QR code); with
        ``auto_create_room`` WeCom opens a new chat named ``room_base_name`` + number when the last one is full.
        Returns the ``config_id`` (read the QR with :meth:`get_join_way`)."""
        body = _clean({"scene": scene, "chat_id_list": list(chat_ids), "auto_create_room": int(auto_create_room),
                       "room_base_name": room_base_name, "room_base_id": room_base_id, "remark": remark,
                       "state": state})
        return str(self.call(CONTACT, "POST", f"{EC}/groupchat/add_join_way", json=body).get("config_id") or "")

    def get_join_way(self, config_id: str) -> dict[str, Any]:
        """``groupchat/get_join_way``: ``{config_id, scene, remark, auto_create_room, room_base_name, room_base_id,
        chat_id_list, qr_code, state}`` (41044 for an unknown ``config_id``)."""
        return dict(self.call(CONTACT, "POST", f"{EC}/groupchat/get_join_way", json={"config_id": config_id})
                    .get("join_way", {}))

    def update_join_way(self, config_id: str, *, scene: int, chat_ids: Sequence[str], auto_create_room: bool = True,
                        room_base_name: str | None = None, room_base_id: int | None = None,
                        remark: str | None = None, state: str | None = None) -> None:
        """``groupchat/update_join_way``: overwrites the whole configuration (fields left out are reset)."""
        body = _clean({"config_id": config_id, "scene": scene, "chat_id_list": list(chat_ids),
                       "auto_create_room": int(auto_create_room), "room_base_name": room_base_name,
                       "room_base_id": room_base_id, "remark": remark, "state": state})
        self.call(CONTACT, "POST", f"{EC}/groupchat/update_join_way", json=body)

    def delete_join_way(self, config_id: str) -> None:
        """``groupchat/del_join_way``."""
        self.call(CONTACT, "POST", f"{EC}/groupchat/del_join_way", json={"config_id": config_id})
