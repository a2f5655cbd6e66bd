"""The article preview's HTML: an allowlist of the editor's formatting (bold, underline, lists, alignment, tables,
images over http(s)); every other tag is dropped with its attributes, text is escaped, scripts and styles vanish."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

ALLOWED = {"p", "br", "b", "strong", "i", "em", "u", "s", "ul", "ol", "li", "table", "thead", "tbody", "tr", "td",
           "th", "h1", "h2", "h3", "h4", "blockquote", "span", "div", "img", "section"}
VOID = {"br", "img"}
DROP_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"}
ALIGN = {"left", "center", "right", "justify"}


class _Cleaner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROP_CONTENT:
            self.skip += 1
            return
        if self.skip or tag not in ALLOWED:
            return
        kept = []
        for name, value in attrs:
            value = value or ""
            if tag == "img" and name == "src" and value.lower().startswith(("http://", "https://")):
                kept.append(f' src="{escape(value)}"')
            elif name == "align" and value.lower() in ALIGN:
                kept.append(f' align="{value.lower()}"')
            elif name in ("colspan", "rowspan") and value.isdigit():
                kept.append(f' {name}="{value}"')
        if tag == "img" and not kept:
            return
        self.out.append(f"<{tag}{''.join(kept)}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROP_CONTENT:
            self.skip = max(0, self.skip - 1)
            return
        if not self.skip and tag in ALLOWED and tag not in VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(escape(data))


def clean_html(value: str) -> str:
    cleaner = _Cleaner()
    cleaner.feed(value or "")
    cleaner.close()
    return "".join(cleaner.out)
