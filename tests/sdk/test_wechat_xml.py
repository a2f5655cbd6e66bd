"""Tests of ``scrm.sdk.wechat.xmlmsg``: the DTD-free parser and the reply serializer."""

from __future__ import annotations

import pytest

from scrm.sdk.wechat import ParseXmlError, build_xml, parse_xml
from scrm.sdk.wechat.xmlmsg import MAX_DEPTH

TEXT_MESSAGE = (
    "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
    "<CreateTime>1348831860</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[this is a test]]></Content><MsgId>1234567890123456</MsgId></xml>"
)

PASSIVE_TEXT_REPLY = (
    "<xml><ToUserName><![CDATA[openid]]></ToUserName><FromUserName><![CDATA[gh_xxx]]></FromUserName>"
    "<CreateTime>12345678</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content></xml>"
)

# --------------------------------------------------------------------------------------------------- parse_xml


def test_parse_text_message() -> None:
    assert parse_xml(TEXT_MESSAGE) == {
        "ToUserName": "toUser",
        "FromUserName": "fromUser",
        "CreateTime": "1348831860",
        "MsgType": "text",
        "Content": "this is a test",
        "MsgId": "1234567890123456",
    }


def test_parse_subscribe_event_from_bytes() -> None:
    body = (
        b"<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName>"
        b"<CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"
        b"<EventKey><![CDATA[qrscene_123123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket></xml>"
    )
    parsed = parse_xml(body)
    assert parsed["Event"] == "subscribe"
    assert parsed["EventKey"] == "qrscene_123123"
    assert parsed["Ticket"] == "TICKET"


def test_nested_elements_become_dicts_and_repeated_tags_lists() -> None:
    body = (
        "<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[pic_sysphoto]]></Event>"
        "<SendPicsInfo><Count>2</Count><PicList>"
        "<item><PicMd5Sum><![CDATA[aaa]]></PicMd5Sum></item>"
        "<item><PicMd5Sum><![CDATA[bbb]]></PicMd5Sum></item>"
        "</PicList></SendPicsInfo>"
        "<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType></ScanCodeInfo></xml>"
    )
    assert parse_xml(body) == {
        "MsgType": "event",
        "Event": "pic_sysphoto",
        "SendPicsInfo": {"Count": "2", "PicList": {"item": [{"PicMd5Sum": "aaa"}, {"PicMd5Sum": "bbb"}]}},
        "ScanCodeInfo": {"ScanType": "qrcode"},
    }


def test_a_single_occurrence_is_not_wrapped_in_a_list() -> None:
    body = "<xml><PicList><item><PicMd5Sum>a</PicMd5Sum></item></PicList></xml>"
    assert parse_xml(body) == {"PicList": {"item": {"PicMd5Sum": "a"}}}


def test_cdata_markup_and_entities_are_returned_as_text() -> None:
    body = (
        "<xml><Content><![CDATA[<!DOCTYPE html><b>bold</b> & more]]></Content>"
        "<Plain>a &lt; b &amp;&amp; c &gt; d</Plain></xml>"
    )
    assert parse_xml(body) == {"Content": "<!DOCTYPE html><b>bold</b> & more", "Plain": "a < b && c > d"}


def test_leaf_text_is_kept_verbatim_and_empty_elements_give_empty_strings() -> None:
    body = "<xml><MsgType>  <![CDATA[video]]></MsgType><Empty></Empty><SelfClosing/><Content> 中文 </Content></xml>"
    assert parse_xml(body) == {"MsgType": "  video", "Empty": "", "SelfClosing": "", "Content": " 中文 "}


def test_declaration_and_bom_are_accepted() -> None:
    declared = '<?xml version="1.0" encoding="UTF-8"?><xml><Content><![CDATA[你好]]></Content></xml>'
    assert parse_xml(declared) == {"Content": "你好"}
    assert parse_xml(declared.encode()) == {"Content": "你好"}
    assert parse_xml(b"\xef\xbb\xbf" + declared.encode()) == {"Content": "你好"}
    assert parse_xml("\ufeff" + declared) == {"Content": "你好"}


def test_attributes_comments_and_processing_instructions_are_ignored() -> None:
    body = '<xml a="1"><!-- note --><?pi data?><Content lang="zh"><![CDATA[x]]></Content></xml>'
    assert parse_xml(body) == {"Content": "x"}


@pytest.mark.parametrize(
    "body",
    [
        '<?xml version="1.0"?><!DOCTYPE xml><xml><A>1</A></xml>',
        '<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><A>&b;</A></xml>',
        '<!DOCTYPE xml [<!ENTITY ext SYSTEM "file:///etc/passwd">]><xml><A>&ext;</A></xml>',
        '<!DOCTYPE xml SYSTEM "http://example.invalid/x.dtd"><xml><A>1</A></xml>',
        '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://example.invalid/p.dtd"> %p;]><xml/>',
    ],
    ids=["doctype", "entity-expansion", "external-entity", "external-dtd", "parameter-entity"],
)
def test_dtd_constructs_are_rejected(body: str) -> None:
    with pytest.raises(ParseXmlError) as info:
        parse_xml(body)
    assert info.value.code == -40002


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   ",
        "<xml><A>1</A>",
        "<xml><A>1</B></xml>",
        "not xml",
        "<a/><b/>",
        "<xml>&undefined;</xml>",
        b"\xff\xfe<",
    ],
    ids=["empty", "blank", "unclosed", "mismatched", "text", "two-roots", "undefined-entity", "bad-bytes"],
)
def test_malformed_xml_is_rejected(body: str | bytes) -> None:
    with pytest.raises(ParseXmlError):
        parse_xml(body)


def test_text_that_is_not_encodable_is_rejected() -> None:
    with pytest.raises(ParseXmlError):
        parse_xml("<xml><A>\ud800</A></xml>")


def test_unsupported_declared_encoding_is_rejected() -> None:
    with pytest.raises(ParseXmlError):
        parse_xml('<?xml version="1.0" encoding="GBK"?><xml><A>中</A></xml>'.encode("gbk"))


def test_excessive_nesting_is_rejected() -> None:
    deep = "<a>" * (MAX_DEPTH + 1) + "x" + "</a>" * (MAX_DEPTH + 1)
    with pytest.raises(ParseXmlError):
        parse_xml(deep)
    ok = "<a>" * MAX_DEPTH + "x" + "</a>" * MAX_DEPTH
    assert isinstance(parse_xml(ok), dict)


def test_non_text_body_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse_xml(123)  # type: ignore[arg-type]


def test_root_without_children_gives_an_empty_dict() -> None:
    assert parse_xml("<xml>success</xml>") == {}
    assert parse_xml("<xml/>") == {}


# --------------------------------------------------------------------------------------------------- build_xml


def test_build_passive_text_reply_exactly() -> None:
    reply = build_xml(
        {
            "ToUserName": "openid",
            "FromUserName": "gh_xxx",
            "CreateTime": 12345678,
            "MsgType": "text",
            "Content": "你好",
        }
    )
    assert reply == PASSIVE_TEXT_REPLY


def test_build_nested_and_repeated_elements() -> None:
    data = {
        "MsgType": "news",
        "ArticleCount": 2,
        "Articles": {"item": [{"Title": "a", "Url": "https://e.invalid/?a=1&b=2"}, {"Title": "b"}]},
    }
    assert build_xml(data) == (
        "<xml><MsgType><![CDATA[news]]></MsgType><ArticleCount>2</ArticleCount><Articles>"
        "<item><Title><![CDATA[a]]></Title><Url><![CDATA[https://e.invalid/?a=1&b=2]]></Url></item>"
        "<item><Title><![CDATA[b]]></Title></item></Articles></xml>"
    )


def test_cdata_terminator_inside_a_value_round_trips() -> None:
    data = {"Content": "a]]>b]]>", "Empty": ""}
    xml = build_xml(data)
    assert "]]]]><![CDATA[>" in xml
    assert parse_xml(xml) == data


def test_round_trip_of_a_nested_message() -> None:
    data = {
        "ToUserName": "toUser",
        "CreateTime": 1348831860,
        "Video": {"MediaId": "media", "Title": "标题 <b>"},
        "item": ["x", "y"],
    }
    assert parse_xml(build_xml(data)) == {
        "ToUserName": "toUser",
        "CreateTime": "1348831860",
        "Video": {"MediaId": "media", "Title": "标题 <b>"},
        "item": ["x", "y"],
    }


def test_custom_root() -> None:
    assert build_xml({"A": 1}, root="root") == "<root><A>1</A></root>"


@pytest.mark.parametrize("value", [True, None, 1.5, b"bytes", [["nested"]]], ids=str)
def test_unsupported_values_are_type_errors(value: object) -> None:
    with pytest.raises(TypeError):
        build_xml({"A": value})


@pytest.mark.parametrize("tag", ["", "1abc", "a b", "a<b", "a&b"])
def test_invalid_tag_names_are_value_errors(tag: str) -> None:
    with pytest.raises(ValueError):
        build_xml({tag: "x"})


def test_text_xml_cannot_carry_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        build_xml({"Content": "bell\x07"})


def test_non_mapping_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        build_xml([("A", "b")])  # type: ignore[arg-type]
