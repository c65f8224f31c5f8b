"""Streamed SSML cut into tokens as it arrives: text, tags, and what breaks the markup.

Each character is looked at about once: a tag, comment or entity cut between chunks is kept
and its end searched for from where the last search stopped, so a reply fed a character at a
time costs no more than one fed whole.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

MAX_MARKUP_CHARS = 4096
"""A tag, comment or declaration longer than this is not markup (and is not waited for)."""
_MAX_ENTITY_CHARS = 12
_TEXT_END = re.compile(r"[<&]")
_TAG_SCAN = re.compile(r"[\"'>]")
_TAG = re.compile(
    r"<(/?)([A-Za-z_][\w.:-]*)((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>"
)
_ATTRIBUTE = re.compile(r"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,10});")
_ENTITY_START = re.compile(r"&(?:#[xX]?[0-9a-fA-F]*|[A-Za-z][A-Za-z0-9]*)?")
_SKIPPED = (("<!--", "-->"), ("<?", "?>"), ("<!", ">"))
"""Comments, processing instructions (<?xml ...?>) and declarations say nothing."""
_CDATA = ("<![CDATA[", "]]>")


@dataclass(frozen=True)
class Text:
    text: str
    """Entities decoded."""


@dataclass(frozen=True)
class Tag:
    name: str
    """Lower case."""
    closing: bool = False
    empty: bool = False
    """Closes itself (<break/>)."""
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Broken:
    """Something that is not well-formed markup; `text` is what of it may be spoken."""

    reason: str
    text: str = ""


Token = Text | Tag | Broken


class SsmlTokenizer:
    """Feed SSML fragments; take the tokens they complete."""

    def __init__(self) -> None:
        self._pending = ""
        """Unfinished markup (a tag, comment or entity) from its first character."""
        self._searched = 0
        """Characters of `_pending` already searched for its end."""
        self._quote = ""
        """The quote a pending tag is inside at `_searched`."""

    def feed(self, chunk: str) -> list[Token]:
        return self._tokens(self._pending + chunk, final=False)

    def finish(self) -> list[Token]:
        return self._tokens(self._pending, final=True)

    def _tokens(self, text: str, final: bool) -> list[Token]:
        tokens: list[Token] = []
        position = 0
        self._pending = ""
        while position < len(text):
            if text[position] not in "<&":
                end = _TEXT_END.search(text, position)
                stop = end.start() if end else len(text)
                tokens.append(Text(text[position:stop]))
                position = stop
                continue
            found = self._markup(text, position, final)
            if found is None:  # its end has not arrived yet
                self._pending = text[position:]
                self._searched -= position
                break
            token, position = found
            self._searched, self._quote = 0, ""
            if token is not None:
                tokens.append(token)
        return tokens

    def _markup(self, text: str, start: int, final: bool) -> tuple[Token | None, int] | None:
        """The token of the markup at `start` and where the text goes on; None: wait for more."""
        self._searched = max(self._searched, start + 1)
        if text[start] == "&":
            return self._entity(text, start, final)
        head = text[start : start + len(_CDATA[0])]
        for opening, closing in (_CDATA, *_SKIPPED):
            if head.startswith(opening):
                return self._until(text, start, closing, final, cdata=opening == _CDATA[0])
            if opening.startswith(head) and not final:
                return None  # "<!-" may still become a comment
        if start + 1 >= len(text):
            return (Broken("a '<' at the end", "<"), start + 1) if final else None
        if not re.match(r"[A-Za-z_/]", text[start + 1]):
            return Broken("a '<' that starts no tag", "<"), start + 1
        return self._tag(text, start, final)

    def _entity(self, text: str, start: int, final: bool) -> tuple[Token, int] | None:
        match = _ENTITY.match(text, start)
        if match is not None:
            decoded = html.unescape(match[0])
            if decoded != match[0]:
                return Text(decoded), match.end()
            return Broken("an unknown entity", match[0]), match.end()
        rest = text[start : start + _MAX_ENTITY_CHARS]
        if not final and len(rest) < _MAX_ENTITY_CHARS and _ENTITY_START.fullmatch(rest):
            return None  # "&am" may still become "&amp;"
        return Broken("an '&' that starts no entity", "&"), start + 1

    def _until(
        self, text: str, start: int, closing: str, final: bool, *, cdata: bool
    ) -> tuple[Token | None, int] | None:
        end = text.find(closing, max(start, self._searched - len(closing)))
        if end < 0:
            self._searched = len(text)
            return self._unfinished(text, start, final)
        if end - start > MAX_MARKUP_CHARS:
            return _too_long(start)
        if cdata:
            return Text(text[start + len(_CDATA[0]) : end]), end + len(closing)
        return None, end + len(closing)

    def _tag(self, text: str, start: int, final: bool) -> tuple[Token, int] | None:
        position, quote = self._searched, self._quote
        while True:
            found = _TAG_SCAN.search(text, position)
            if found is None:
                self._searched, self._quote = len(text), quote
                return self._unfinished(text, start, final)
            position = found.end()
            mark = found[0]
            if quote:
                quote = "" if mark == quote else quote
            elif mark != ">":
                quote = mark
            elif position - start > MAX_MARKUP_CHARS:
                return _too_long(start)
            else:
                return _parsed_tag(text[start:position]), position

    def _unfinished(self, text: str, start: int, final: bool) -> tuple[Token, int] | None:
        if final:
            return Broken("markup that never ends"), len(text)
        if len(text) - start > MAX_MARKUP_CHARS:
            return _too_long(start)
        return None


def _too_long(start: int) -> tuple[Token, int]:
    """Not markup, whether its end came in the same chunk or not: its '<' is text."""
    return Broken("markup longer than any tag", "<"), start + 1


def _parsed_tag(raw: str) -> Token:
    match = _TAG.fullmatch(raw)
    if match is None:
        return Broken("a malformed tag")
    closing, name, attributes, empty = match.groups()
    if closing and (attributes or empty):
        return Broken("an end tag with attributes")
    return Tag(
        name.lower(),
        closing=bool(closing),
        empty=bool(empty),
        attributes={
            key.lower(): html.unescape(double if double is not None else single)
            for key, double, single in _ATTRIBUTE.findall(attributes)
        },
    )
