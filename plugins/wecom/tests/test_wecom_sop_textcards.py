"""Text cards to employees (``scrm_wecom.messaging.textcards``): WeCom's limits checked exactly at the boundary
(title 128 bytes, description 512 bytes after the customer variables are filled in, link label 4 characters, a link
required), variables filled and cut, and a card sent once per key through the outbound path."""

from __future__ import annotations

import pytest
from scrm_wecom.messaging.textcards import (
    VARIABLE_CHARS,
    CardSpec,
    TextCardError,
    check_card,
    check_template,
    fill,
    send_textcard,
)
from sqlmodel import Session
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import app_messages, deliveries, employee
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403

from scrm.core.db import writer

URL = "https://scrm.acme.test/t/acme/wecom/sop/tasks/1"


def card(title="待办", description="内容", url=URL, button=None) -> CardSpec:
    return CardSpec(title, description, url, button)


def test_the_title_may_have_128_bytes_not_129():
    assert check_card(card(title="a" * 128)).title == "a" * 128
    assert check_card(card(title="字" * 42 + "ab")).title  # 126 + 2 bytes
    with pytest.raises(TextCardError) as error:
        check_card(card(title="a" * 129))
    assert (error.value.field, str(error.value)) == ("title", "title_too_long")
    with pytest.raises(TextCardError):
        check_card(card(title="字" * 43))  # 129 bytes


def test_the_description_may_have_512_bytes_not_513():
    assert check_card(card(description="b" * 512))
    with pytest.raises(TextCardError) as error:
        check_card(card(description="b" * 513))
    assert error.value.field == "description"


def test_the_link_label_may_have_4_characters_not_5():
    assert check_card(card(button="去完成吧")).button == "去完成吧"
    with pytest.raises(TextCardError) as error:
        check_card(card(button="立即去完成"))
    assert error.value.field == "button"


def test_a_card_needs_a_link():
    for url in ("", "javascript:alert(1)", "ftp://x", "https://a b"):
        with pytest.raises(TextCardError) as error:
            check_card(card(url=url))
        assert error.value.field == "url"


def test_variables_are_filled_and_cut_to_their_length():
    assert fill("{customer}您好，{rule}", {"customer": "王小姐", "rule": "生日关怀"}) == "王小姐您好，生日关怀"
    assert fill("{customer}", {"customer": "长" * 30}) == "长" * VARIABLE_CHARS
    assert fill("{unknown}", {}) == "{unknown}"


def test_a_template_is_checked_with_its_variables_at_their_longest():
    room = 512 - VARIABLE_CHARS * 3  # one variable at its longest takes 60 bytes
    check_template("t", "x" * room + "{customer}")
    with pytest.raises(TextCardError) as error:
        check_template("t", "x" * (room + 1) + "{customer}")
    assert error.value.field == "description"
    with pytest.raises(TextCardError) as error:
        check_template("t", "{nickname}")
    assert str(error.value) == "unknown_variable"


def test_a_card_goes_once_per_key_with_the_customer_filled_in(db, tenant, churn_account, sandbox, worker):
    lisi = employee(db, tenant.id, "lisi").id
    db.commit()
    for _ in range(2):
        with Session(writer(db.get_bind())) as session:
            send_textcard(session, tenant.id, employee_id=lisi, key="reminder:7",
                          card=CardSpec("回访 {customer}", "{customer}的生日在{due}", URL, "查看"),
                          variables={"customer": "王小姐", "due": "12-08"})
            session.commit()
    worker.join()
    [sent] = app_messages(sandbox[1])
    assert sent["touser"] == "lisi" and sent["textcard"]["title"] == "回访 王小姐"
    assert sent["textcard"]["description"] == "王小姐的生日在12-08" and sent["textcard"]["btntxt"] == "查看"
    assert [row.status for row in deliveries(db, tenant.id)] == ["sent"]


def test_a_card_past_a_limit_is_refused_before_anything_is_written(db, tenant, churn_account, sandbox, worker):
    lisi = employee(db, tenant.id, "lisi").id
    db.commit()
    with Session(writer(db.get_bind())) as session, pytest.raises(TextCardError):
        send_textcard(session, tenant.id, employee_id=lisi, key="reminder:8",
                      card=CardSpec("t", "{customer}" + "x" * 510, URL), variables={"customer": "王小姐"})
    assert deliveries(db, tenant.id) == []
