"""OpenCTI ingester files (``csvFeeds``, ``taxiiFeeds``, ``taxiiPushCollections``) to and from
the bodies stixflow creates ingesters from, and the ingesters it shows.

Credentials: OpenCTI keeps them in ``authentication_value`` (``user:password`` for basic, the
token for bearer, ``cert:key:ca`` for certificate) and replaces each secret by ``undefined`` on
export; stixflow exports them the same way, so no secret ever leaves in a file, and imports a
file whose secret was replaced only with the caller's credentials put back in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from stixflow.csvmap.model import CsvMapperSpec
from stixflow.errors import InvalidInput
from stixflow.ingest.schemas import IngesterOut, TaxiiCreate
from stixflow.opencti.files import Fields, FileType, Report, read, write
from stixflow.opencti.mapper import mapper_from, mapper_to
from stixflow.taxii.push import PushCreate, PushOut

REDACTED = "undefined"  # what OpenCTI writes in place of an exported secret
NO_AUTH = ("", "none")


@dataclass
class CsvFeedFile:
    """A CSV feed read from a file: its body (mapper field left to the caller) and mapper."""

    fields: dict[str, Any]
    mapper: CsvMapperSpec


def _secret(value: str, what: str, path: str) -> SecretStr:
    if not value or value == REDACTED:
        raise InvalidInput(
            f"{path}: the file carries no {what} (OpenCTI exports it as {REDACTED!r}); "
            "write it into the file before importing"
        )
    return SecretStr(value)


def _auth(fields: Fields, kinds: tuple[str, ...]) -> dict[str, Any]:
    kind = fields.text("authentication_type")
    value = fields.text("authentication_value")
    path = f"{fields.path}.authentication_value"
    if kind in NO_AUTH:
        return {"auth_type": "none"}
    if kind not in kinds:
        raise InvalidInput(f"{fields.path}.authentication_type: {kind!r} is not supported here")
    if kind == "bearer":
        return {"auth_type": "bearer", "token": _secret(value, "token", path)}
    parts = value.split(":")
    if kind == "basic":
        if len(parts) != 2:
            raise InvalidInput(f"{path}: basic authentication is 'user:password'")
        return {
            "auth_type": "basic",
            "username": parts[0],
            "password": _secret(parts[1], "password", path),
        }
    if len(parts) != 3:
        raise InvalidInput(f"{path}: certificate authentication is 'cert:key:ca'")
    return {
        "auth_type": "certificate",
        "cert_pem": parts[0],
        "key_pem": _secret(parts[1], "client key", path),
        "ca_pem": parts[2] or None,
    }


def _common(fields: Fields) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": fields.text("name"),
        "description": fields.text("description"),
        "running": False,
    }
    period = fields.take("scheduling_period")
    if period:
        body["scheduling_period"] = period
    fields.unsupported("user_id", "the user responsible is the importer; change it after import")
    fields.unsupported("ingestion_running", "an imported ingester is created stopped")
    return body


def csv_feed_from(document: bytes | dict[str, Any], report: Report) -> CsvFeedFile:
    fields = Fields(read(document, FileType.CSV_FEED), "configuration", report)
    body = {**_common(fields), "url": fields.text("uri"), "markings": fields.items("markings")}
    body.update(_auth(fields, ("basic", "bearer")))
    mapper_type = fields.text("csv_mapper_type", "inline")
    inline = fields.take("csv_mapper")
    if mapper_type != "inline" or not isinstance(inline, dict):
        fields.take("csv_mapper_id")
        raise InvalidInput(
            "configuration.csv_mapper: the file names an OpenCTI mapper by id; export the feed "
            "from OpenCTI with its mapper inline"
        )
    if "configuration" in inline:
        mapper_config = read(inline, FileType.CSV_MAPPER)
        path = "configuration.csv_mapper.configuration"
    else:
        mapper_config, path = inline, "configuration.csv_mapper"
    mapper = mapper_from(mapper_config, path, report)
    fields.done()
    return CsvFeedFile(fields=body, mapper=mapper)


def taxii_feed_from(document: bytes | dict[str, Any], report: Report) -> TaxiiCreate:
    fields = Fields(read(document, FileType.TAXII_FEED), "configuration", report)
    body = {**_common(fields), "url": fields.text("uri"), "collection": fields.text("collection")}
    version = fields.text("version", "v21")
    if version != "v21":
        raise InvalidInput(f"configuration.version: {version!r}: stixflow reads TAXII 2.1 only")
    body.update(_auth(fields, ("basic", "bearer", "certificate")))
    added_after = fields.take("added_after_start")
    if added_after:
        body["import_from"] = added_after
    fields.unsupported("confidence_to_score", "TAXII feeds keep the score the objects carry")
    fields.done()
    return TaxiiCreate.model_validate(body)


def taxii_push_from(document: bytes | dict[str, Any], report: Report) -> PushCreate:
    fields = Fields(read(document, FileType.TAXII_PUSH), "configuration", report)
    body = {
        **_common(fields),
        "confidence_to_score": bool(fields.take("confidence_to_score", False)),
    }
    fields.unsupported("authorized_members", "authorize users after import")
    fields.done()
    return PushCreate.model_validate(body)


# -- export -----------------------------------------------------------------------------------


def _redacted(settings: dict[str, Any]) -> tuple[str, str]:
    """``authentication_type`` and ``authentication_value`` with every secret ``undefined``."""
    kind = settings.get("auth_type") or "none"
    if kind == "basic":
        return kind, f"{settings.get('username') or ''}:{REDACTED}"
    if kind == "bearer":
        return kind, REDACTED
    if kind == "certificate":
        return kind, f"{REDACTED}:{REDACTED}:{REDACTED}"
    return kind, ""


def _not_in_file(out: IngesterOut, report: Report) -> None:
    if out.import_from:
        report.add("import_from", "OpenCTI's file has no start date")
    if not out.settings.get("verify_tls", True):
        report.add("verify_tls", "OpenCTI's file has no TLS option")
    if out.settings.get("proxy"):
        report.add("proxy", "OpenCTI's file has no proxy")


def csv_feed_to(out: IngesterOut, mapper: CsvMapperSpec, report: Report) -> dict[str, Any]:
    kind, value = _redacted(out.settings)
    if kind == "header":
        report.add("auth_type", "OpenCTI has no custom-header authentication: exported as none")
        kind, value = "none", ""
    _not_in_file(out, report)
    inline = write(
        FileType.CSV_MAPPER, {"id": out.settings["mapper"], **mapper_to(mapper, "mapper", report)}
    )
    return write(
        FileType.CSV_FEED,
        {
            "id": out.id,
            "name": out.name,
            "description": out.description,
            "uri": out.settings["url"],
            "authentication_type": kind,
            "markings": list(out.settings.get("markings") or []),
            "authentication_value": value,
            "csv_mapper_type": "inline",
            "csv_mapper": inline,
        },
    )


def taxii_feed_to(out: IngesterOut, report: Report) -> dict[str, Any]:
    kind, value = _redacted(out.settings)
    _not_in_file(out, report)
    if out.settings.get("auth_type") == "certificate":
        report.add("cert_pem", "certificates are not exported; put them back after import")
    return write(
        FileType.TAXII_FEED,
        {
            "name": out.name,
            "description": out.description,
            "uri": out.settings["url"],
            "version": "v21",
            "collection": out.settings["collection"],
            "authentication_type": kind,
            "authentication_value": value,
        },
    )


def taxii_push_to(out: PushOut, report: Report) -> dict[str, Any]:
    if any((out.authorized.users, out.authorized.groups, out.authorized.organizations)):
        report.add("authorized", "who may push is not in OpenCTI's file")
    return write(
        FileType.TAXII_PUSH,
        {
            "name": out.name,
            "description": out.description,
            "confidence_to_score": out.confidence_to_score,
        },
    )
