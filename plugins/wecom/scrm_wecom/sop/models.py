"""The tables of customer and group SOP (lineage branch ``wecom_sop``).

A rule (``wecom_sop_rule``) of kind ``customer`` or ``group`` has a trigger and one or more task nodes
(``wecom_sop_node``: a delay from the trigger's moment and the content to send). Each time the trigger fires for a
customer (or a group), one task (``wecom_sop_task``) per node is written with its due time: the durable schedule.
A recurring job delivers due tasks to their employee as app-message text cards; the employee opens the task page,
sends the content and marks the task done. Groups take part in a group rule through a binding
(``wecom_sop_binding``, at most one rule per group).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from scrm.sdk import TenantScoped, json_column, utcnow


class RuleKind(StrEnum):
    CUSTOMER = "customer"
    GROUP = "group"


class RuleStatus(StrEnum):
    ON = "on"
    PAUSED = "paused"
    TERMINATED = "terminated"


class Trigger(StrEnum):
    FRIEND_ADDED = "friend_added"
    TAG_ADDED = "tag_added"
    STAGE_ENTERED = "stage_entered"
    JOINED_GROUP = "joined_group"
    DATE_FIELD = "date_field"
    SCHEDULE = "schedule"
    NO_COMMUNICATION = "no_communication"  # no communication with the customer for N days (``quiet.py``)
    GROUP_BOUND = "group_bound"


class TaskStatus(StrEnum):
    PENDING = "pending"      # waiting for its due time
    REMINDED = "reminded"    # the employee got the text card
    SENT = "sent"            # the employee sent the content
    DONE = "done"            # marked done
    CANCELLED = "cancelled"  # the rule was paused, terminated or the group left the rule before the task was due


class SopRule(TenantScoped, table=True):
    __tablename__ = "wecom_sop_rule"
    __table_args__ = (Index("ix_wecom_sop_rule_kind", "tenant_id", "kind", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default=RuleKind.CUSTOMER, max_length=10)
    name: str = Field(max_length=20)
    description: str = Field(default="", max_length=200)
    status: str = Field(default=RuleStatus.ON, max_length=12)
    trigger: str = Field(max_length=20)
    #: tag_id (tag_added), stage_id (stage_entered), field (date_field: "birthday"), start / every_days (schedule),
    #: quiet_days (no_communication: N, 1-365)
    params: dict[str, Any] = json_column()
    #: the executing employees (customer rules): only their customers and friends trigger the rule
    employee_ids: list[int] = json_column(default_factory=list)
    revision: int = 1
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SopNode(TenantScoped, table=True):
    __tablename__ = "wecom_sop_node"
    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key="wecom_sop_rule.id", index=True, ondelete="CASCADE")
    position: int = 0
    day_offset: int = 0
    hour: int = 0
    minute: int = 0
    title: str = Field(max_length=128, description="the to-do's title: the text card's title (128 bytes at most)")
    content: str = Field(default="", max_length=2000, description="the text the employee sends, with variables")
    attachments: list[dict[str, Any]] = json_column(default_factory=list)


class SopBinding(TenantScoped, table=True):
    """A group chat taking part in a group rule since ``joined_at`` (day 0 of the rule's nodes)."""

    __tablename__ = "wecom_sop_binding"
    __table_args__ = (UniqueConstraint("group_chat_id"),)
    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key="wecom_sop_rule.id", index=True, ondelete="CASCADE")
    group_chat_id: int = Field(foreign_key="wecom_group_chat.id", ondelete="CASCADE")
    joined_at: datetime = Field(default_factory=utcnow)


class SopTask(TenantScoped, table=True):
    """One node of one rule for one customer or group, due at ``due_at``; ``dedupe`` makes a repeated trigger (a
    redelivered event, a planner run twice) write nothing twice."""

    __tablename__ = "wecom_sop_task"
    __table_args__ = (
        UniqueConstraint("tenant_id", "dedupe"),
        Index("ix_wecom_sop_task_due", "status", "due_at"),
        Index("ix_wecom_sop_task_employee", "tenant_id", "employee_id", "status"),
        Index("ix_wecom_sop_task_rule", "tenant_id", "rule_id", "node_id"),
        # a customer's to-dos (the "no communication" trigger: sent or done per employee, reminded per rule)
        Index("ix_wecom_sop_task_customer", "customer_id", "employee_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key="wecom_sop_rule.id", ondelete="CASCADE")
    node_id: int = Field(foreign_key="wecom_sop_node.id", ondelete="CASCADE")
    revision: int = 1
    customer_id: int | None = Field(default=None, foreign_key="customer.id", ondelete="CASCADE")
    group_chat_id: int | None = Field(default=None, foreign_key="wecom_group_chat.id", ondelete="CASCADE")
    employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    dedupe: str = Field(max_length=120)
    anchor_at: datetime
    due_at: datetime
    status: str = Field(default=TaskStatus.PENDING, max_length=10)
    delivery_id: int | None = Field(default=None, foreign_key="message_delivery.id", ondelete="SET NULL")
    reminded_at: datetime | None = None
    sent_at: datetime | None = None
    sent_by: str = Field(default="", max_length=10, description="copy, wecom (wx.invoke in the WeCom client) or "
                                                                  "sidebar (the chat sidebar's quick reply)")
    done_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
