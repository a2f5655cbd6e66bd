"""The demo tenant: a brand with an org tree, tags and customers, and an admin who can sign in."""

from __future__ import annotations

import os
import random

from flask import Flask
from sqlmodel import select

from scrm.core.db import session_scope
from scrm.core.models import Customer, CustomerTag, Department, Employee, Role, Tag, TagGroup
from scrm.core.services.identity import match_or_create
from scrm.core.services.users import (
    add_member,
    create_tenant,
    create_user,
    find_tenant,
    find_user,
    generate_password,
    hash_password,
)

DEMO_SLUG = "demo"
DEMO_EMAIL = "admin@demo.local"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def _password_file(app: Flask):
    return os.path.join(app.instance_path, "demo-admin-password")


def _demo_password(app: Flask) -> str:
    path = _password_file(app)
    if os.path.exists(path):
        with open(path) as handle:
            return handle.read().strip()
    password = generate_password()
    os.makedirs(app.instance_path, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password)
    return password


def ensure_demo(app: Flask) -> tuple[str, str]:
    """Create (once) the demo tenant and its admin; returns the admin's email and password."""
    plat = app.extensions["scrm"]
    password = _demo_password(app)
    with session_scope(plat.engine) as session:
        user = find_user(session, DEMO_EMAIL)
        if user is None:
            user = create_user(session, DEMO_EMAIL, password, name="Demo Admin", platform_admin=True)
        else:
            user.password_hash = hash_password(password)
            session.add(user)
        tenant = find_tenant(session, DEMO_SLUG)
        if tenant is None:
            tenant = create_tenant(session, DEMO_SLUG, "示例品牌 Demo Brand", plat.manifest.default_enabled(),
                                   plat.registry)
            _seed(session, tenant.id)
        add_member(session, tenant, user, Role.TENANT_ADMIN)
    return DEMO_EMAIL, password


def _seed(session, tenant_id: int) -> None:
    rng = random.Random(42)
    root = Department(tenant_id=tenant_id, name="示例品牌", external_id="1")
    session.add(root)
    session.flush()
    stores = []
    for i, name in enumerate(["上海旗舰店", "北京三里屯店", "杭州西湖店"], start=2):
        dept = Department(tenant_id=tenant_id, name=name, parent_id=root.id, external_id=str(i))
        session.add(dept)
        stores.append(dept)
    session.flush()
    employees = []
    for i in range(9):
        emp = Employee(tenant_id=tenant_id, userid=f"emp{i + 1:03d}",
                       name=rng.choice(SURNAMES) + rng.choice(GIVEN), department_id=stores[i % 3].id,
                       position="导购" if i % 3 else "店长")
        session.add(emp)
        employees.append(emp)
    session.flush()
    groups = {"客户等级": ["VIP", "普通"], "兴趣": ["护肤", "彩妆", "香水"], "来源": ["门店", "直播", "小程序"]}
    tags = []
    for order, (group_name, names) in enumerate(groups.items()):
        group = TagGroup(tenant_id=tenant_id, name=group_name, order=order)
        session.add(group)
        session.flush()
        for j, name in enumerate(names):
            tag = Tag(tenant_id=tenant_id, group_id=group.id, name=name, order=j)
            session.add(tag)
            tags.append(tag)
    session.flush()
    sources = ["wecom", "official_account", "store", "mini_program", "manual"]
    for i in range(60):
        mobile = f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
        result = match_or_create(session, tenant_id, {"mobile": mobile},
                                 name=rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if i % 2 else ""),
                                 source=rng.choice(sources),
                                 defaults={"gender": rng.randint(0, 2), "is_member": i % 3 == 0,
                                           "owner_employee_id": rng.choice(employees).id})
        for tag in rng.sample(tags, rng.randint(0, 3)):
            session.add(CustomerTag(tenant_id=tenant_id, customer_id=result.customer.id, tag_id=tag.id))
    session.flush()
    assert session.exec(select(Customer).where(Customer.tenant_id == tenant_id)).first() is not None
