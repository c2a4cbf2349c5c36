"""HTML fragments of feed items → Markdown, or plain text when the markup is nested too deep.

markdownify walks BeautifulSoup's tree recursively (three Python frames per element): an item
with a few hundred nested tags raised RecursionError, and failed every run of its feed. The
markup is first read by the standard library's ``HTMLParser``, a flat tokenizer that never
recurses, which measures how deep the elements nest and keeps the text. Markup nested deeper
than ``MAX_HTML_DEPTH`` becomes that plain text (paragraph-like elements as line breaks, scripts
and styles dropped), and so does markup that makes markdownify give up anyway.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markdownify import markdownify

MAX_HTML_DEPTH = 100

#: Elements that never hold others (HTML Living Standard §13.1.2).
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_BREAKS = frozenset(
    {"address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "figure", "footer"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section"}
    | {"table", "tr", "ul"}
)
_HIDDEN = frozenset({"script", "style", "template"})
_BLANK_LINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\r\f\v]+")
HTML_HINT = re.compile(r"<[a-zA-Z/!][^>]*>|&[a-zA-Z#][a-zA-Z0-9]*;")


class Scan(HTMLParser):
    """One pass over a fragment: the deepest nesting of elements, and the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.deepest = 0
        self._open: list[str] = []
        self._counts: dict[str, int] = {}
        self._hidden = 0
        self._parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self._parts.append("\n")
        if tag in _VOID:
            return
        self._open.append(tag)
        self._counts[tag] = self._counts.get(tag, 0) + 1
        self.deepest = max(self.deepest, len(self._open))
        self._hidden += tag in _HIDDEN

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self._parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BREAKS:
            self._parts.append("\n")
        if not self._counts.get(tag):
            return  # a stray end tag closes nothing
        while self._open:  # close what the author left open inside it, as browsers do
            closed = self._open.pop()
            self._counts[closed] -= 1
            self._hidden -= closed in _HIDDEN
            if closed == tag:
                return

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self._parts.append(data)

    @property
    def text(self) -> str:
        lines = (_SPACES.sub(" ", line).strip() for line in "".join(self._parts).split("\n"))
        return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def scan(html: str) -> Scan:
    scanner = Scan()
    scanner.feed(html)
    scanner.close()
    return scanner


def to_markdown(html: str) -> str:
    """Clean text or Markdown from an HTML fragment (plain text passes through)."""
    if not HTML_HINT.search(html):
        return html.strip()
    scanned = scan(html)
    if scanned.deepest > MAX_HTML_DEPTH:
        return scanned.text
    try:
        text = markdownify(html, heading_style="ATX", strip=["img", "script", "style"])
    except RecursionError:
        return scanned.text
    return _BLANK_LINES.sub("\n\n", text).strip()
