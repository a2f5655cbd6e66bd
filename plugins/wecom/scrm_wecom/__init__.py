"""The WeCom (企业微信) channel plugin: corp accounts, the API client, callbacks and the local WeCom sandbox.

Public API for the plugins that list ``"wecom"`` in ``requires`` (community, red packets, customer service). They
import these names from ``scrm_wecom`` and nothing deeper (the architecture test and ``scrm plugin check`` refuse
``scrm_wecom.<module>``); everything else in this package may change without notice.

Client for an account
    ``WeComClient.for_account(account, platform)`` calls WeCom with the account's cached access tokens (one retry
    on an invalid token, backoff on rate limits); ``SecretKind`` picks the secret a call uses; ``WeComUnavailable``
    and ``scrm.sdk.wechat.WeChatAPIError`` are what calls raise. ``wecom_accounts`` / ``find_account`` read the
    tenant's corp accounts, ``account_for_employee`` the account that reaches one employee, and
    ``AccountNotConfigured`` says an account lacks a secret; ``WeComCredentials`` are an account's decrypted
    settings (never log them).
Employees and follow relations
    Employees are the core ``scrm.sdk.Employee`` rows (the address-book sync keeps them, linking each to its corp
    through ``SyncMember``). ``Follow`` is one employee ↔ customer friendship (``FollowStatus``).
Group chats and their members
    ``GroupChat``, ``GroupMember`` (``MemberType``), ``ChatStatus``.
Corp tags
    Core ``Tag`` / ``TagGroup`` rows of source ``"wecom"``: ``corp_tags`` and ``corp_tag_groups`` list them,
    ``corp_tag_ids`` maps WeCom tag ids to rows, ``mark_corp_tags`` tags a follow relation in WeCom and locally.
App messages to employees
    ``queue_app_message(session, tenant_id, employee_id=..., content=AppText(...) | AppTextCard(...), key=...)``
    sends an app message to one employee, ledgered and retried.
Group welcome templates
    ``group_welcome_templates(session, tenant_id, account_id=None)`` lists the tenant's templates registered with
    WeCom (``GroupWelcome``: id, account_id, WeCom ``template_id``, text, kind, attachment), newest first.
Material centre
    ``material_choices(session, tenant_id, kinds=None)`` lists the materials a form may offer (``[(id, label)]``);
    ``wecom_attachments(session, tenant_id, material_ids, client)`` turns materials into WeCom's ``attachments`` JSON
    (media uploaded and cached per account), ``MaterialAttachmentError`` when one cannot be sent.

Names resolve on first use (``scrm_wecom.WeComClient`` imports the client then), so importing this package stays
cheap and free of import cycles.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> (module inside this package, attribute)
_EXPORTS: dict[str, tuple[str, str]] = {
    # the client of an account
    "WeComClient": ("client", "WeComClient"),
    "WeComUnavailable": ("client", "WeComUnavailable"),
    "SecretKind": ("accounts", "SecretKind"),
    "AccountNotConfigured": ("accounts", "AccountNotConfigured"),
    "WeComCredentials": ("accounts", "WeComCredentials"),
    "wecom_accounts": ("accounts", "list_accounts"),
    "find_account": ("accounts", "find_account"),
    "account_for_employee": ("messaging.outbound", "account_for"),
    # employees and follow relations
    "Follow": ("sync.models", "Follow"),
    "FollowStatus": ("sync.models", "FollowStatus"),
    "SyncMember": ("sync.models", "SyncMember"),
    # group chats and their members
    "GroupChat": ("groupchats.models", "GroupChat"),
    "GroupMember": ("groupchats.models", "GroupMember"),
    "MemberType": ("groupchats.models", "MemberType"),
    "ChatStatus": ("groupchats.models", "ChatStatus"),
    # corp tags
    "corp_tags": ("sync.wecom_tags", "wecom_tags"),
    "corp_tag_groups": ("sync.wecom_tags", "wecom_groups"),
    "corp_tag_ids": ("sync.wecom_tags", "tag_id_map"),
    "mark_corp_tags": ("sync.wecom_tags", "mark_tags"),
    # app messages to employees
    "queue_app_message": ("messaging.outbound", "queue_app_message"),
    "AppText": ("messaging.content", "Text"),
    "AppTextCard": ("messaging.content", "TextCard"),
    # group welcome templates (the community plugin lists them for its groups)
    "GroupWelcome": ("group_welcome", "GroupWelcome"),
    "group_welcome_templates": ("group_welcome", "group_welcome_templates"),
    # the material centre (mass sends, welcomes and the community plugin attach its materials)
    "material_choices": ("materials.attachments", "choices"),
    "wecom_attachments": ("materials.attachments", "wecom_attachments"),
    "MaterialAttachmentError": ("materials.attachments", "AttachmentError"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Resolve a public name on first use (PEP 562) and keep it in the module."""
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'scrm_wecom' has no attribute '{name}'") from None
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
