"""Repairs of defects real corpora carry, so that an object is kept instead of lost.

Each fix applies to one STIX 2.1 rule an object breaks, changes the least it can, and says what
it changed and why (the note is recorded on the work, ``repaired: …``, and shown in the API and
the web UI). A value a fix replaces or removes is kept in ``x_stixflow_original`` (property ->
original value), so nothing is lost and the original can always be told apart from the repair.

Fixes run only on objects that fail validation (``stixflow.worker.process``), and the object is
validated again after them; an object no fix makes valid fails as before.

Found in the data in ``../shared/data`` (MITRE releases, OpenCTI's own test data):

* ``modified`` earlier than ``created`` (STIX 2.1 §3.2): ``modified`` becomes ``created``;
* ``stop_time`` not later than ``start_time`` (§5.2) and the like for ``last_seen`` /
  ``first_seen``, ``valid_until`` / ``valid_from``: the later bound is removed;
* malware without ``is_family`` (required in 2.1, §4.11): ``true``, as for STIX 2.0 malware
  (``stix.upgrade``), which described families;
* an SDO or SRO without ``created`` / ``modified`` (observed-data exported by OpenCTI): the
  earliest timestamp it carries (``first_observed``, ``published``, ``valid_from``…), else the
  other of the two;
* ``created_by_ref`` that is not a STIX identifier (an OpenCTI internal id): removed;
* OpenCTI's own property extensions (``extension-definition--ea279b3e…`` on SDOs and SROs,
  ``…f93e2c80…`` on observables: score, labels, creator…) sent without ``extension_type``, as
  pycti connectors send them: ``extension_type: "property-extension"``, what OpenCTI defines them
  as;
* a reference set to null (pycti's splitter sends the ATT&CK copyright marking with
  ``"created_by_ref": null``): removed, a null reference being an absent one;
* an SDO or SRO without ``spec_version`` nor any timestamp (OpenCTI's client test bundles):
  ``spec_version: "2.1"``, and ``created`` / ``modified`` set to the import time, as OpenCTI
  does for objects it is given without them;
* a location without region, country or coordinates whose name is a STIX region (region-ov,
  "Western Europe"): ``region`` set from the name;
* a malware analysis without ``result`` nor ``analysis_sco_refs``: ``result: "unknown"`` (the
  malware-result-ov value for "no result given").

Not repaired (no honest value exists, the object fails with its reason): OpenCTI constructs
STIX 2.1 forbids, such as a relationship whose target is a relationship, observed data whose
``object_refs`` name an SDO, a city or country location without region, country code or
coordinates, a reference that is an OpenCTI internal id.
* external references with a plain-text ``url`` (ATT&CK for ICS): moved to its description.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from stixflow.clock import now
from stixflow.stix.ids import SCO_TYPES
from stixflow.stix.timestamps import TIMESTAMP_RE, sort_key

ORIGINAL = "x_stixflow_original"
_ID_RE = re.compile(
    r"^[a-z][a-z0-9-]+[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-"
    r"[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s\"<>\\^`{|}]+$")
#: (later, earlier) bounds STIX 2.1 orders strictly.
_BOUNDS = (
    ("stop_time", "start_time"),
    ("last_seen", "first_seen"),
    ("valid_until", "valid_from"),
    ("last_observed", "first_observed"),
)
#: Timestamps an object without ``created`` can take it from, in order.
_CREATED_FROM = ("first_observed", "published", "valid_from", "first_seen", "start_time")
_NO_DATES = frozenset({*SCO_TYPES, "marking-definition", "bundle", "language-content"})

#: STIX 2.1 region-ov (§10.25).
REGIONS = frozenset(
    [
        "africa",
        "eastern-africa",
        "middle-africa",
        "northern-africa",
        "southern-africa",
        "western-africa",
        "americas",
        "latin-america-caribbean",
        "south-america",
        "caribbean",
        "central-america",
        "northern-america",
        "asia",
        "central-asia",
        "eastern-asia",
        "southern-asia",
        "south-eastern-asia",
        "western-asia",
        "europe",
        "eastern-europe",
        "northern-europe",
        "southern-europe",
        "western-europe",
        "oceania",
        "australia-new-zealand",
        "melanesia",
        "micronesia",
        "polynesia",
        "antarctica",
    ]
)

Fix = Callable[[dict[str, Any]], tuple[dict[str, Any], str] | None]


def apply_fixes(obj: dict[str, Any]) -> tuple[dict[str, Any], list[str]] | None:
    """``obj`` with every fix that applies, and what each changed; None when none applies."""
    notes: list[str] = []
    for fix in FIXES:
        fixed = fix(obj)
        if fixed is not None:
            obj, note = fixed
            notes.append(note)
    return (obj, notes) if notes else None


def _keep(obj: dict[str, Any], *names: str) -> dict[str, Any]:
    """A copy of ``obj`` whose ``x_stixflow_original`` holds the current values of ``names``."""
    original = dict(obj.get(ORIGINAL) or {})
    for name in names:
        if name in obj and name not in original:
            original[name] = obj[name]
    return {**obj, ORIGINAL: original} if original else dict(obj)


def _timestamp(value: object) -> bool:
    return isinstance(value, str) and TIMESTAMP_RE.match(value) is not None


def _modified_before_created(obj: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    created, modified = obj.get("created"), obj.get("modified")
    if not (_timestamp(created) and _timestamp(modified)):
        return None
    assert isinstance(created, str) and isinstance(modified, str)
    if sort_key(modified) >= sort_key(created):
        return None
    fixed = _keep(obj, "modified")
    fixed["modified"] = created
    return fixed, "'modified' was earlier than 'created' (STIX 2.1 §3.2): set to 'created'"


def _bounds_out_of_order(obj: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    wrong = []
    for later, earlier in _BOUNDS:
        end, start = obj.get(later), obj.get(earlier)
        if not (_timestamp(end) and _timestamp(start)):
            continue
        assert isinstance(end, str) and isinstance(start, str)
        strict = later != "last_observed"
        if sort_key(end) < sort_key(start) or (strict and sort_key(end) == sort_key(start)):
            wrong.append((later, earlier))
    if not wrong:
        return None
    fixed = _keep(obj, *(later for later, _ in wrong))
    for later, _ in wrong:
        del fixed[later]
    shown = ", ".join(f"'{later}' (not later than '{earlier}')" for later, earlier in wrong)
    return fixed, f"removed {shown}: STIX 2.1 orders them"


def _malware_without_is_family(obj: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    if obj.get("type") != "malware" or "is_family" in obj:
        return None
    note = "'is_family' was missing (required by STIX 2.1 §4.11): set to true, as for 2.0 malware"
    return {**obj, "is_family": True}, note


def _missing_dates(obj: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    if obj.get("type") in _NO_DATES or "id" not in obj:
        return None
    created, modified = obj.get("created"), obj.get("modified")
    if _timestamp(created) and _timestamp(modified):
        return None
    if created is not None and not _timestamp(created):
        return None  # malformed: not ours to guess
    if modified is not None and not _timestamp(modified):
        return None
    source = next((name for name in _CREATED_FROM if _timestamp(obj.get(name))), None)
    stamp = created or modified or (obj[source] if source else now())
    fixed = dict(obj)
    fixed.setdefault("spec_version", "2.1")
    fixed.setdefault("created", stamp)
    fixed.setdefault("modified", fixed["created"])
    added = [name for name in ("created", "modified") if name not in obj]
    origin = (
        "'created'"
        if created
        else "'modified'"
        if modified
        else f"'{source}'"
        if source
        else "the import time"
    )
    return fixed, f"{' and '.join(repr(n) for n in added)} missing: taken from {origin}"


def _bad_created_by_ref(obj: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    ref = obj.get("created_by_ref")
    if ref is None or (isinstance(ref, str) and _ID_RE.match(ref)):
        return None
    fixed = _keep(obj, "created_by_ref")
    del fixed["created_by_ref"]
    return fixed, "removed 'created_by_ref': not a STIX identifier (kept in x_stixflow_original)"


def _plain_text_urls(obj: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    references = obj.get("external_references")
    if not isinstance(references, list):
        return None
    fixed = [_fix_reference(ref) for ref in references]
    moved = sum(1 for new, old in zip(fixed, references, strict=True) if new is not old)
    if not moved:
        return None
    note = f"moved {moved} external reference 'url'(s) that are not URIs into the description"
    return {**obj, "external_references": fixed}, note


def _fix_reference(ref: Any) -> Any:
    if not isinstance(ref, dict):
        return ref
    url = ref.get("url")
    if not isinstance(url, str) or _URI.match(url):
        return ref
    fixed = {key: value for key, value in ref.items() if key != "url"}
    description = ref.get("description")
    fixed["description"] = f"{description} ({url})" if description else url
    return fixed


def _location_named_as_region(obj: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    if obj.get("type") != "location" or any(
        key in obj for key in ("region", "country", "latitude", "longitude")
    ):
        return None
    name = obj.get("name")
    slug = name.strip().lower().replace(" ", "-") if isinstance(name, str) else ""
    if slug not in REGIONS:
        return None
    note = "'region' was missing (a location needs region, country or coordinates): from 'name'"
    return {**obj, "region": slug}, note


def _analysis_without_result(obj: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    if obj.get("type") != "malware-analysis" or "result" in obj or "analysis_sco_refs" in obj:
        return None
    note = "'result' was missing (needed without 'analysis_sco_refs'): set to 'unknown'"
    return {**obj, "result": "unknown"}, note


#: OpenCTI's extension definitions, both property extensions.
OPENCTI_EXTENSIONS = frozenset(
    {
        "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba",
        "extension-definition--f93e2c80-4231-4f9a-af8b-95c9bd566a82",
    }
)


def _opencti_extension_without_type(obj: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    extensions = obj.get("extensions")
    if not isinstance(extensions, dict):
        return None
    untyped = [
        name
        for name, body in extensions.items()
        if name in OPENCTI_EXTENSIONS and isinstance(body, dict) and "extension_type" not in body
    ]
    if not untyped:
        return None
    fixed = dict(extensions)
    for name in untyped:
        fixed[name] = {**extensions[name], "extension_type": "property-extension"}
    note = "OpenCTI's extension without 'extension_type': set to 'property-extension'"
    return {**obj, "extensions": fixed}, note


def _null_references(obj: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    nulls = [k for k, v in obj.items() if v is None and (k.endswith("_ref") or k.endswith("_refs"))]
    if not nulls:
        return None
    fixed = {k: v for k, v in obj.items() if k not in nulls}
    return (
        fixed,
        f"removed {', '.join(repr(k) for k in nulls)}: null (a null reference is an absent one)",
    )


FIXES: tuple[Fix, ...] = (
    _null_references,
    _opencti_extension_without_type,
    _missing_dates,
    _modified_before_created,
    _bounds_out_of_order,
    _malware_without_is_family,
    _bad_created_by_ref,
    _plain_text_urls,
    _location_named_as_region,
    _analysis_without_result,
)
