"""The ``Plugin`` and ``ChannelPlugin`` bases: metadata a plugin declares on its class."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel


class Plugin:
    """Base class of every plugin. The entry point in group ``scrm.plugins`` names the class; its name is the plugin name.

    Metadata is declared on the class (``title``, ``description``, ``category``, ``api``, ``requires``,
    ``settings_model``, ``permissions``); the version is read from the installed distribution, never typed twice.
    Hook implementations are methods decorated with ``hookimpl``.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""
    category: ClassVar[str] = "feature"
    api: ClassVar[str] = ">=1,<2"
    requires: ClassVar[tuple[str, ...]] = ()
    settings_model: ClassVar[type[BaseModel] | None] = None
    permissions: ClassVar[tuple[str, ...]] = ()
    #: an example or test plugin: left off a tenant's plugins page and navigation for everyone but platform admins
    hidden: ClassVar[bool] = False
    #: the folder (inside the plugin's package) of its alembic lineage; None for a plugin without tables
    migrations_folder: ClassVar[str | None] = "migrations"

    def __init__(self, name: str | None = None, distribution: str | None = None) -> None:
        if name:
            self.name = name
        self.distribution = distribution

    @property
    def version(self) -> str:
        if not self.distribution:
            return "0"
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            return "0"

    @property
    def package_path(self) -> Path:
        import sys

        return Path(sys.modules[type(self).__module__].__file__).resolve().parent

    @property
    def migrations_path(self) -> Path | None:
        """The folder of the plugin's alembic lineage, if it has tables."""
        if not self.migrations_folder:
            return None
        path = self.package_path / self.migrations_folder
        return path if (path / "env.py").exists() else None

    @property
    def translations_path(self) -> Path | None:
        path = self.package_path / "translations"
        return path if path.is_dir() else None

    def import_jobs(self) -> None:
        """Import the plugin's ``jobs`` module (if it has one) so its actors are declared before workers start."""
        import importlib
        import importlib.util

        package = type(self).__module__.rsplit(".", 1)[0]
        name = f"{package}.jobs"
        if package != type(self).__module__ and importlib.util.find_spec(name) is not None:
            importlib.import_module(name)

    def validate_settings(self, data: dict[str, Any] | None) -> dict[str, Any]:
        """Validate tenant settings against ``settings_model``; raises ``pydantic.ValidationError``."""
        if self.settings_model is None:
            return {}
        return self.settings_model.model_validate(data or {}).model_dump(mode="json")

    def default_settings(self) -> dict[str, Any]:
        return self.validate_settings({}) if self.settings_model else {}


class ChannelPlugin(Plugin):
    """A plugin that connects an external channel (WeCom, an official account, SMS, pay ...).

    Sending: features never call a provider; they call ``scrm.sdk.send_message`` (or ``plan_bulk_send``), which
    checks ``capabilities``, writes the ledger row and enqueues the send job; the job waits for the account's rate
    (``rate_limit``) and calls ``deliver`` once per message. Delivery reports arriving in callbacks go to
    ``scrm.sdk.mark_delivery_report``.

    Receiving: ``handle_callback`` receives the provider's callbacks routed by the host gateway
    ``/callbacks/<plugin>/<account_id>``; ``sandbox_app`` returns a WSGI app that simulates the provider for tests and
    demos.
    """

    category: ClassVar[str] = "channel"
    #: the message kinds this channel can send (``MessageKind`` values or the channel's own kinds); the platform
    #: refuses any other kind with ``UnsupportedMessageKind`` before writing anything
    capabilities: ClassVar[tuple[str, ...]] = ()
    #: messages per second one account may send (None: unlimited); an account overrides it with
    #: ``config["rate_limit"]``. The platform spaces each account's provider calls to this rate across every worker
    #: process (Redis when configured, in process otherwise)
    rate_limit: ClassVar[float | None] = None

    def account_rate_limit(self, account) -> float | None:
        """The rate (messages per second) the platform holds ``account`` to: its ``config["rate_limit"]`` when set
        (a positive number), else the class's ``rate_limit``."""
        value = (getattr(account, "config", None) or {}).get("rate_limit")
        try:
            rate = float(value) if value is not None else None
        except (TypeError, ValueError):
            rate = None
        return rate if rate and rate > 0 else self.rate_limit

    def handle_callback(self, account, request, session):  # pragma: no cover - interface
        """Verify, decrypt, store and enqueue one callback; return a Flask response within a second.

        ``account`` is a read-only snapshot shared by concurrent requests (load it in ``session`` to change it).
        Store through ``platform.inbox.store(Inbound(...))`` (``scrm.core.inbox``): group-committed with the
        callbacks arriving together, its jobs enqueued in the same broker round trip."""
        raise NotImplementedError

    def deliver(self, account, outgoing):  # pragma: no cover - interface
        """Make the provider call for ONE message and return a ``SendResult`` (``scrm.sdk``).

        ``account`` is a detached ``ChannelAccount`` (read credentials with ``scrm.sdk.account_credentials``);
        ``outgoing`` is an ``Outgoing``: recipient address, ``OutboundMessage``, idempotency key, attempt number.
        Called by the platform's send job, outside any database transaction, after the account's rate allows it and
        after the ledger row was claimed (``sending``), so it runs at most once per claim.

        Return ``SendResult.sent(provider_message_id)`` when the provider took the message, or
        ``SendResult.failed(code, message, retryable=...)``: ``retryable=True`` only when the provider surely did not
        take it (rate limited, busy, connection refused); the platform retries with backoff and marks the row failed
        with the code after the last attempt. Raising an exception means the outcome is unknown (a timeout after the
        request went out): the row is resolved by ``query_outcome``, or failed with ``unknown_outcome``; it is never
        sent again blindly."""
        raise NotImplementedError

    def query_outcome(self, account, outgoing):
        """Ask the provider what became of a send whose outcome is unknown (the worker died mid-call, or ``deliver``
        raised). Return a ``SendResult`` when the provider knows (e.g. looked up by the idempotency key), or None:
        the row is then marked failed with ``unknown_outcome``. The default knows nothing."""
        return None

    def sandbox_app(self, state_path=None):  # pragma: no cover - interface
        """A WSGI app simulating the provider's API, following its documented protocol.

        With ``state_path`` (a file), the simulator keeps its state there across restarts (the demo mounts it in the
        served platform); without, it starts empty and lives in memory (tests)."""
        return None

    # -- channel accounts: the host's one accounts UI (list, add, edit, check, rotate, disable) -------------------
    # The host mounts the pages at /t/<tenant>/channels/<plugin>/accounts for every enabled channel that declares an
    # ``account_settings_model``, and lists them in the ``settings.channels`` navigation group under ``title``.

    #: the pydantic model of one account's settings: its fields are the form. ``name`` is the account's name; the
    #: field marked ``json_schema_extra={"account": "external_id"}`` is the provider's id of the account; ``SecretStr``
    #: fields (or ``json_schema_extra={"secret": True}``) are secrets: write-only (never rendered back; left empty on
    #: edit, the stored value is kept) and encrypted at rest; the other fields are kept in ``account.config``. A
    #: ``json_schema_extra={"generate": True}`` secret is one the platform generates (a callback token) and may
    #: rotate: see ``generate_account_secret``. None: the channel has no accounts pages.
    account_settings_model: ClassVar[type | None] = None

    def generate_account_secret(self, field: str) -> str:  # pragma: no cover - interface
        """A fresh random value for secret ``field`` (one marked ``generate``): used when the field is left empty on
        creation and by "rotate", which shows the new value once so that the provider can be configured with it."""
        raise NotImplementedError

    def check_account(self, account, credentials):  # pragma: no cover - interface
        """Check ``account``'s settings against the provider and return a ``CheckResult`` (``scrm.sdk``): ``ok``,
        a short message (the provider's error code and text when not ok) and details per credential.

        ``account`` is the ``ChannelAccount`` (its ``external_id`` and ``config``), ``credentials`` its decrypted
        secrets (a dict). Called by the accounts page's "Check credentials" inside a request: keep it to a few
        seconds (short timeouts), never raise for a provider error (return ``CheckResult(False, ...)``)."""
        raise NotImplementedError

    def account_links(self, account) -> list[tuple[str, str]]:
        """Extra pages of one account that the channel serves itself, as ``(label, endpoint)`` pairs: the accounts
        page links them (``url_for(endpoint, account_id=account.id)``). None by default."""
        return []
