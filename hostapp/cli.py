"""The ``scrm`` command line. Errors are one line on stderr and a non-zero exit code."""

from __future__ import annotations

import functools
import logging
import signal
import sys
import threading
import time
from pathlib import Path

import click

from scrm.core.config import Settings
from scrm.sdk import log_redaction


class CliError(click.ClickException):
    def show(self, file=None) -> None:
        click.echo(f"error: {self.message}", err=True)


def _app(**overrides):
    from .app import create_app

    return create_app(Settings.from_env(**overrides))


def friendly(fn):
    """Turn the platform's validation errors into one line and exit code 1."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except click.ClickException:
            raise
        except (ValueError, LookupError) as exc:
            raise CliError(str(exc)) from exc
        except Exception as exc:  # database unreachable and the like
            name = type(exc).__name__
            if name in ("OperationalError", "ConnectionError", "InterfaceError"):
                raise CliError(f"cannot reach a service: {str(exc).splitlines()[0]}") from exc
            raise

    return wrapped


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug output.")
def main(verbose: bool) -> None:
    """SCRM platform: a Flask host with plugins for WeChat customer relationships."""
    log_redaction.install()
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


# -- database ------------------------------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database migrations (core first, then each plugin)."""


def _upgrade(app) -> list[str]:
    from scrm.core import migrate

    plat = app.extensions["scrm"]
    lineages = migrate.lineages(plat.registry)
    with click.progressbar(length=len(lineages), label="migrating", file=sys.stderr) as bar:
        done = migrate.upgrade(plat.engine, plat.registry, progress=lambda name: bar.update(1))
    return done


@db.command("upgrade")
@friendly
def db_upgrade() -> None:
    """Apply every pending migration."""
    done = _upgrade(_app())
    click.echo(f"upgraded: {', '.join(done)}")


@db.command("pending")
@friendly
def db_pending() -> None:
    """List migrations not applied yet; exit code 1 when there are some."""
    from scrm.core import migrate

    plat = _app().extensions["scrm"]
    todo = migrate.pending(plat.engine, plat.registry)
    count = 0
    for lineage, revisions in todo.items():
        for rev in revisions:
            click.echo(f"{lineage}: {rev}")
            count += 1
    if count:
        sys.exit(1)
    click.echo("no pending migrations")


@db.command("revision")
@click.option("--plugin", "plugin", default="core", help="Lineage: 'core' or a plugin name.")
@click.option("-m", "--message", required=True)
@friendly
def db_revision(plugin: str, message: str) -> None:
    """Autogenerate a migration for the core or one plugin (against an up-to-date database)."""
    from scrm.core import migrate

    plat = _app().extensions["scrm"]
    lineage = next((lin for lin in migrate.lineages(plat.registry) if lin.name == plugin), None)
    if lineage is None:
        raise CliError(f"no migration lineage '{plugin}' (does the plugin have migrations/env.py?)")
    migrate.revision(plat.engine, lineage, message)


# -- setup ----------------------------------------------------------------------------------------------------------------


@main.command()
@click.option("--admin-email", default="admin@example.com", show_default=True)
@click.option("--admin-password", default=None, help="Generated when omitted (printed once).")
@friendly
def init(admin_email: str, admin_password: str | None) -> None:
    """Create or upgrade the database and the first platform admin."""
    from scrm.core.db import session_scope
    from scrm.core.services.users import create_user, find_user, generate_password

    app = _app()
    _upgrade(app)
    plat = app.extensions["scrm"]
    with session_scope(plat.engine) as session:
        if find_user(session, admin_email):
            click.echo(f"platform admin {admin_email} exists")
            return
        password = admin_password or generate_password()
        create_user(session, admin_email, password, name="Admin", platform_admin=True)
    click.echo(f"platform admin: {admin_email} / {password}")


@main.command()
@click.option("--url", default="http://127.0.0.1:5000", show_default=True,
              help="Where 'scrm serve --sandboxes' will answer: the demo serves the platform there while it seeds, "
                   "and points the demo's channel accounts at the sandboxes under it.")
@friendly
def demo(url: str) -> None:
    """Create the demo tenant and its admin, enable every plugin and seed their demo data (idempotent); print how
    to sign in."""
    from .demo import ensure_demo

    app = _app(sandboxes=True)
    _upgrade(app)
    email, password = ensure_demo(app, url)
    click.echo(f"demo admin: {email} / {password}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, help="Embedded worker threads (no SCRM_BROKER_URL).")
@click.option("--sandboxes", is_flag=True,
              help="Mount the channel sandboxes at /sandbox/<plugin> (the demo; never in production).")
@friendly
def serve(host: str, port: int, threads: int, sandboxes: bool) -> None:
    """Serve the web UI and API. Without SCRM_BROKER_URL, jobs and the scheduler run in this process."""
    from werkzeug.serving import run_simple

    from .serving import serving_app

    app = serving_app(Settings.from_env(sandboxes=True if sandboxes else None))
    plat = app.extensions["scrm"]
    if plat.bus.embedded:
        plat.bus.start_worker(threads)
        _start_ticker(plat)
        click.echo("embedded worker and scheduler started")
    click.echo(f"serving on http://{host}:{port}")
    run_simple(host, port, app, threaded=True, use_reloader=False)


def _start_ticker(plat, interval: float = 5.0) -> threading.Thread:
    def loop():
        while True:
            try:
                plat.tick()
            except Exception:
                logging.getLogger("scrm.scheduler").exception("scheduler tick failed")
            time.sleep(interval)

    thread = threading.Thread(target=loop, name="scrm-scheduler", daemon=True)
    thread.start()
    return thread


@main.command()
@click.option("--threads", default=8, show_default=True)
@click.option("--queues", default=None, help="Comma-separated queues (default: all).")
@friendly
def worker(threads: int, queues: str | None) -> None:
    """Run a job worker on the Redis broker (SCRM_BROKER_URL)."""
    import dramatiq

    app = _app()
    plat = app.extensions["scrm"]
    if plat.bus.embedded:
        raise CliError("SCRM_BROKER_URL is not set: jobs run inside 'scrm serve'")
    wanted = set(queues.split(",")) if queues else None
    w = dramatiq.Worker(plat.bus.broker, queues=wanted, worker_threads=threads)
    w.start()
    click.echo(f"worker started on {plat.settings.broker_url} ({threads} threads)")
    _wait_for_signal()
    w.stop()


@main.command()
@click.option("--interval", default=5.0, show_default=True, help="Seconds between ticks.")
@click.option("--once", is_flag=True, help="Run one tick and exit.")
@friendly
def scheduler(interval: float, once: bool) -> None:
    """Enqueue due scheduled jobs and relay undelivered events."""
    plat = _app().extensions["scrm"]
    if once:
        click.echo(f"enqueued {plat.tick()} due job(s)")
        return
    _start_ticker(plat, interval)
    click.echo(f"scheduler ticking every {interval}s")
    _wait_for_signal()


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set():
        stop.wait(1)


# -- tenants --------------------------------------------------------------------------------------------------------------


@main.group()
def tenants() -> None:
    """Tenants (brands)."""


@tenants.command("create")
@click.argument("slug")
@click.argument("name")
@click.option("--admin-email", default=None, help="Make this existing user the tenant admin.")
@friendly
def tenants_create(slug: str, name: str, admin_email: str | None) -> None:
    from scrm.core.db import session_scope
    from scrm.core.models import Role
    from scrm.core.services import audit
    from scrm.core.services.users import add_member, create_tenant, find_user

    plat = _app().extensions["scrm"]
    with session_scope(plat.engine) as session:
        user = None
        if admin_email:
            user = find_user(session, admin_email)
            if user is None:
                raise CliError(f"no user {admin_email}")
        tenant = create_tenant(session, slug, name, plat.manifest.default_enabled(), plat.registry)
        if user:
            add_member(session, tenant, user, Role.TENANT_ADMIN)
        audit.record(session, "tenant.create", tenant_id=tenant.id, actor="cli", target=slug)
    click.echo(f"created tenant {slug}")


@tenants.command("list")
@friendly
def tenants_list() -> None:
    from sqlmodel import Session, select

    from scrm.core.models import Tenant

    plat = _app().extensions["scrm"]
    with Session(plat.engine) as session:
        for t in session.exec(select(Tenant).order_by(Tenant.slug)):
            enabled = sorted(plat.enabled_plugins(session, t.id))
            click.echo(f"{t.slug}\t{t.name}\t{'active' if t.active else 'inactive'}\t{','.join(enabled) or '-'}")


# -- users and tokens ----------------------------------------------------------------------------------------------------


@main.group()
def users() -> None:
    """Users and their roles."""


@users.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--tenant", "slug", default=None)
@click.option("--role", type=click.Choice(["tenant_admin", "operator", "employee"]), default="operator")
@click.option("--platform-admin", is_flag=True)
@friendly
def users_create(email: str, password: str, slug: str | None, role: str, platform_admin: bool) -> None:
    from scrm.core.db import session_scope
    from scrm.core.models import Role
    from scrm.core.services.users import add_member, create_user, find_tenant

    plat = _app().extensions["scrm"]
    with session_scope(plat.engine) as session:
        tenant = None
        if slug:
            tenant = find_tenant(session, slug)
            if tenant is None:
                raise CliError(f"no tenant '{slug}'")
        user = create_user(session, email, password, platform_admin=platform_admin)
        if tenant:
            add_member(session, tenant, user, Role(role))
    click.echo(f"created user {email}")


@main.group()
def tokens() -> None:
    """API tokens."""


@tokens.command("create")
@click.argument("name")
@click.option("--tenant", "slug", default=None, help="Tenant token; omit for a platform token.")
@friendly
def tokens_create(name: str, slug: str | None) -> None:
    from scrm.core.db import session_scope
    from scrm.core.services.tokens import issue_token
    from scrm.core.services.users import find_tenant

    plat = _app().extensions["scrm"]
    with session_scope(plat.engine) as session:
        tenant_id = None
        if slug:
            tenant = find_tenant(session, slug)
            if tenant is None:
                raise CliError(f"no tenant '{slug}'")
            tenant_id = tenant.id
        value, _row = issue_token(session, tenant_id, name, None)
    click.echo(value)


# -- plugins --------------------------------------------------------------------------------------------------------------


@main.group()
def plugins() -> None:
    """Installed plugins and their enablement per tenant."""


@plugins.command("list")
@friendly
def plugins_list() -> None:
    plat = _app().extensions["scrm"]
    for r in sorted(plat.registry.records.values(), key=lambda r: r.name):
        if r.builtin:
            continue
        line = f"{r.name}\t{r.version or '-'}\t{r.status}"
        click.echo(line + (f"\t{r.reason}" if r.reason else ""))


@plugins.command("info")
@click.argument("name")
@friendly
def plugins_info(name: str) -> None:
    plat = _app().extensions["scrm"]
    r = plat.registry.get(name)
    if r is None or r.builtin:
        raise CliError(f"no plugin '{name}'")
    click.echo(f"name: {r.name}\ntitle: {r.title}\nversion: {r.version or '-'}\ndistribution: {r.distribution or '-'}")
    click.echo(f"status: {r.status}{' (' + r.reason + ')' if r.reason else ''}\ncategory: {r.category or '-'}")
    click.echo(f"requires: {', '.join(r.requires) or '-'}\nhooks: {', '.join(plat.registry.hooks_of(name)) or '-'}")
    if r.plugin is not None and r.plugin.settings_model is not None:
        for field, info in r.plugin.settings_model.model_fields.items():
            click.echo(f"setting: {field} ({info.annotation}) default={info.default!r}")


def _parse_settings(pairs: tuple[str, ...]) -> dict:
    import json

    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise CliError(f"--set takes KEY=VALUE, got '{pair}'")
        key, value = pair.split("=", 1)
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


@plugins.command("enable")
@click.argument("name")
@click.option("--tenant", "slug", required=True)
@click.option("--set", "pairs", multiple=True, help="A setting, KEY=VALUE (JSON values allowed).")
@friendly
def plugins_enable(name: str, slug: str, pairs: tuple[str, ...]) -> None:
    from scrm.core.db import session_scope
    from scrm.core.plugins.enablement import enable_plugin
    from scrm.core.services import audit
    from scrm.core.services.users import find_tenant

    plat = _app().extensions["scrm"]
    with session_scope(plat.engine) as session:
        tenant = find_tenant(session, slug)
        if tenant is None:
            raise CliError(f"no tenant '{slug}'")
        enable_plugin(session, plat.registry, tenant, name, _parse_settings(pairs) if pairs else None)
        audit.record(session, "plugin.enable", tenant_id=tenant.id, actor="cli", target=name)
    click.echo(f"enabled {name} for {slug}")


@plugins.command("disable")
@click.argument("name")
@click.option("--tenant", "slug", required=True)
@friendly
def plugins_disable(name: str, slug: str) -> None:
    from scrm.core.db import session_scope
    from scrm.core.plugins.enablement import disable_plugin
    from scrm.core.services import audit
    from scrm.core.services.users import find_tenant

    plat = _app().extensions["scrm"]
    with session_scope(plat.engine) as session:
        tenant = find_tenant(session, slug)
        if tenant is None:
            raise CliError(f"no tenant '{slug}'")
        disable_plugin(session, plat.registry, tenant, name)
        audit.record(session, "plugin.disable", tenant_id=tenant.id, actor="cli", target=name)
    click.echo(f"disabled {name} for {slug}")


@main.group()
def plugin() -> None:
    """Plugin development."""


@plugin.command("new")
@click.argument("name")
@click.option("--dir", "directory", default=".", type=click.Path(file_okay=False, path_type=Path),
              help="Where to create the distribution folder.")
@click.option("--channel", is_flag=True, help="A channel plugin: accounts, sends, callbacks, delivery reports, sandbox.")
@friendly
def plugin_new(name: str, directory: Path, channel: bool) -> None:
    """Scaffold a third-party plugin distribution NAME (installable, with passing tests)."""
    from .scaffold import scaffold

    target = scaffold(name, directory, channel=channel)
    click.echo(f"created {target}\nnext: pip install -e {target} && add [plugins.{name}] to plugins.toml")


@plugin.command("check")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@friendly
def plugin_check(path: Path) -> None:
    """Check the imports of the plugin distribution (or package) at PATH against the platform's rules: one line per
    violation (file:line), exit code 1; "ok" and exit code 0 when it follows them."""
    from .plugin_check import check_path

    violations = check_path(path)
    for violation in violations:
        click.echo(violation.render(Path(path).resolve()))
    if violations:
        raise SystemExit(1)
    click.echo("ok")


@main.group()
def docs() -> None:
    """Generated documentation."""


@docs.command("hooks")
@click.option("--output", default="docs/hooks.md", show_default=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the reference.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when the file differs from the hookspecs.")
def docs_hooks(output: Path, check: bool) -> None:
    """Write the hook reference (every hook with a worked example) generated from the hookspecs."""
    from .hook_docs import render, write

    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if current != render():
            raise CliError(f"{output} is out of date: run scrm docs hooks")
        click.echo(f"{output} is up to date")
        return
    click.echo(f"{'wrote' if write(output) else 'unchanged'} {output}")


if __name__ == "__main__":  # pragma: no cover
    main()
