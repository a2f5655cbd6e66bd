"""Platform settings read from the environment, with embedded defaults for one machine and no services."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _instance_path() -> Path:
    return Path(os.environ.get("SCRM_INSTANCE_PATH", Path.cwd() / "instance")).resolve()


def _persisted_secret(path: Path, generate) -> str:
    """Read a generated secret from the instance folder, creating it on first use (mode 600)."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def _proxy_count(raw: str) -> int:
    """``SCRM_PROXY_FIX``: unset or ``0`` for none, ``1``/``true`` for one proxy, or the number of proxies."""
    raw = raw.strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return 0
    if raw in ("true", "yes", "on"):
        return 1
    if not raw.isdigit():
        raise ValueError(f"SCRM_PROXY_FIX must be a number of proxies, not {raw!r}")
    return int(raw)


INBOX_ENV = {"inbox_grace_seconds": "SCRM_INBOX_GRACE_SECONDS", "inbox_recovery_batch": "SCRM_INBOX_RECOVERY_BATCH",
             "inbox_max_attempts": "SCRM_INBOX_MAX_ATTEMPTS"}


@dataclass
class Settings:
    """What the platform needs to start. Unset values fall back to the embedded defaults."""

    instance_path: Path = field(default_factory=_instance_path)
    database_url: str | None = None
    broker_url: str | None = None
    redis_url: str | None = None
    secret_key: str | None = None
    encryption_key: str | None = None
    plugins_toml: Path | None = None
    #: failed sign-ins allowed per (client IP, account) within ``login_window_seconds``
    login_max_failures: int = 5
    #: failed sign-ins allowed per client IP over all accounts (password spraying; high enough for an office NAT)
    login_max_failures_per_ip: int = 50
    login_window_seconds: int = 900
    #: how many reverse proxies in front of the host set ``X-Forwarded-For`` / ``-Proto`` / ``-Host`` (0: none;
    #: never trust those headers without a proxy that overwrites them)
    proxy_count: int = 0
    #: the URL users reach the host at; ``https://...`` turns on ``Secure`` cookies (and HSTS on HTTPS requests)
    public_url: str | None = None
    #: mount every channel plugin's sandbox at ``/sandbox/<plugin>`` (``scrm demo``, ``scrm serve --sandboxes``);
    #: never in production: a sandbox answers anyone, without signing in
    sandboxes: bool = False
    #: seconds a stored callback may wait for its processing before the inbox recovery counts it as stuck
    #: (``SCRM_INBOX_GRACE_SECONDS``)
    inbox_grace_seconds: int = 120
    #: stuck callbacks the inbox recovery re-runs per tick at most (``SCRM_INBOX_RECOVERY_BATCH``)
    inbox_recovery_batch: int = 500
    #: re-runs after which a callback that still is not processed ends failed (``SCRM_INBOX_MAX_ATTEMPTS``)
    inbox_max_attempts: int = 5

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = os.environ
        values = dict(
            database_url=env.get("SCRM_DATABASE_URL"),
            broker_url=env.get("SCRM_BROKER_URL"),
            redis_url=env.get("SCRM_REDIS_URL") or env.get("SCRM_BROKER_URL"),
            secret_key=env.get("SCRM_SECRET_KEY"),
            encryption_key=env.get("SCRM_ENCRYPTION_KEY"),
            plugins_toml=Path(env["SCRM_PLUGINS_TOML"]) if env.get("SCRM_PLUGINS_TOML") else None,
            sandboxes=env.get("SCRM_SANDBOXES", "").strip().lower() in ("1", "true", "yes", "on"),
            proxy_count=_proxy_count(env.get("SCRM_PROXY_FIX", "")),
            public_url=env.get("SCRM_PUBLIC_URL") or None,
            **{name: int(env[var]) for name, var in INBOX_ENV.items() if env.get(var, "").strip()},
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def __post_init__(self) -> None:
        self.instance_path = Path(self.instance_path)
        if not self.database_url:
            self.instance_path.mkdir(parents=True, exist_ok=True)
            self.database_url = f"sqlite:///{self.instance_path / 'scrm.db'}"
        if not self.secret_key:
            self.secret_key = _persisted_secret(self.instance_path / "secret_key", lambda: secrets.token_hex(32))
        if not self.encryption_key:
            from .secrets import generate_key

            self.encryption_key = _persisted_secret(self.instance_path / "encryption_key", generate_key)
        if self.plugins_toml is None:
            self.plugins_toml = Path(os.environ.get("SCRM_PLUGINS_TOML", Path.cwd() / "plugins.toml"))
