"""The WeCom part of the demo brand (the ``demo_data`` hook of ``scrm demo``), entirely against the WeCom sandbox.

1. The sandbox corp mirrors the brand's org (departments with a WeCom id, employees with a userid), plus a few
   customers who are already friends of employees and a corp tag group; it is seeded only when the sandbox does not
   know it (``scrm demo`` again keeps what happened since), with the contact ways of the brand's live codes.
2. A WeCom account whose API base is the sandbox under the demo address; "Check credentials" runs once.
3. A full sync (the job the sync page starts): employees, customers, follow relations and corp tags.
4. A live code for the flagship store's employees, tagging new friends, and a welcome message for all employees.
5. Customers add employees through the live codes: the sandbox records the friendship and sends the encrypted
   callback to the platform's callback URL; the platform stores it, turns it into ``wecom.friend_added`` and sends
   the welcome to the sandbox with the event's welcome code.
6. Six months of history (:mod:`scrm_wecom.demo_history`): the brand's WeChat customers became friends of their
   store's employees when they joined, the live codes counted their adds, some friends were lost (deleted by the
   customer or by the employee, through the sandbox's callbacks), and the stores run customer group chats.

Every step finds what an earlier run made (the account by CorpId, the codes by name, the welcome by author, the new
friends by their ``external_userid``, the losses and group chats by their rows), so running the demo twice adds
nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from scrm.sdk import (
    ChannelAccount,
    CustomerIdentity,
    Department,
    Employee,
    EmployeeStatus,
    IdentityKind,
    Tag,
    current_bus,
    utcnow,
)

from . import demo_history, demo_masssend, demo_materials, demo_moments, demo_promotion
from .accounts import PLUGIN, AccountValues, save_account
from .checks import check_credentials
from .client import WeComClient
from .demo_sop import seed_sop
from .livecodes import service as livecodes
from .livecodes.models import MULTI, LiveCode, LiveCodeEmployee
from .materials.models import Material
from .sandbox import SandboxControl
from .sandbox.remote import SandboxControlError
from .sync import jobs as sync_jobs
from .sync import runner
from .sync.models import SyncRun
from .welcome import service as welcomes
from .welcome.models import WelcomeMessage

CORP_ID = "wwd3m0b4a11d0000"
AGENT_ID = 1000002
SECRETS = {"agent_secret": "demo-agent-secret-3d9c1f", "contact_secret": "demo-contact-secret-7a2e4b",
           "address_book_secret": "demo-address-book-secret-5c81"}
CALLBACK = {"callback_token": "DemoCallbackToken2026", "encoding_aes_key": "D3m0EncodingAESKeyForTheSandboxCorp0000000a"}
ACCOUNT_NAME = "示例品牌企业微信"
AUTHOR = "scrm demo"
TAG_GROUP, NEW_FRIEND_TAG = "企微客户", "活码新客"
LIVE_CODE_NAME = "上海旗舰店活码"
LIVE_CODE_EMPLOYEES = 3
LIVE_CODES = ((LIVE_CODE_NAME, None), ("杭州湖滨银泰店活码", "杭州湖滨银泰店"), ("苏州观前街店活码", "苏州观前街店"))
"""The brand's live codes: name and store (None: the store of the first employee, the flagship)."""
WELCOME = {"text": "{customer_name}您好，我是{employee_name}（{employee_position}），欢迎来到示例品牌！"
                   "回复「会员」领取新人礼。"}
WELCOME_MATERIALS = ("双12会员日海报", "双12会场")
"""The materials (by title) the demo welcome attaches from the material library: a poster and a link."""
FRIENDS = [("wmDemoFriend0001", "周雨桐", "unionDemo0001"), ("wmDemoFriend0002", "吴佳怡", ""),
           ("wmDemoFriend0003", "郑子涵", "unionDemo0003"), ("wmDemoFriend0004", "孙可馨", ""),
           ("wmDemoFriend0005", "钱梓萱", ""), ("wmDemoFriend0006", "冯思远", "unionDemo0006")]
"""Customers who are friends of employees before the demo starts (synced)."""
LIVE_CODE_ADDS = [("wmDemoLiveCode001", "林小满", 2), ("wmDemoLiveCode002", "何雨萱", 2),
                  ("wmDemoLiveCode003", "高一鸣", 1), ("wmDemoLiveCode004", "罗嘉琪", 2),
                  ("wmDemoLiveCode005", "谢安然", 2), ("wmDemoLiveCode006", "宋梓涵", 2),
                  ("wmDemoLiveCode007", "唐志远", 1), ("wmDemoLiveCode008", "韩诗雨", 2),
                  ("wmDemoLiveCode009", "曹若彤", 2)]
"""Customers who add an employee through a live code during the demo (external_userid, name, gender), the codes of
:data:`LIVE_CODES` in turn."""


class DemoError(ValueError):
    """A step of the WeCom demo failed (the message says which and why; ``scrm demo`` prints it on one line)."""


def seed_demo(tenant: Any, session: Session, demo: Any) -> None:
    """The ``demo_data`` hook: see the module docstring."""
    platform = current_bus().platform
    api_base = demo.sandbox_url(PLUGIN)
    sandbox = SandboxControl(api_base)
    try:
        employees = _active_employees(session, tenant.id)
        if not employees:
            return  # a brand without an org: nothing to mirror
        _ensure_corp(sandbox, session, tenant.id, employees)
        account = _ensure_account(session, platform, tenant.id, api_base)
        session.commit()
        check_credentials(session, platform, account)
        session.commit()
        _full_sync(session, account, demo)
        demo_history.backdate_wecom_customers(session, account)
        codes = [_ensure_live_code(session, platform, tenant.id, account, name, store) for name, store in LIVE_CODES]
        codes = [code for code in codes if code is not None]
        demo_materials.seed_materials(session, account, demo)  # before the welcome, which attaches materials
        _ensure_welcome(session, tenant.id)
        demo_history.live_code_history(session, account, codes)
        session.commit()
        _add_friends_through(sandbox, session, demo, account, codes)
        history = demo_history.History(session, sandbox, demo, account, _callback(demo, account))
        history.losses()
        history.group_chats()
        seed_sop(session, account, demo)
        demo_moments.seed_moments(session, platform, sandbox, account, CORP_ID)
        demo_masssend.seed_masssend(session, platform, sandbox, account, CORP_ID)
        demo_promotion.seed_promotion(session, platform, sandbox, account, CORP_ID, demo, _callback(demo, account))
    finally:
        sandbox.close()


def _active_employees(session: Session, tenant_id: int) -> list[Employee]:
    return list(session.exec(select(Employee).where(
        Employee.tenant_id == tenant_id, Employee.status == EmployeeStatus.ACTIVE,
        Employee.userid.is_not(None)).order_by(Employee.userid)))


def corp_seed(session: Session, tenant_id: int, employees: list[Employee]) -> dict[str, Any]:
    """The sandbox corp of the brand: its departments and employees, the friends, a corp tag group, and the contact
    ways of the brand's live codes (so a code made earlier keeps working after the sandbox lost its state)."""
    departments = list(session.exec(select(Department).where(Department.tenant_id == tenant_id)))
    wecom_id = {d.id: int(d.external_id) for d in departments if (d.external_id or "").isdigit()}
    users = [{"userid": e.userid, "name": e.name, "position": e.position or "", "status": 1,
              "department": [wecom_id[e.department_id]] if e.department_id in wecom_id else [1]}
             for e in employees]
    now = utcnow()
    contacts = [{"external_userid": ext, "name": name, "type": 1, "gender": 2 if n % 3 else 1,
                 **({"unionid": unionid} if unionid else {}),
                 "follow_user": [{"userid": employees[n % len(employees)].userid, "add_way": 1,
                                  "createtime": int((now - timedelta(days=170 - 23 * n)).timestamp())}]}
                for n, (ext, name, unionid) in enumerate(FRIENDS)]
    contacts += demo_history.brand_friends(session, tenant_id, employees, now)
    ways = []
    for code in session.exec(select(LiveCode).where(LiveCode.tenant_id == tenant_id, LiveCode.config_id.is_not(None))):
        userids = [e.userid for e in livecodes.employees_of(session, code)]
        ways.append({"config_id": code.config_id, "type": code.kind, "scene": 2, "state": code.state,
                     "skip_verify": code.skip_verify, "user": userids, "party": [],
                     "qr_code": code.qr_code or f"https://wework.qpic.cn/wwpic/sandbox/{code.config_id}/0"})
    return {"corp_id": CORP_ID, "agent_id": AGENT_ID,
            "secrets": {"agent": SECRETS["agent_secret"], "contact": SECRETS["contact_secret"],
                        "address_book": SECRETS["address_book_secret"]},
            "departments": [{"id": wecom_id[d.id], "name": d.name,
                             "parentid": wecom_id.get(d.parent_id, 0) if d.parent_id else 0}
                            for d in departments if d.id in wecom_id] or [{"id": 1, "name": "HQ", "parentid": 0}],
            "users": users, "external_contacts": contacts,
            "tag_groups": [{"group_name": TAG_GROUP, "tag": [{"name": NEW_FRIEND_TAG}, {"name": "高意向"}]}],
            "contact_ways": ways}


def _ensure_corp(sandbox: SandboxControl, session: Session, tenant_id: int, employees: list[Employee]) -> None:
    try:
        sandbox.corp(CORP_ID)
    except SandboxControlError:
        sandbox.seed(corp_seed(session, tenant_id, employees))


def _ensure_account(session: Session, platform: Any, tenant_id: int, api_base: str) -> ChannelAccount:
    existing = session.exec(select(ChannelAccount).where(
        ChannelAccount.tenant_id == tenant_id, ChannelAccount.plugin == PLUGIN,
        ChannelAccount.external_id == CORP_ID)).first()
    values = AccountValues(name=existing.name if existing else ACCOUNT_NAME, corp_id=CORP_ID, agent_id=AGENT_ID,
                           api_base=api_base, secrets={**SECRETS, **CALLBACK})
    return save_account(session, platform.secrets, tenant_id, values, existing)


def _full_sync(session: Session, account: ChannelAccount, demo: Any) -> None:
    """Run the account's first full sync (a later demo run leaves the sync to the daily schedule and the page)."""
    done = session.exec(select(SyncRun.id).where(SyncRun.tenant_id == account.tenant_id,
                                                 SyncRun.account_id == account.id, SyncRun.kind == runner.FULL,
                                                 SyncRun.status == runner.DONE)).first()
    if done is not None:
        return
    run, created = runner.create_run(session, account, runner.FULL, AUTHOR)
    session.commit()
    if created:
        sync_jobs.run_sync.send(account.tenant_id, run_id=run.id)
    demo.wait_for_jobs()
    session.expire_all()
    run = runner.find_run(session, account.tenant_id, run.id)
    if run is None or run.status != runner.DONE:
        raise DemoError(f"the WeCom sync of the demo did not finish: {run.error if run else 'run missing'}")


def _ensure_live_code(session: Session, platform: Any, tenant_id: int, account: ChannelAccount, name: str,
                      store: str | None) -> LiveCode | None:
    """The live code ``name`` for the first employees of ``store`` (None: the first employee's store); None when
    the brand has no such store."""
    code = session.exec(select(LiveCode).where(LiveCode.tenant_id == tenant_id, LiveCode.name == name)).first()
    if code is not None:
        return code
    employees = _active_employees(session, tenant_id)
    if store is None:
        department_id = employees[0].department_id
    else:
        department_id = session.exec(select(Department.id).where(Department.tenant_id == tenant_id,
                                                                  Department.name == store)).first()
    staff = [e for e in employees if department_id is not None and e.department_id == department_id]
    if not staff:
        return None
    tags = list(session.exec(select(Tag).where(Tag.tenant_id == tenant_id, Tag.name == NEW_FRIEND_TAG,
                                               Tag.external_id.is_not(None))))
    values = livecodes.validate(session, tenant_id, livecodes.LiveCodeInput(
        name=name, account_id=account.id, kind=MULTI, employee_ids=[e.id for e in staff[:LIVE_CODE_EMPLOYEES]],
        tag_ids=[t.id for t in tags]), [account])
    session.commit()  # no transaction stays open across the WeCom call
    with WeComClient.for_account(account, platform) as client:
        return livecodes.create(session, client, tenant_id, values, created_by=AUTHOR)


def _ensure_welcome(session: Session, tenant_id: int) -> None:
    exists = session.exec(select(WelcomeMessage.id).where(WelcomeMessage.tenant_id == tenant_id,
                                                          WelcomeMessage.created_by == AUTHOR)).first()
    if exists is None:
        found = dict(session.exec(select(Material.title, Material.id).where(
            Material.tenant_id == tenant_id, Material.title.in_(WELCOME_MATERIALS), Material.deleted_at.is_(None))
            .order_by(Material.id)).all())
        content = {**WELCOME, "material_ids": [found[t] for t in WELCOME_MATERIALS if t in found]}
        values = welcomes.validate(session, tenant_id, welcomes.WelcomeInput(
            all_employees=True, employee_ids=[], segmented=False, content=content))
        welcomes.create(session, tenant_id, values, created_by=AUTHOR)


def _known_friends(session: Session, tenant_id: int) -> set[str]:
    return set(session.exec(select(CustomerIdentity.value).where(
        CustomerIdentity.tenant_id == tenant_id, CustomerIdentity.kind == IdentityKind.external_userid(CORP_ID),
        CustomerIdentity.value.in_([ext for ext, _name, _gender in LIVE_CODE_ADDS]))))


def _callback(demo: Any, account: ChannelAccount) -> dict[str, str]:
    """Where and how the sandbox fires the account's callbacks."""
    return {"url": f"{demo.serve()}/callbacks/{PLUGIN}/{account.id}", "token": CALLBACK["callback_token"],
            "encoding_aes_key": CALLBACK["encoding_aes_key"]}


def _add_friends_through(sandbox: SandboxControl, session: Session, demo: Any, account: ChannelAccount,
                         codes: list[LiveCode]) -> None:
    """Customers scan the live codes, in turn: each adds one of its code's employees (the sandbox fires the
    callback)."""
    known = _known_friends(session, account.tenant_id)
    userids = {code.id: list(session.exec(select(Employee.userid).join(
        LiveCodeEmployee, LiveCodeEmployee.employee_id == Employee.id).where(
        LiveCodeEmployee.live_code_id == code.id).order_by(LiveCodeEmployee.id))) for code in codes}
    callback = _callback(demo, account)
    session.commit()
    for n, (ext, name, gender) in enumerate(LIVE_CODE_ADDS):
        if ext in known:
            continue
        code = codes[n % len(codes)]
        staff = userids[code.id]
        answer = sandbox.add_friend(CORP_ID, staff[(n // len(codes)) % len(staff)],
                                    {"external_userid": ext, "name": name, "gender": gender},
                                    state=code.state, callback=callback)
        if answer.get("callback_status") != 200:
            raise DemoError(f"the platform refused the demo's friend callback ({answer.get('callback_status')})")
    demo.wait_for_jobs()
