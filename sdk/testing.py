"""pytest fixtures for the host and for plugin authors (loaded automatically through the ``pytest11`` entry point).

The suite runs on SQLite by default. ``SCRM_TEST_DATABASE_URL`` runs it on PostgreSQL (the database is emptied
first), ``SCRM_TEST_REDIS_URL`` puts the job bus on Redis. Under ``CI=true`` an unreachable service fails the run
instead of skipping. ``SCRM_TEST_PLUGINS_TOML`` names the manifest; by default every installed plugin is listed.

Fixtures: ``scrm_app`` / ``app`` (the Flask host, one per test session, schema migrated), ``client``, ``db``
(a session; every table is emptied after each test), ``tenant`` and ``other_tenant``, ``enable_plugins``,
``admin_user``, ``login``, ``api_token``, ``broker`` and ``worker`` (the job bus with a running worker),
``channel_sandbox``, and for browser tests ``live_server`` and ``page`` (Playwright on Debian's Chromium).
For channel plugins: ``make_customer``, ``make_channel_account`` and ``signed_callback`` (at the end of this module,
with what a plugin's tests need to know about SQLite's writer lock).

No test leaves the machine: a connection or name lookup for a host outside loopback raises
``NetworkAccessBlocked`` and fails the test (see ``install_network_guard``).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("SCRM_CHROMIUM", "/usr/bin/chromium")
ADMIN_PASSWORD = "correct-horse-battery"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_service(reason: str) -> None:
    """Skip the test, or fail it under CI=true, when a service it needs is missing."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: services must be reachable)")
    pytest.skip(reason)


# -- no network beyond loopback -------------------------------------------------------------------------------------
# Every test runs with this guard: a connection or a name lookup for a host outside loopback raises
# NetworkAccessBlocked, and the test fails at teardown even when the code under test swallowed the error (a worker
# thread that logs and retries, a client that maps errors to "unavailable").

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_blocked: list[str] = []
_blocked_lock = threading.Lock()
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_create_connection = socket.create_connection
_real_getaddrinfo = socket.getaddrinfo


class NetworkAccessBlocked(RuntimeError):
    """A test tried to reach a host outside 127.0.0.1 / ::1 (tests never leave the machine)."""


def is_loopback_host(host: Any) -> bool:
    """True for loopback addresses and names (``127.0.0.0/8``, ``::1``, ``localhost``), and for no host at all
    (``None`` / ``""``: a bind or a lookup of the local wildcard)."""
    import ipaddress

    if host is None or host == "" or host == b"":
        return True
    if isinstance(host, bytes):
        host = host.decode("idna", "replace")
    host = str(host).strip("[]").rstrip(".").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _refuse(what: str, host: Any, port: Any = None) -> None:
    target = f"{host}:{port}" if port is not None else str(host)
    message = (f"{what} {target} refused: tests may only reach 127.0.0.1 / ::1 / localhost "
               "(point the client at a local server or a channel sandbox)")
    with _blocked_lock:
        _blocked.append(message)
    raise NetworkAccessBlocked(message)


def _inet_address(sock: socket.socket, address: Any) -> bool:
    return sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) and len(address) >= 2


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if _inet_address(self, address) and not is_loopback_host(address[0]):
        _refuse("connection to", address[0], address[1])
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if _inet_address(self, address) and not is_loopback_host(address[0]):
        _refuse("connection to", address[0], address[1])
    return _real_connect_ex(self, address)


def _guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
    if not is_loopback_host(address[0]):
        _refuse("connection to", address[0], address[1])
    return _real_create_connection(address, *args, **kwargs)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not is_loopback_host(host):
        _refuse("name lookup of", host)
    return _real_getaddrinfo(host, *args, **kwargs)


def install_network_guard() -> None:
    """Refuse connections and name lookups outside loopback in this process (idempotent)."""
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.create_connection = _guarded_create_connection
    socket.getaddrinfo = _guarded_getaddrinfo


def blocked_network_attempts() -> list[str]:
    """The attempts refused since the last call (and forgets them): what the guard's teardown check reports."""
    with _blocked_lock:
        attempts = list(_blocked)
        _blocked.clear()
    return attempts


def pytest_configure(config) -> None:
    install_network_guard()


@pytest.fixture(autouse=True)
def _no_network_beyond_loopback() -> Iterator[None]:
    """Fails the test that tried to reach a host outside loopback, even if the code swallowed the error."""
    blocked_network_attempts()
    yield
    attempts = blocked_network_attempts()
    if attempts:
        pytest.fail("the test tried to leave the machine:\n  " + "\n  ".join(dict.fromkeys(attempts)),
                    pytrace=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _reset_database(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except Exception as exc:
        engine.dispose()
        require_service(f"PostgreSQL at {url} is unreachable: {exc}")
    engine.dispose()


def _check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        require_service(f"Redis at {url} is unreachable: {exc}")


def _all_plugins_manifest(path: Path) -> Path:
    import importlib.metadata

    names = sorted({ep.name for ep in importlib.metadata.entry_points(group="scrm.plugins")})
    path.write_text("".join(f"[plugins.{name}]\n" for name in names), encoding="utf-8")
    return path


def xdist_worker() -> str | None:
    """The pytest-xdist worker this process is (``gw0``, ``gw1`` ...), None when the suite runs in one process."""
    return os.environ.get("PYTEST_XDIST_WORKER") or None


def _worker_database(url: str, worker: str) -> str:
    """``url`` with the database ``<name>_<worker>``, created when missing (each xdist worker gets its own)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first() is None:
                conn.execute(text(f"CREATE DATABASE {_quoted(name)}"))
    except Exception as exc:
        require_service(f"PostgreSQL at {url} is unreachable: {exc}")
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def scrm_test_database_url(tmp_path_factory) -> str:
    """The session's database: a SQLite file of its own (per xdist worker too), or under ``SCRM_TEST_DATABASE_URL``
    that PostgreSQL database emptied first (``<name>_gw0``, ``<name>_gw1`` ... per xdist worker)."""
    url = os.environ.get("SCRM_TEST_DATABASE_URL")
    if url:
        worker = xdist_worker()
        if worker:
            url = _worker_database(url, worker)
        _reset_database(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def scrm_test_redis_url() -> str | None:
    url = os.environ.get("SCRM_TEST_REDIS_URL")
    if url:
        _check_redis(url)
    return url


@pytest.fixture(scope="session")
def scrm_plugins_toml(tmp_path_factory) -> Path:
    """The manifest the test app loads; override this fixture to choose plugins."""
    env = os.environ.get("SCRM_TEST_PLUGINS_TOML")
    if env:
        return Path(env)
    return _all_plugins_manifest(tmp_path_factory.mktemp("manifest") / "plugins.toml")


@pytest.fixture(scope="session")
def scrm_settings(tmp_path_factory, scrm_test_database_url, scrm_test_redis_url, scrm_plugins_toml):
    from scrm.core.config import Settings
    from scrm.core.secrets import generate_key

    return Settings(
        instance_path=tmp_path_factory.mktemp("instance"), database_url=scrm_test_database_url,
        broker_url=scrm_test_redis_url, redis_url=scrm_test_redis_url, secret_key="test-secret-key",
        encryption_key=generate_key(), plugins_toml=scrm_plugins_toml,
    )


@pytest.fixture(scope="session")
def scrm_app(scrm_settings):
    """The host application for the whole session, its schema migrated (core, then every plugin)."""
    from scrm.core import migrate
    from scrm.hostapp import create_app

    # the namespace keeps the session's queues and cache keys apart from any other session on the same Redis
    # (parallel xdist workers, other runs)
    namespace = f"scrm-test-{xdist_worker() or 'main'}-{uuid.uuid4().hex[:8]}"
    app = create_app(scrm_settings, broker_namespace=namespace, testing=True)
    app.config["WTF_CSRF_ENABLED"] = False
    plat = app.extensions["scrm"]
    migrate.upgrade(plat.engine, plat.registry)
    yield app
    plat.bus.flush()
    plat.close()


@pytest.fixture
def app(scrm_app):
    yield scrm_app
    _empty_tables(scrm_app)


def _empty_tables(app) -> None:
    """Empty every table a test wrote to, and reset the identity sequences it used (ids start at 1 again).

    One query finds the tables that hold rows; only those are emptied, children first, with DELETE. Emptying every
    table with one TRUNCATE cost about 2 s per test on PostgreSQL (a file swap per table), the probe and the DELETEs
    a few milliseconds. Transactions rolled back after each test cannot replace this: the worker threads, the
    callback inbox, live servers and the SQLite writer use connections of their own."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError
    from sqlmodel import SQLModel

    plat = app.extensions["scrm"]
    plat.bus.stop_worker()
    plat.bus.flush()
    plat.relays._cache.clear()
    plat.bus.enablement.forget()
    plat.accounts.forget()
    ordered = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]  # children before their parents
    with plat.engine.begin() as conn:
        postgresql = conn.dialect.name == "postgresql"
        if postgresql:
            existing = set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='public'")).scalars())
        else:
            existing = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'")).scalars())
        used = _tables_with_rows(conn, [t for t in ordered if t in existing])
    try:
        with plat.engine.begin() as conn:
            for table in used:
                conn.execute(text(f'DELETE FROM "{table}"'))
    except DBAPIError:  # a reference the metadata's order does not know: let the database sort it out
        if not postgresql:
            raise
        with plat.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(_quoted(t) for t in used)} CASCADE"))
    if postgresql:
        with plat.engine.begin() as conn:
            conn.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
                              "FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"))
    cache = plat.cache
    if hasattr(cache, "client"):
        for key in cache.client.scan_iter(f"{cache.prefix}*"):
            cache.client.delete(key)
    elif hasattr(cache, "_data"):
        cache._data.clear()


def _quoted(table: str) -> str:
    return '"' + table.replace('"', '""') + '"'


def _tables_with_rows(conn, tables: list[str], chunk: int = 200) -> list[str]:
    """The tables of ``tables`` that hold at least one row, in the given order (one query per ``chunk`` tables)."""
    from sqlalchemy import text

    found: set[str] = set()
    for start in range(0, len(tables), chunk):
        part = tables[start:start + chunk]
        probe = " UNION ALL ".join(f"SELECT {i} AS n WHERE EXISTS (SELECT 1 FROM {_quoted(t)})"
                                   for i, t in enumerate(part))
        found.update(part[n] for n in conn.execute(text(probe)).scalars())
    return [t for t in tables if t in found]


@pytest.fixture
def platform(app):
    return app.extensions["scrm"]


@pytest.fixture
def client(app):
    """A test client that browses like an English-speaking browser (``Accept-Language: en``); GET /lang/zh_CN
    switches it to Chinese."""
    test_client = app.test_client()
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return test_client


@pytest.fixture
def db(app) -> Iterator[Any]:
    from sqlmodel import Session

    with Session(app.extensions["scrm"].engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def make_tenant(app, db) -> Callable[..., Any]:
    from scrm.core.services.users import create_tenant

    def make(slug: str, name: str | None = None):
        tenant = create_tenant(db, slug, name or slug.title())
        db.commit()
        return tenant

    return make


@pytest.fixture
def tenant(make_tenant):
    return make_tenant("acme", "Acme Cosmetics")


@pytest.fixture
def other_tenant(make_tenant):
    return make_tenant("globex", "Globex Retail")


@pytest.fixture
def enable_plugins(app, db) -> Callable[..., None]:
    """``enable_plugins(tenant, "members", "wecom", settings={"wecom": {...}})``."""
    from scrm.core.plugins.enablement import enable_plugin

    def enable(tenant, *names: str, settings: dict[str, dict] | None = None) -> None:
        registry = app.extensions["scrm"].registry
        tenant = db.merge(tenant)
        for name in names:
            enable_plugin(db, registry, tenant, name, (settings or {}).get(name))
        db.commit()
        db.refresh(tenant)

    return enable


@pytest.fixture
def admin_user(app, db):
    from scrm.core.services.users import create_user

    user = create_user(db, "admin@example.com", ADMIN_PASSWORD, name="Admin", platform_admin=True)
    db.commit()
    return user


@pytest.fixture
def make_user(app, db) -> Callable[..., Any]:
    """``make_user("op@acme.test", tenant, role="operator")``: a user with a membership (password ADMIN_PASSWORD)."""
    from scrm.core.models import DataScope, Role
    from scrm.core.services.users import add_member, create_user

    def make(email: str, tenant=None, role: str = "operator", scope: str = "all", employee_id: int | None = None):
        user = create_user(db, email, ADMIN_PASSWORD)
        if tenant is not None:
            add_member(db, db.merge(tenant), user, Role(role), DataScope(scope), employee_id)
        db.commit()
        return user

    return make


@pytest.fixture
def login(client) -> Callable[..., Any]:
    """``login(user)`` signs the test client in as ``user``."""

    def do_login(user, password: str = ADMIN_PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do_login


@pytest.fixture
def api_token(app, db) -> Callable[..., str]:
    """``api_token(tenant)`` returns a bearer token value; ``api_token(None)`` a platform token."""
    from scrm.core.services.tokens import issue_token

    def make(tenant, name: str = "test") -> str:
        value, _row = issue_token(db, tenant.id if tenant is not None else None, name, None)
        db.commit()
        return value

    return make


@pytest.fixture
def broker(app):
    """The application's job bus (Redis under SCRM_TEST_REDIS_URL, in-process otherwise)."""
    return app.extensions["scrm"].bus


@pytest.fixture
def worker(broker):
    """The job bus with a running worker; ``worker.join()`` waits until every queue is drained."""
    broker.start_worker(threads=2)
    yield broker
    broker.stop_worker()


@pytest.fixture
def channel_sandbox(app) -> Iterator[Callable[[str], str]]:
    """``channel_sandbox("wecom")`` serves that channel plugin's sandbox on a local port and returns its base URL."""
    from werkzeug.serving import make_server

    servers = []

    def start(plugin: str) -> str:
        channel = app.extensions["scrm"].registry.plugin(plugin)
        sandbox = channel.sandbox_app() if channel is not None else None
        if sandbox is None:
            raise LookupError(f"plugin '{plugin}' has no sandbox")
        server = make_server("127.0.0.1", 0, sandbox, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app served on a local port (threaded), for browser tests."""
    from werkzeug.serving import make_server

    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture(scope="session")
def chromium():
    """Playwright's Chromium API driving Debian's ``/usr/bin/chromium`` headless."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        require_service(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service("playwright is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server, locale="en-US")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def follow_menu(page: Any, endpoint: str) -> None:
    """Click the admin navigation entry of ``endpoint`` in a Playwright ``page`` as a user would: open the phone
    drawer when the menu button shows, open the entry's collapsed group, then follow the link."""
    toggle = page.locator("[data-testid=nav-toggle]")
    if toggle.count() and toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    link = page.locator(f"nav.sidebar a[data-endpoint='{endpoint}']")
    group = page.locator(f"nav.sidebar details.nav-group:has(a[data-endpoint='{endpoint}'])")
    if group.count() and group.get_attribute("open") is None:
        group.locator("summary").click()
    link.click()
    page.wait_for_load_state()


# ---------------------------------------------------------------------------------------------------------------------
# Channel kit fixtures: a customer, a channel account and a signed callback
#
# SQLite and the writer lock (what a plugin's tests need to know): SQLite has one writer at a time. Reads run outside a
# transaction and never wait; a session takes the write lock at its first write (``BEGIN IMMEDIATE``) and holds it
# until it commits or rolls back. So a test that writes with ``db`` and then waits for a job that writes (``worker``,
# ``broker.join``, a callback whose handler enqueues work) must ``db.commit()`` first: an open write transaction
# makes the job wait on the busy timeout (30 s) and then fail with "database is locked". The fixtures below commit
# what they create. Nothing else is needed: no lock to take, no retry to write (PostgreSQL behaves the same way
# minus the waiting, so a test that commits before waiting passes on both).
# ---------------------------------------------------------------------------------------------------------------------


@pytest.fixture
def make_customer(db) -> Callable[..., Any]:
    """``make_customer(tenant, name="Li Lei", mobile="13800000000", **fields)``: a committed core ``Customer`` of
    ``tenant`` (any other column of ``Customer`` may be given)."""
    from scrm.core.models import Customer

    def make(tenant, name: str = "Li Lei", mobile: str | None = None, **fields: Any):
        customer = Customer(tenant_id=tenant.id, name=name, mobile=mobile, **fields)
        db.add(customer)
        db.commit()
        db.refresh(customer)
        return customer

    return make


@pytest.fixture
def make_channel_account(app, db) -> Callable[..., Any]:
    """``make_channel_account(tenant, "sms", credentials={...}, config={...}, name=..., external_id=...)``: a
    committed ``ChannelAccount`` of the channel plugin, its credentials encrypted like the accounts page stores them
    (read them back with ``scrm.sdk.account_credentials``). The callback gateway sees it at once."""
    from scrm.core.services.channels import create_account

    def make(tenant, plugin: str, *, credentials: dict[str, Any] | None = None, config: dict[str, Any] | None = None,
             name: str = "Test account", external_id: str | None = None):
        account = create_account(db, app.extensions["scrm"].secrets, tenant.id, plugin, name,
                                 external_id or f"{plugin}-{uuid.uuid4().hex[:8]}", credentials or {}, config)
        db.commit()
        db.refresh(account)
        return account

    return make


@pytest.fixture
def signed_callback(client) -> Callable[..., Any]:
    """``signed_callback(account, message, token=..., encoding_aes_key=..., receive_id="")``: POST ``message`` to the
    account's callback URL ``/callbacks/<plugin>/<account_id>`` signed and encrypted the WeChat way (safe mode, the
    scheme of ``scrm.sdk.wechat.WeChatCrypto``: ``?msg_signature=&timestamp=&nonce=`` and an ``<Encrypt>`` envelope)
    and return the test client's response.

    ``message`` is a dict (sent as XML, ``scrm.sdk.wechat.build_xml``) or text (JSON or XML, sent as is).
    ``timestamp`` (default now) and ``nonce`` may be given; ``tamper=True`` spoils the signature, for the refusal
    tests. A channel with a scheme of its own signs its requests in its tests the same way, by hand."""
    import time

    from scrm.sdk.wechat import WeChatCrypto, build_xml

    def post(account, message: Any, *, token: str, encoding_aes_key: str, receive_id: str = "",
             timestamp: int | None = None, nonce: str | None = None, tamper: bool = False):
        plaintext = build_xml(message) if isinstance(message, dict) else str(message)
        timestamp = int(time.time()) if timestamp is None else timestamp
        nonce = nonce or uuid.uuid4().hex[:10]
        encrypt, signature = WeChatCrypto(token, encoding_aes_key, receive_id).encrypt_message(
            plaintext, timestamp, nonce)
        if tamper:
            signature = ("0" if signature[0] != "0" else "1") + signature[1:]
        body = build_xml({"ToUserName": receive_id, "Encrypt": encrypt})
        return client.post(f"/callbacks/{account.plugin}/{account.id}", data=body.encode("utf-8"),
                           query_string={"msg_signature": signature, "timestamp": str(timestamp), "nonce": nonce},
                           content_type="text/xml")

    return post
