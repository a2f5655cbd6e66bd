"""Plaintext WeChat XML messages: a safe parser and a serializer.

WeChat (Official Account, WeCom, WeCom kf) pushes flat XML documents such as::

    <xml><ToUserName><![CDATA[toUser]]></ToUserName><CreateTime>1348831860</CreateTime>
    <MsgType><![CDATA[text]]></MsgType><Content><![CDATA[this is a test]]></Content></xml>

:func:`parse_xml` turns the children of the root element into a ``dict`` and :func:`build_xml` does the reverse for
passive replies. Parsing is done with expat directly and refuses any document type declaration (and therefore every
entity declaration, internal or external): WeChat never sends one, and refusing it closes entity-expansion and
external-entity attacks without depending on an extra package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias
from xml.parsers import expat

from scrm.sdk.wechat.errors import ParseXmlError

__all__ = ["MAX_DEPTH", "XmlValue", "build_xml", "parse_xml"]

XmlValue: TypeAlias = "str | dict[str, XmlValue] | list[XmlValue]"
"""A parsed value: text for a leaf element, a dict for an element with children, a list for repeated siblings."""

MAX_DEPTH = 32
"""Deepest element nesting :func:`parse_xml` accepts (WeChat documents are at most 4 levels deep)."""

_TAG_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
# Characters that XML 1.0 cannot carry at all (not even inside CDATA).
_INVALID_XML_CHARS_RE = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class _Node:
    """One element: its tag, its text pieces and its child elements (a plain slotted class: callbacks parse one
    per element on the platform's hottest path)."""

    __slots__ = ("tag", "parts", "children")

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.parts: list[str] = []
        self.children: list[_Node] = []

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def find_text(self, tag: str) -> str | None:
        """Text of the first direct child named ``tag`` (``None`` when absent)."""
        for child in self.children:
            if child.tag == tag:
                return child.text
        return None


class _ForbiddenConstruct(Exception):
    pass


def _forbid(what: str) -> Any:
    def handler(*_args: Any) -> Any:
        raise _ForbiddenConstruct(what)

    return handler


_FORBID_DOCTYPE = _forbid("DOCTYPE declarations are not allowed")
_FORBID_ENTITY = _forbid("ENTITY declarations are not allowed")
_FORBID_NOTATION = _forbid("NOTATION declarations are not allowed")
_FORBID_EXTERNAL = _forbid("external entities are not allowed")


_FLAT_ROOT = re.compile(r"[ \t\n]*<xml>")
_FLAT_CHILD = re.compile(r"[ \t\n]*<([A-Za-z_][A-Za-z0-9_]*)>"
                         r"(?:<!\[CDATA\[([^\]]*(?:\](?!\]>)[^\]]*)*)\]\]>|([^<&]*))</\1>")
_FLAT_END = re.compile(r"[ \t\n]*</xml>[ \t\n]*\Z")
# Text the flat reading leaves to expat: characters XML 1.0 cannot carry, and carriage returns (expat normalizes
# line ends in text, CDATA included).
_FLAT_UNSURE_TEXT = re.compile("[^\t\n\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _parse_flat(body: bytes | bytearray | memoryview | str) -> _Node | None:
    """The common shape of a WeChat document read without a parser: ``<xml>`` holding only leaf elements, each a
    single CDATA section or plain text without markup or entity references, separated by spaces, tabs or newlines.
    Returns the same tree :func:`_parse_tree` builds with expat, or None for anything else (an XML declaration, a
    BOM, attributes, comments, nesting, several CDATA sections in one element, a carriage return, a character XML
    cannot carry, bytes that are not UTF-8 ...): expat then reads, or refuses, the document. Measured on a
    callback's envelope and message, several times cheaper than creating and running an expat parser."""
    if isinstance(body, str):
        text = body
    else:
        try:
            text = bytes(body).decode("utf-8")
        except (UnicodeDecodeError, TypeError):
            return None
    start = _FLAT_ROOT.match(text)
    if start is None:
        return None
    root = _Node("xml")
    children = root.children
    pos = start.end()
    match_child = _FLAT_CHILD.match
    while True:
        child = match_child(text, pos)
        if child is None:
            break
        tag, cdata, plain = child.groups()
        value = cdata if cdata is not None else plain
        if "]]>" in value or _FLAT_UNSURE_TEXT.search(value):  # several CDATA sections (the regex went past the
            return None  # first end), or "]]>" in plain text (malformed): expat decides
        node = _Node(tag)
        node.parts.append(value)
        children.append(node)
        pos = child.end()
    if not children or _FLAT_END.match(text, pos) is None:  # an empty root keeps its whitespace: expat's reading
        return None
    return root


def _parse_tree(body: bytes | bytearray | memoryview | str) -> _Node:
    """Parse ``body`` into a tree of element nodes; the package-internal entry point shared with the crypto module.

    Contract: returns the root node (attributes, comments and processing instructions are dropped); raises
    :class:`ParseXmlError` for malformed XML, an empty body, a DOCTYPE / ENTITY / NOTATION declaration, an external
    entity reference, an encoding expat does not support, or nesting deeper than :data:`MAX_DEPTH`; raises
    ``TypeError`` when ``body`` is neither text nor bytes. A flat document of the usual shape is read without
    expat (:func:`_parse_flat`, the same tree); every other document goes through expat.
    """
    if isinstance(body, str | bytes | bytearray | memoryview):
        flat = _parse_flat(body)
        if flat is not None:
            return flat
    return _parse_tree_expat(body)


def _parse_tree_expat(body: bytes | bytearray | memoryview | str) -> _Node:
    if isinstance(body, str):
        data = body.removeprefix("\ufeff")
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ParseXmlError("XML text is not encodable as UTF-8") from exc
        parser = expat.ParserCreate(encoding="utf-8")
    elif isinstance(body, bytes | bytearray | memoryview):
        raw = bytes(body)
        parser = expat.ParserCreate()
    else:
        raise TypeError(f"XML body must be str or bytes, not {type(body).__name__}")
    if not raw.strip():
        raise ParseXmlError("empty XML body")

    stack: list[_Node] = []
    roots: list[_Node] = []

    def start(tag: str, _attrs: dict[str, str]) -> None:
        if len(stack) >= MAX_DEPTH:
            raise _ForbiddenConstruct(f"nesting deeper than {MAX_DEPTH} levels")
        node = _Node(tag)
        if stack:
            stack[-1].children.append(node)
        else:
            roots.append(node)
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        if stack:
            stack[-1].parts.append(data)

    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = _FORBID_DOCTYPE
    parser.EntityDeclHandler = _FORBID_ENTITY
    parser.UnparsedEntityDeclHandler = _FORBID_ENTITY
    parser.NotationDeclHandler = _FORBID_NOTATION
    parser.ExternalEntityRefHandler = _FORBID_EXTERNAL
    try:
        parser.Parse(raw, True)
    except _ForbiddenConstruct as exc:
        raise ParseXmlError(str(exc)) from None
    except expat.ExpatError as exc:
        raise ParseXmlError(f"malformed XML: {expat.ErrorString(exc.code)} at line {exc.lineno}") from None
    except ValueError as exc:  # e.g. "multi-byte encodings are not supported"
        raise ParseXmlError(f"unsupported XML: {exc}") from None
    if len(roots) != 1:  # pragma: no cover - expat already rejects documents without exactly one root
        raise ParseXmlError("XML document must have exactly one root element")
    return roots[0]


def _node_value(node: _Node) -> XmlValue:
    if not node.children:
        return node.text
    result: dict[str, XmlValue] = {}
    for child in node.children:
        value = _node_value(child)
        if child.tag not in result:
            result[child.tag] = value
            continue
        existing = result[child.tag]
        if isinstance(existing, list):
            existing.append(value)
        else:
            result[child.tag] = [existing, value]
    return result


def parse_xml(body: bytes | bytearray | memoryview | str) -> dict[str, XmlValue]:
    """Parse an inbound plaintext WeChat XML message into a dict.

    Contract:

    * The root element (normally ``<xml>``) is not part of the result; each child becomes one key.
    * A leaf element maps to its text exactly as sent (CDATA sections are unwrapped, entities resolved, whitespace
      kept; an empty element gives ``""``). Numbers stay strings (``"1348831860"``): conversion is the caller's job.
    * An element with child elements maps to a nested dict built the same way (whitespace between children is
      ignored).
    * A tag repeated among siblings (``<item>`` in ``PicList``/``Articles``) maps to a list of values in document
      order; a tag that occurs once is never wrapped in a list.
    * Attributes, comments and processing instructions are ignored.
    * Raises :class:`~scrm.sdk.wechat.errors.ParseXmlError` (-40002) for malformed XML, an empty body, an encoding
      expat cannot read, nesting deeper than :data:`MAX_DEPTH`, and any DOCTYPE/ENTITY declaration (checked by the
      parser, so text such as ``<!DOCTYPE`` inside a CDATA section is fine).
    """
    value = _node_value(_parse_tree(body))
    return value if isinstance(value, dict) else {}


def _cdata(text: str) -> str:
    if _INVALID_XML_CHARS_RE.search(text):
        raise ValueError("text contains characters that XML 1.0 cannot represent")
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _append(out: list[str], tag: str, value: Any) -> None:
    if not isinstance(tag, str) or not _TAG_RE.match(tag):
        raise ValueError(f"invalid XML tag name: {tag!r}")
    if isinstance(value, bool):
        raise TypeError(f"{tag}: booleans have no WeChat XML form; pass a str or an int")
    if isinstance(value, str):
        out.append(f"<{tag}>{_cdata(value)}</{tag}>")
    elif isinstance(value, int):
        out.append(f"<{tag}>{value}</{tag}>")
    elif isinstance(value, Mapping):
        out.append(f"<{tag}>")
        for key, child in value.items():
            _append(out, key, child)
        out.append(f"</{tag}>")
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        for item in value:
            if isinstance(item, Sequence) and not isinstance(item, str | bytes | bytearray):
                raise TypeError(f"{tag}: nested lists cannot be serialized")
            _append(out, tag, item)
    else:
        raise TypeError(f"{tag}: unsupported value type {type(value).__name__}")


def build_xml(data: Mapping[str, Any], root: str = "xml") -> str:
    """Serialize ``data`` into a WeChat-style XML document (for passive replies and tests).

    Contract:

    * Output is one line, ``<xml>`` children in the mapping's order, no XML declaration.
    * ``str`` values are written as CDATA (``]]>`` inside a value is split across two CDATA sections, so every
      string round-trips through :func:`parse_xml`); ``int`` values are written bare (``<CreateTime>123</CreateTime>``).
    * A nested mapping becomes nested elements; a list/tuple becomes the same tag repeated once per item.
    * Raises ``TypeError`` for ``bool``, ``None``, ``float``, bytes and other types, and ``ValueError`` for a tag that
      is not a simple XML name or text containing characters XML 1.0 cannot carry (e.g. ``\\x00``).
    """
    if not isinstance(data, Mapping):
        raise TypeError(f"build_xml expects a mapping, not {type(data).__name__}")
    out: list[str] = []
    _append(out, root, data)
    return "".join(out)
