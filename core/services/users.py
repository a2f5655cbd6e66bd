"""Users and their passwords (argon2id), tenants and memberships."""

from __future__ import annotations

import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from ..models import DataScope, Membership, Role, Tenant, TenantPlugin, User
from ..timeutil import utcnow

_hasher = PasswordHasher()
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8


class AccountError(ValueError):
    """Bad input for a user or tenant; the message says what is wrong."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password must have at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(user: User) -> bool:
    return _hasher.check_needs_rehash(user.password_hash)


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def find_user(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def create_user(session: Session, email: str, password: str, *, name: str = "",
                platform_admin: bool = False) -> User:
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise AccountError(f"'{email}' is not an email address")
    if find_user(session, email):
        raise AccountError(f"a user with email {email} already exists")
    user = User(email=email, name=name or email.split("@")[0], password_hash=hash_password(password),
                is_platform_admin=platform_admin)
    session.add(user)
    session.flush()
    return user


def find_tenant(session: Session, slug: str) -> Tenant | None:
    return session.exec(select(Tenant).where(Tenant.slug == slug)).first()


def create_tenant(session: Session, slug: str, name: str, default_plugins: list[str] | None = None,
                  registry=None) -> Tenant:
    """Create a tenant; plugins marked ``default_enabled`` in plugins.toml are enabled for it."""
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise AccountError("slug must be 1-40 lowercase letters, digits or dashes, not starting or ending with a dash")
    if not name.strip():
        raise AccountError("name is required")
    if find_tenant(session, slug):
        raise AccountError(f"tenant '{slug}' already exists")
    tenant = Tenant(slug=slug, name=name.strip())
    session.add(tenant)
    session.flush()
    if registry is not None:
        from ..plugins.enablement import enable_plugin

        for plugin in default_plugins or []:
            record = registry.get(plugin)
            if record is not None and record.active:
                enable_plugin(session, registry, tenant, plugin)
    return tenant


def add_member(session: Session, tenant: Tenant, user: User, role: Role = Role.OPERATOR,
               scope: DataScope = DataScope.ALL, employee_id: int | None = None) -> Membership:
    membership = session.exec(
        select(Membership).where(Membership.tenant_id == tenant.id, Membership.user_id == user.id)
    ).first() or Membership(tenant_id=tenant.id, user_id=user.id)
    membership.role, membership.scope, membership.employee_id = role, scope, employee_id
    session.add(membership)
    session.flush()
    return membership


def membership_of(session: Session, tenant_id: int, user_id: int) -> Membership | None:
    return session.exec(
        select(Membership).where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
    ).first()


def tenants_of(session: Session, user: User) -> list[Tenant]:
    if user.is_platform_admin:
        return list(session.exec(select(Tenant).order_by(Tenant.name)))
    return list(session.exec(
        select(Tenant).join(Membership, Membership.tenant_id == Tenant.id)
        .where(Membership.user_id == user.id, Tenant.active == True).order_by(Tenant.name)  # noqa: E712
    ))


def tenant_plugin_counts(session: Session) -> dict[int, int]:
    from sqlalchemy import func

    rows = session.exec(
        select(TenantPlugin.tenant_id, func.count()).where(TenantPlugin.enabled == True)  # noqa: E712
        .group_by(TenantPlugin.tenant_id)
    )
    return dict(rows.all())


def touch_login(session: Session, user: User) -> None:
    user.last_login_at = utcnow()
    session.add(user)
