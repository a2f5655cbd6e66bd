"""``sample_sms``: the channel plugin class, everything the platform asks of a channel in one place."""

from __future__ import annotations

from scrm.sdk import (
    ChannelPlugin,
    CheckResult,
    MessageKind,
    SendResult,
    account_credentials,
    current_bus,
    hookimpl,
)

from . import callbacks, provider
from .settings import SampleSmsAccount, generate_secret
from .timeline import timeline_entries


def _secrets(account) -> dict:
    return account_credentials(current_bus().platform.secrets, account)


def _request_body(account, outgoing) -> dict:
    message = outgoing.message
    body = {"sender": account.external_id, "to": outgoing.recipient, "kind": str(message.kind),
            "key": outgoing.idempotency_key}
    if message.kind == MessageKind.TEMPLATE:
        body.update(template=message.payload.get("template_id"), params=message.payload.get("params") or {})
    else:
        body["text"] = message.payload.get("content")
    return body


class SampleSmsChannel(ChannelPlugin):
    """Text and template SMS through the Sample SMS provider, 10 messages per second per account by default."""

    title = "Sample SMS"
    description = "A small SMS channel built on the SDK's channel kit (the example of the host's tests)."
    hidden = True
    migrations_folder = None
    capabilities = (MessageKind.TEXT, MessageKind.TEMPLATE)
    rate_limit = 10.0
    account_settings_model = SampleSmsAccount

    # -- accounts ------------------------------------------------------------------------------------------------

    def generate_account_secret(self, field: str) -> str:
        return generate_secret(field)

    def check_account(self, account, credentials):
        try:
            answer = provider.call(account.config.get("api_base", ""), credentials.get("api_key", ""), "GET",
                                   "/v1/account", timeout=3)
        except provider.ProviderError as exc:
            return CheckResult(False, f"{exc.code} {exc.message}".strip(), {"api_key": {"ok": False}})
        except (provider.Unreachable, OSError) as exc:
            return CheckResult(False, f"unreachable: {exc}", {"api_key": {"ok": False}})
        if answer.get("sender") != account.external_id:
            return CheckResult(False, f"the key belongs to sender {answer.get('sender')}", {"api_key": {"ok": False}})
        return CheckResult(True, "ok", {"api_key": {"ok": True}})

    # -- sending -------------------------------------------------------------------------------------------------

    def deliver(self, account, outgoing):
        try:
            answer = provider.call(account.config["api_base"], _secrets(account).get("api_key", ""), "POST",
                                   "/v1/messages", _request_body(account, outgoing))
        except provider.ProviderError as exc:
            return SendResult.failed(exc.code, exc.message, retryable=exc.retryable)
        except provider.Unreachable as exc:
            return SendResult.failed("unreachable", str(exc), retryable=True)
        return SendResult.sent(answer["message_id"])

    def query_outcome(self, account, outgoing):
        """The provider answers by idempotency key, so an unknown outcome is resolved, never sent twice."""
        try:
            answer = provider.call(account.config["api_base"], _secrets(account).get("api_key", ""), "GET",
                                   "/v1/messages", query={"key": outgoing.idempotency_key}, timeout=5)
        except provider.ProviderError as exc:
            return SendResult.failed("not_sent", exc.message) if exc.status == 404 else None
        return SendResult.sent(answer["message_id"])

    # -- receiving -----------------------------------------------------------------------------------------------

    def handle_callback(self, account, request, session):
        return callbacks.handle_callback(account, request)

    def sandbox_app(self, state_path=None):
        from .sandbox import SampleSmsSandbox

        return SampleSmsSandbox(state_path)

    @hookimpl
    def timeline_entries(self, tenant, events, session):
        return timeline_entries(tenant, events)
