"""The flat reading of WeChat XML (``_parse_flat``) against expat: for every document it accepts it builds the tree
expat builds; everything else (declarations, entities, nesting, line ends expat normalizes, characters XML cannot
carry, malformed markup) is left to expat, which reads or refuses it exactly as before."""

from __future__ import annotations

import random

import pytest

from scrm.sdk.wechat import ParseXmlError, parse_xml
from scrm.sdk.wechat.crypto import WeChatCrypto
from scrm.sdk.wechat.xmlmsg import _node_value, _parse_flat, _parse_tree_expat

MESSAGE = ("<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqL"
           "zSIWZf0rs]]></FromUserName>\n<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n"
           "<Content><![CDATA[abcdteT]]></Content>\n<MsgId>6054768590064713728</MsgId>\n</xml>")
ENVELOPE = ("<xml>\n    <ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n    <Encrypt><![CDATA[RypEvHKD8Qq"
            "KFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TU"
            "UkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc"
            "2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8"
            "V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS]]></Encrypt>\n    <AgentID>"
            "<![CDATA[218]]></AgentID>\n</xml>")


def expat_value(body):
    try:
        return _node_value(_parse_tree_expat(body))
    except ParseXmlError:
        return ParseXmlError


def flat_value(body):
    tree = _parse_flat(body)
    return None if tree is None else _node_value(tree)


@pytest.mark.parametrize("body", [MESSAGE, ENVELOPE, MESSAGE.encode(), ENVELOPE.encode("utf-8"),
                                  "<xml><A></A><A>1</A><B><![CDATA[]]></B></xml>",
                                  "  <xml>\t<Content><![CDATA[多行\n文本 > ] ]] &amp; <b>]]></Content></xml>\n",
                                  "<xml><Content>a &gt; b</Content></xml>", "<xml><Content>1 > 0</Content></xml>"])
def test_flat_documents_give_the_tree_expat_gives(body):
    expected = expat_value(body)
    if "&" in str(body) and "CDATA" not in str(body):
        assert flat_value(body) is None  # an entity reference: expat resolves it
    else:
        assert flat_value(body) == expected and expected is not ParseXmlError
    assert parse_xml(body) == ({} if not isinstance(expected, dict) else expected)


@pytest.mark.parametrize("body", [
    '<?xml version="1.0" encoding="utf-8"?><xml><A>1</A></xml>', "\ufeff<xml><A>1</A></xml>",
    b"\xef\xbb\xbf<xml><A>1</A></xml>", "<xml><A>a\r\nb</A></xml>", "<xml><A><![CDATA[a\rb]]></A></xml>",
    "<xml><A>\x01</A></xml>", "<xml><A><![CDATA[\x0b]]></A></xml>", "<xml><A>x]]>y</A></xml>",
    "<xml><A><B>1</B></A></xml>", "<xml></xml>", "<xml>\n</xml>", '<xml><A x="1">1</A></xml>', "<xml><A/></xml>", "<xml><!-- c --><A>1</A></xml>",
    "<xml><A><![CDATA[a]]]]><![CDATA[>b]]></A></xml>", "<xml><A>1</B></xml>", "<xml><A>1</A>", "<xml><A>1</A></xml>x",
    '<!DOCTYPE x [<!ENTITY e "boom">]><xml><A>&e;</A></xml>', "<XML><A>1</A></XML>", "<xml><A>&#x41;</A></xml>",
    b"<xml><A>\xff</A></xml>", "<xml>text<A>1</A></xml>", "<xml><A>1</A>\x0c</xml>",
])
def test_anything_else_is_left_to_expat(body):
    assert _parse_flat(body) is None
    expected = expat_value(body)
    if expected is ParseXmlError:
        with pytest.raises(ParseXmlError):
            parse_xml(body)
    else:
        assert parse_xml(body) == (expected if isinstance(expected, dict) else {})


def test_random_documents_read_the_same_either_way():
    rng = random.Random(14)
    alphabet = ["a", "Z", "0", " ", "\t", "\n", "\r", "<", ">", "&", "]", "]]>", "<![CDATA[", "中", "文", "\x00",
                "\x1f", "\ud7ff", "\ufffe", "😀", "&amp;", "&lt;"]
    flat_read = 0
    for _ in range(3000):
        parts = ["<xml>"]
        for _child in range(rng.randint(0, 4)):
            tag = rng.choice(["A", "Content", "MsgId", "x_1"])
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
            body = f"<![CDATA[{text}]]>" if rng.random() < 0.5 else text
            parts.append(rng.choice(["", "\n", " "]) + f"<{tag}>{body}</{tag}>")
        parts.append(rng.choice(["", "\n"]) + "</xml>")
        document = "".join(parts)
        flat = flat_value(document)
        if flat is not None:
            flat_read += 1
            assert flat == expat_value(document), document
    assert flat_read > 300  # the comparison covered many documents the flat reading accepted


def test_a_safe_mode_envelope_still_decrypts():
    crypto = WeChatCrypto("spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2",
                          max_age=None)
    encrypt, signature = crypto.encrypt_message(MESSAGE, "1409735669", "1320562132")
    envelope = f"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    assert _parse_flat(envelope) is not None
    assert crypto.decrypt_xml(signature, "1409735669", "1320562132", envelope.encode()) == MESSAGE
