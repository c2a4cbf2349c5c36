"""OpenCTI's date patterns (moment.js tokens, ``DD/MM/YYYY HH:mm``) to and from ``strptime``."""

from __future__ import annotations

import re

from stixflow.errors import InvalidInput

#: moment.js token → strptime directive, longest tokens first.
TOKENS = (
    ("YYYY", "%Y"),
    ("YY", "%y"),
    ("MMMM", "%B"),
    ("MMM", "%b"),
    ("MM", "%m"),
    ("DD", "%d"),
    ("HH", "%H"),
    ("hh", "%I"),
    ("mm", "%M"),
    ("ss", "%S"),
    ("SSS", "%f"),
    ("A", "%p"),
    ("Z", "%z"),
)
_MOMENT = re.compile("|".join(re.escape(token) for token, _ in TOKENS) + r"|[A-Za-z]")
_STRPTIME = re.compile(r"%.")


def to_strptime(pattern: str) -> str:
    """``DD/MM/YYYY`` → ``%d/%m/%Y``; InvalidInput naming a token without an equivalent."""
    by_token = dict(TOKENS)

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "T":  # the ISO-8601 date/time separator, a literal
            return token
        if token not in by_token:
            raise InvalidInput(f"date pattern {pattern!r}: token {token!r} is not supported")
        return by_token[token]

    return _MOMENT.sub(one, pattern.replace("%", "%%"))


def to_moment(date_format: str) -> str:
    """``%d/%m/%Y`` → ``DD/MM/YYYY``; InvalidInput for a directive without an equivalent."""
    by_directive = {directive: token for token, directive in TOKENS}
    by_directive["%%"] = "%"

    def one(match: re.Match[str]) -> str:
        directive = match.group(0)
        if directive not in by_directive:
            raise InvalidInput(f"date format {date_format!r}: {directive} has no OpenCTI token")
        return by_directive[directive]

    return _STRPTIME.sub(one, date_format)
