"""What the WeCom callback and welcome benchmarks share: a platform database with a tenant and its WeCom account,
the environment of the served processes, gunicorn and ``scrm worker`` processes, and an asyncio HTTP/1.1 load
generator (keep-alive connections, one request in flight per sender, latencies measured per request).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))

CORP_ID = "wwbenchcallback0001"
SECRETS = {"agent_secret": "bench-agent-secret", "contact_secret": "bench-contact-secret",
           "address_book_secret": "bench-book-secret"}
CALLBACK_TOKEN = "BenchCallbackToken0001"
AES_KEY = "B3nchEncodingAESKeyForCallbackBenchmark0001"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/scrm_bench_wecom"
REDIS_DEFAULT = "redis://127.0.0.1:6379/5"
GUNICORN = ["--workers", "2", "--worker-class", "gthread", "--threads", "16", "--keep-alive", "5",
            "--backlog", "2048", "--log-level", "warning"]
"""One gunicorn configuration for every measured app (2 cores: 2 processes, 16 threads each). 16 rather than 8
threads: the bare app is indifferent (4,077 against 4,249 requests/s, measured alternately), while callbacks wait on
a shared commit and 16 in flight per process make fuller batches (README, WeCom callbacks)."""


def serve_sandbox() -> str:
    """The WeCom sandbox served in this process on a free port; its base URL."""
    from scrm_wecom.sandbox import create_sandbox_app
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, create_sandbox_app(), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def build_platform(url: str, plugins: tuple[str, ...], namespace: str):
    """The host app on ``url`` (migrated) with ``plugins`` listed, its broker keys under ``namespace``."""
    from scrm.core import migrate
    from scrm.core.config import Settings
    from scrm.core.secrets import generate_key
    from scrm.hostapp import create_app

    instance = Path(tempfile.mkdtemp(prefix="scrm-bench-"))
    (instance / "plugins.toml").write_text("".join(f"[plugins.{name}]\n" for name in plugins))
    app = create_app(Settings(instance_path=instance, database_url=url, secret_key="bench",
                              plugins_toml=instance / "plugins.toml", encryption_key=generate_key()),
                     broker_namespace=namespace)
    plat = app.extensions["scrm"]
    migrate.upgrade(plat.engine, plat.registry)
    return app, plat


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


# -- the platform -------------------------------------------------------------------------------------------------------


@dataclass
class BenchPlatform:
    """A migrated database with tenant ``bench`` (wecom enabled) and its WeCom account; ``env`` serves it."""

    url: str
    broker_url: str | None
    instance: Path
    env: dict[str, str]
    tenant_id: int
    account_id: int


def database_url(kind: str, name: str) -> str:
    """A fresh database: PostgreSQL (``SCRM_BENCH_DATABASE_URL`` or a database of its own, schema emptied) or an
    SQLite file under ``bench/data/``."""
    if kind == "postgresql":
        from members_bench import prepare_postgres
        from sqlalchemy.engine import make_url

        url = os.environ.get("SCRM_BENCH_DATABASE_URL") or str(make_url(PG_DEFAULT).set(database=name))
        prepare_postgres(url)
        return url
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    path = data / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def clear_broker(broker_url: str | None, namespace: str = "scrm") -> None:
    if not broker_url:
        return
    import redis

    client = redis.Redis.from_url(broker_url)
    for key in client.scan_iter(f"{namespace}:*"):
        client.delete(key)
    client.close()


def provision(url: str, broker_url: str | None, api_base: str = "https://qyapi.weixin.qq.com") -> BenchPlatform:
    """Migrate, create tenant ``bench`` with wecom enabled and one WeCom account; returns how to serve it."""
    from scrm_wecom.accounts import AccountValues, save_account
    from sqlmodel import Session

    from scrm.core import migrate
    from scrm.core.config import Settings
    from scrm.core.platform import Platform
    from scrm.core.plugins.enablement import enable_plugin
    from scrm.core.secrets import generate_key
    from scrm.core.services.users import create_tenant

    instance = Path(tempfile.mkdtemp(prefix="scrm-bench-"))
    (instance / "plugins.toml").write_text("[plugins.wecom]\n", encoding="utf-8")
    env = {**os.environ, "SCRM_DATABASE_URL": url, "SCRM_INSTANCE_PATH": str(instance),
           "SCRM_PLUGINS_TOML": str(instance / "plugins.toml"), "SCRM_SECRET_KEY": secrets.token_hex(16),
           "SCRM_ENCRYPTION_KEY": generate_key()}
    env.pop("SCRM_SANDBOXES", None)
    if broker_url:
        env.update(SCRM_BROKER_URL=broker_url, SCRM_REDIS_URL=broker_url)
    else:
        env.pop("SCRM_BROKER_URL", None)
        env.pop("SCRM_REDIS_URL", None)
    settings = Settings(instance_path=instance, database_url=url, broker_url=broker_url, redis_url=broker_url,
                        secret_key=env["SCRM_SECRET_KEY"], encryption_key=env["SCRM_ENCRYPTION_KEY"],
                        plugins_toml=instance / "plugins.toml")
    clear_broker(broker_url)
    plat = Platform(settings)
    try:
        migrate.upgrade(plat.engine, plat.registry)
        with Session(plat.engine, expire_on_commit=False) as session:
            tenant = create_tenant(session, "bench", "Bench Brand")
            enable_plugin(session, plat.registry, tenant, "wecom", None)
            account = save_account(session, plat.secrets, tenant.id, AccountValues(
                name="Bench corp", corp_id=CORP_ID, agent_id=1000002, api_base=api_base,
                secrets={**SECRETS, "callback_token": CALLBACK_TOKEN, "encoding_aes_key": AES_KEY}))
            session.commit()
            return BenchPlatform(url, broker_url, instance, env, tenant.id, account.id)
    finally:
        plat.close()


# -- processes ----------------------------------------------------------------------------------------------------------


class Served:
    """A process this benchmark started (gunicorn, ``scrm worker``); stopped by its own process group."""

    def __init__(self, args: list[str], env: dict[str, str], port: int | None = None) -> None:
        self.port = port
        self.process = subprocess.Popen(args, env=env, cwd=str(ROOT), start_new_session=True)
        if port is not None:
            self._wait_for_port(port)

    def _wait_for_port(self, port: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.process.args[0]} exited with {self.process.returncode}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.2)
        raise SystemExit(f"nothing answered on port {port}")

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the processes of this one's group (gunicorn's master and workers)."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == self.process.pid:  # field 5 of /proc/<pid>/stat: the process group
                total += int(fields[11]) + int(fields[12])  # fields 14 and 15: utime, stime (clock ticks)
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine so far (every process: gunicorn, PostgreSQL, Redis, the load generator)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def gunicorn(app_spec: str, env: dict[str, str], extra_path: Path | None = None,
             options: list[str] | None = None) -> Served:
    port = free_port()
    args = [str(BIN / "gunicorn"), *(GUNICORN if options is None else options), "--bind", f"127.0.0.1:{port}"]
    if extra_path is not None:
        args += ["--pythonpath", str(extra_path)]
    return Served([*args, app_spec], env, port)


SANDBOX = ["--workers", "1", "--worker-class", "gthread", "--threads", "64", "--log-level", "warning"]
"""The WeCom sandbox keeps its state in one process; its threads mostly wait out the simulated API latency."""


def sandbox_server(env: dict[str, str]) -> tuple[str, Served]:
    """The WeCom sandbox in a process of its own (as WeCom's servers are not on the load generator's interpreter):
    its base URL and the process."""
    served = gunicorn("scrm_wecom.sandbox:create_sandbox_app()", env, options=SANDBOX)
    return f"http://127.0.0.1:{served.port}", served


def scrm_worker(env: dict[str, str], threads: int = 8, queues: str | None = None) -> Served:
    args = [str(BIN / "scrm"), "worker", "--threads", str(threads)]
    if queues:
        args += ["--queues", queues]
    return Served(args, env)


# -- callbacks and load -------------------------------------------------------------------------------------------------


def encrypted_callback(account_id: int, xml: str, host: str) -> bytes:
    """One raw HTTP request: the callback ``xml`` encrypted as WeCom does, POSTed to the account's callback URL."""
    from scrm.sdk.wechat import WeChatCrypto, build_xml

    crypto = WeChatCrypto(CALLBACK_TOKEN, AES_KEY, CORP_ID)
    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    encrypt, signature = crypto.encrypt_message(xml, timestamp, nonce)
    body = build_xml({"ToUserName": CORP_ID, "Encrypt": encrypt, "AgentID": 1000002}).encode("utf-8")
    query = urlencode({"msg_signature": signature, "timestamp": timestamp, "nonce": nonce})
    head = (f"POST /callbacks/wecom/{account_id}?{query} HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("ascii") + body


async def _sender(port: int, pending: list[bytes], results: list[tuple[int, float]]) -> None:
    reader = writer = None
    while pending:
        raw = pending.pop()
        if writer is None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = time.perf_counter()
        writer.write(raw)
        await writer.drain()
        status_line = await reader.readline()
        length, close = 0, False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        if length:
            await reader.readexactly(length)
        parts = status_line.split()
        results.append((int(parts[1]) if len(parts) > 1 else 0, time.perf_counter() - started))
        if close or not status_line:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def blast(port: int, requests: list[bytes], concurrency: int) -> tuple[float, list[tuple[int, float]]]:
    """Send ``requests`` with ``concurrency`` keep-alive senders; returns (seconds, [(status, latency)])."""
    pending = list(reversed(requests))
    results: list[tuple[int, float]] = []

    async def run() -> None:
        await asyncio.gather(*(_sender(port, pending, results) for _ in range(concurrency)))

    started = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - started, results
