"""Shared helpers of the platform-rules tests: RSA keys in PEM, ledger rows and follow relations written directly.
Import explicitly: ``from wecom_rules_fixtures import ...``."""

from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from scrm_wecom.sync.models import Follow

from scrm.sdk import ChannelAccount, Customer, DeliveryStatus, Employee, MessageDelivery


def rsa_pem(bits: int = 2048, pkcs8: bool = False, passphrase: bytes | None = None) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    fmt = serialization.PrivateFormat.PKCS8 if pkcs8 or passphrase else serialization.PrivateFormat.TraditionalOpenSSL
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption).decode()


def ec_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def add_customer(db, tenant_id: int, name: str) -> Customer:
    customer = Customer(tenant_id=tenant_id, name=name, source="wecom")
    db.add(customer)
    db.flush()
    return customer


def add_employee(db, tenant_id: int, userid: str, name: str | None = None) -> Employee:
    employee = Employee(tenant_id=tenant_id, userid=userid, name=name or userid)
    db.add(employee)
    db.flush()
    return employee


def add_account(db, tenant_id: int, corp_id: str = "wwrules000000001") -> ChannelAccount:
    account = ChannelAccount(tenant_id=tenant_id, plugin="wecom", name="Rules corp", external_id=corp_id,
                             credentials="", config={})
    db.add(account)
    db.flush()
    return account


def add_follow(db, account: ChannelAccount, customer: Customer, employee: Employee, *, added_at: datetime,
               status: str = "active", add_way: int = 1, ext: str | None = None) -> Follow:
    follow = Follow(tenant_id=account.tenant_id, account_id=account.id, customer_id=customer.id,
                    employee_id=employee.id, userid=employee.userid, external_userid=ext or f"wm{customer.id}",
                    added_at=added_at, status=status, add_way=add_way)
    db.add(follow)
    db.flush()
    return follow


def ledger(db, tenant_id: int, customer: Customer, *, kind: str, at: datetime, task_ref: str | None, key: str,
           status: DeliveryStatus = DeliveryStatus.SENT, channel: str = "wecom") -> MessageDelivery:
    row = MessageDelivery(tenant_id=tenant_id, channel=channel, customer_id=customer.id, recipient=f"wm{customer.id}",
                          kind=kind, task_ref=task_ref, idempotency_key=key, status=status, created_at=at)
    db.add(row)
    db.flush()
    return row
