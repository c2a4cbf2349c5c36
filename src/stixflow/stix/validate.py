"""Fast STIX 2.1 object validation against the official OASIS JSON schemas.

The schemas are the ones shipped inside the installed ``stix2-validator`` package
(``stix2validator/schemas-2.1/schemas``, the cti-stix2-json-schemas of STIX 2.1). They are
compiled with jsonschema-rs once per type, on first use or all at once with
``Validator.compile_all`` (workers do that at start-up); their cross-file ``$ref`` URIs are resolved
from the package files, never over the network.

Reasons name the property and the problem, never the value: they are stored on works, and a
value may be what a marking protects (an indicator's pattern, a description).

On top of the schemas, ``Validator.check`` applies the STIX 2.1 "MUST" rules that matter for
ingestion and that a JSON schema cannot express: the id matches the type (section 2.9), timestamps
are real dates and ordered (``modified >= created``, ``valid_until > valid_from``…, section 3.2
and each object's section), identifiers have a type of at most 250 characters (section 2.9),
and STIX patterns parse (section 9). ``stix2-validator`` stays the reference (about 60 s on
enterprise ATT&CK, where this takes about one second); tests compare both.

``check`` never raises on hostile input: an object nested deeper than ``limits.MAX_DEPTH`` is
refused before the schema sees it, a pattern nested deeper than ``MAX_PATTERN_DEPTH`` or longer
than ``MAX_PATTERN_CHARS`` before the (recursive, ANTLR) pattern parser sees it, and whatever
that parser raises becomes the object's reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs
import orjson
from stix2patterns.validator import run_validator

from stixflow.stix.limits import depth_reason, too_deep
from stixflow.stix.timestamps import TIMESTAMP_RE, sort_key

_SCHEMA_BASE = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"
_TYPE_DIRS = ("sdos", "sros", "observables")
_COMMON_TYPES = ("marking-definition", "language-content", "extension-definition")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_MAX_REASON = 300
_PATTERN_POSITION = re.compile(r"line (\d+:\d+)")
#: STIX 2.1 section 2.9: an identifier is ``type--UUID``; section 2.10: a type has 3 to 250
#: characters. Longer references are refused (PostgreSQL could not index them either).
MAX_TYPE_CHARS = 250
#: Parentheses and brackets a pattern may nest; the parser recurses about ten frames per level.
MAX_PATTERN_DEPTH = 100
MAX_PATTERN_CHARS = 100_000

#: Pairs (later, operator, earlier) that STIX 2.1 orders, per type; ``modified >= created`` always.
_ORDERED: dict[str, tuple[tuple[str, str, str], ...]] = {
    "campaign": (("last_seen", ">=", "first_seen"),),
    "indicator": (("valid_until", ">", "valid_from"),),
    "infrastructure": (("last_seen", ">=", "first_seen"),),
    "intrusion-set": (("last_seen", ">=", "first_seen"),),
    "malware": (("last_seen", ">=", "first_seen"),),
    "observed-data": (("last_observed", ">=", "first_observed"),),
    "relationship": (("stop_time", ">", "start_time"),),
    "sighting": (("last_seen", ">=", "first_seen"),),
    "threat-actor": (("last_seen", ">=", "first_seen"),),
}
_TIMESTAMP_PROPERTIES = frozenset(
    {
        "created",
        "modified",
        "first_seen",
        "last_seen",
        "valid_from",
        "valid_until",
        "published",
        "first_observed",
        "last_observed",
        "start_time",
        "stop_time",
        "submitted",
        "analysis_started",
        "analysis_ended",
        "object_modified",
    }
)
#: Error kinds that only say "some branch failed"; a more precise error is usually also reported.
_VAGUE_KINDS = ("OneOf", "AnyOf", "Not", "FalseSchema")

_Compiled = Any  # a jsonschema-rs validator; the package's stubs name no common base class


class Validator:
    """Checks single STIX 2.1 objects; compiled schemas are cached per type."""

    def __init__(self) -> None:
        self._paths = _type_schema_paths()
        self._compiled: dict[str, _Compiled] = {}

    def check(self, obj: dict) -> str | None:
        """None when ``obj`` is a valid STIX 2.1 object, else a short reason naming the property."""
        if not isinstance(obj, dict):
            return f"a STIX object must be a JSON object, not {type(obj).__name__}"
        reason = _check_identity(obj)
        if reason is not None:
            return reason
        if too_deep(obj):
            return f"'(object)': {depth_reason()}"
        schema_errors = self._schema_for(obj).iter_errors(obj)
        reason = _best_reason(schema_errors)
        if reason is not None:
            return reason
        return _check_refs(obj) or _check_timestamps(obj) or _check_pattern(obj)

    def compile_all(self) -> None:
        """Compile every schema now rather than inside the first checks of each type.

        About a quarter of a second, and memory: a process holding them all peaks about 250 MiB
        higher than one that met only ATT&CK's types (what any worker reaches once it has seen
        every type).
        """
        for path in (*self._paths.values(), *_CUSTOM_SCHEMAS):
            self._compiled_for(path)

    def _schema_for(self, obj: dict) -> _Compiled:
        object_type = obj["type"]
        return self._compiled_for(self._paths.get(object_type) or _custom_schema_path(obj))

    def _compiled_for(self, path: str) -> _Compiled:
        compiled = self._compiled.get(path)
        if compiled is None:
            compiled = _compile(path)
            self._compiled[path] = compiled
        return compiled


@cache
def default_validator() -> Validator:
    """The process-wide Validator (schemas compile on first use of each type, or all at once:
    ``Validator.compile_all``)."""
    return Validator()


# -- schema loading -------------------------------------------------------------------------------


def _schema_root() -> Any:
    return resources.files("stix2validator").joinpath("schemas-2.1", "schemas")


def _type_schema_paths() -> dict[str, str]:
    """Schema file (relative to the schemas root) of every STIX 2.1 type that has one."""
    root = _schema_root()
    paths = {}
    for folder in _TYPE_DIRS:
        for entry in root.joinpath(folder).iterdir():
            if entry.name.endswith(".json"):
                paths[entry.name.removesuffix(".json")] = f"{folder}/{entry.name}"
    for name in _COMMON_TYPES:
        paths[name] = f"common/{name}.json"
    return paths


_CUSTOM_SCHEMAS = ("common/core.json", "common/cyber-observable-core.json")


def _custom_schema_path(obj: dict) -> str:
    """Core schema for custom types: SCO core when the object has no created/modified."""
    sdo_core, sco_core = _CUSTOM_SCHEMAS
    if "created" in obj or "modified" in obj or obj["type"] == "marking-definition":
        return sdo_core
    return sco_core


@cache
def _load(relative_path: str) -> dict:
    text = _schema_root().joinpath(*relative_path.split("/")).read_text(encoding="utf-8")
    schema: dict = json.loads(text)
    return schema


def _retrieve(uri: str) -> dict:
    """Resolve a schema ``$ref`` URI to the packaged file; anything else is refused."""
    if not uri.startswith(_SCHEMA_BASE):
        raise ValueError(f"refusing to fetch schema {uri!r}: only packaged STIX schemas resolve")
    return _load(uri.removeprefix(_SCHEMA_BASE))


def _compile(relative_path: str) -> _Compiled:
    return jsonschema_rs.validator_for(
        _load(relative_path), retriever=_retrieve, validate_formats=True
    )


# -- checks ---------------------------------------------------------------------------------------


def _check_identity(obj: dict) -> str | None:
    object_type = obj.get("type")
    if not isinstance(object_type, str) or not object_type:
        return "missing 'type'"
    if object_type == "bundle":
        return "'type': a bundle is not a STIX object; check its objects one by one"
    object_id = obj.get("id")
    if not isinstance(object_id, str) or not object_id:
        return "missing 'id'"
    prefix, separator, suffix = object_id.partition("--")
    if not separator or not _UUID_RE.match(suffix):
        return f"'id': {object_id!r} is not of the form {object_type}--<UUID>"
    if prefix != object_type:
        return f"'id': prefix {prefix!r} does not match 'type' {object_type!r}"
    return None


def _best_reason(errors: Iterable[jsonschema_rs.ValidationError]) -> str | None:
    """The most precise of the schema errors, as ``'path': message``."""
    best: jsonschema_rs.ValidationError | None = None
    for error in errors:
        if best is None or _rank(error) < _rank(best):
            best = error
    if best is None:
        return None
    if isinstance(best.kind, jsonschema_rs.ValidationErrorKind.Required):
        return f"'{_path([*best.instance_path, best.kind.property])}': required property is missing"
    return _shorten(f"'{_path(best.instance_path)}': {_problem(best)}")


def _problem(error: jsonschema_rs.ValidationError) -> str:
    """The schema's complaint without the value it quotes first (``"x" is not a "uri"``)."""
    quoted = orjson.dumps(error.instance).decode()
    if error.message.startswith(quoted):
        return error.message[len(quoted) :].strip()
    kind = type(error.kind).__name__.rsplit("_", 1)[-1]
    return f"does not match the schema ({kind})"


def _rank(error: jsonschema_rs.ValidationError) -> tuple[int, int]:
    vague = any(word in type(error.kind).__name__ for word in _VAGUE_KINDS)
    return (1 if vague else 0, -len(error.instance_path))


def _path(parts: list[str | int]) -> str:
    if not parts:
        return "(object)"
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)[1:]


def _shorten(reason: str) -> str:
    return reason if len(reason) <= _MAX_REASON else reason[: _MAX_REASON - 1] + "…"


def _check_timestamps(obj: dict) -> str | None:
    for key in _TIMESTAMP_PROPERTIES.intersection(obj):
        value = obj[key]
        match = TIMESTAMP_RE.match(value) if isinstance(value, str) else None
        if match is None:
            continue  # the schema decides about malformed or absent values
        try:
            datetime.fromisoformat(match.group(1))
        except ValueError:
            return f"'{key}': not a real date and time"
    orders = (("modified", ">=", "created"), *_ORDERED.get(obj["type"], ()))
    for later, operator, earlier in orders:
        reason = _check_order(obj, later, operator, earlier)
        if reason is not None:
            return reason
    return None


_OPERATORS: dict[str, Callable[[tuple[str, str], tuple[str, str]], bool]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}


def _check_order(obj: dict, later: str, operator: str, earlier: str) -> str | None:
    late, early = obj.get(later), obj.get(earlier)
    if not isinstance(late, str) or not isinstance(early, str):
        return None
    if _OPERATORS[operator](sort_key(late), sort_key(early)):
        return None
    word = "later than or equal to" if operator == ">=" else "later than"
    return f"'{later}': must be {word} '{earlier}'"


def _check_refs(obj: dict) -> str | None:
    """Top-level references (the ones stored in indexed columns) have a type of at most
    ``MAX_TYPE_CHARS`` characters; the schema checks only their shape."""
    for key, value in obj.items():
        if key.endswith("_ref"):
            refs = [value]
        elif key.endswith("_refs") and isinstance(value, list):
            refs = value
        else:
            continue
        for ref in refs:
            if isinstance(ref, str) and len(ref.partition("--")[0]) > MAX_TYPE_CHARS:
                return (
                    f"'{key}': not an identifier: its type is longer than {MAX_TYPE_CHARS} "
                    "characters"
                )
    return None


def _check_pattern(obj: dict) -> str | None:
    if obj["type"] != "indicator" or obj.get("pattern_type") != "stix":
        return None
    pattern = obj.get("pattern")
    if not isinstance(pattern, str):
        return None
    too_big = pattern_bounds(pattern)
    if too_big is not None:
        return f"'pattern': {too_big}"
    try:
        errors = run_validator(pattern, stix_version="2.1")
    except RecursionError:
        return "'pattern': too complex to parse (too many nested expressions or operators)"
    except Exception as exc:  # the parser's own bugs (an empty pattern raises UnboundLocalError)
        return _shorten(f"'pattern': the pattern parser failed: {type(exc).__name__}: {exc}")
    if not errors:
        return None
    where = _PATTERN_POSITION.search(str(errors[0]))
    at = f" (error at line {where.group(1)})" if where else ""
    return f"'pattern': not a valid STIX 2.1 pattern{at}"


def pattern_bounds(pattern: str) -> str | None:
    """Why ``pattern`` is too big to hand to the parser, or None.

    Counts the nesting of parentheses and brackets outside quoted literals (``'…'``, where a
    backslash escapes the next character), in one pass without recursion.
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"longer than {MAX_PATTERN_CHARS:,} characters"
    depth = deepest = 0
    quoted = escaped = False
    for char in pattern:
        if quoted:
            escaped, quoted = (False, True) if escaped else (char == "\\", char != "'")
        elif char == "'":
            quoted = True
        elif char in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]":
            depth -= 1
    if deepest > MAX_PATTERN_DEPTH:
        return (
            f"nested {deepest} levels deep (parentheses and brackets); at most {MAX_PATTERN_DEPTH}"
        )
    return None
