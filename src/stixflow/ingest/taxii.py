"""TAXII 2.1 collections pulled with "Get Objects" (TAXII 2.1 §5.4, pagination §3.4).

Each run asks ``<api root>/collections/<id>/objects/`` for what was added after the cursor
(``added_after``), follows ``next`` while ``more`` is true, and sends
``Accept: application/taxii+json;version=2.1``. The cursor is the newest
``X-TAXII-Date-Added-Last`` seen; when a server does not send it, the server's own clock at the
first request (its ``Date`` header, less a second) so that nothing added meanwhile is skipped. A
run that saw nothing keeps its cursor. https://docs.oasis-open.org/cti/taxii/v2.1/taxii-v2.1.html
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel

from stixflow.errors import InvalidInput, SourceError
from stixflow.ingest.base import FeedKind, Page, Prepared
from stixflow.ingest.common import (
    Destination,
    destination_of,
    http_options,
    import_from_of,
    parse_timestamp,
    taxii_timestamp,
)
from stixflow.ingest.http import ClientCert, Fetched, HttpClient, HttpOptions
from stixflow.ingest.records import Ingester, IngesterRecords
from stixflow.ingest.schemas import TaxiiFields
from stixflow.ingest.verify import fetch_checked, probe_ingester, taxii_media
from stixflow.net.answers import parse_json
from stixflow.net.checks import Outbound
from stixflow.runtime import Runtime

MEDIA_TYPE = "application/taxii+json;version=2.1"
DISCOVERY_TIMEOUT = 30.0
MAX_PAGES = 100_000
STATUS_REASONS = {
    400: "the server refused the request parameters",
    401: "authentication failed: check the credentials",
    403: "access denied: this account may not read the collection",
    404: "not found: check the API root URL and the collection id",
    406: "not acceptable: the server does not speak TAXII 2.1 (application/taxii+json;version=2.1)",
    416: "the server refused the requested range",
    429: "rate limited by the server",
}
_COLLECTION_URL = re.compile(r"^(?P<root>.+/)collections/(?P<id>[^/?#]+)(?:/objects|/manifest)?/?$")
_COLLECTIONS_URL = re.compile(r"^(?P<root>.+/)collections/?$")
_DISCOVERY_URL = re.compile(r"/(?:taxii2?|discovery)/?$")


def split_url(url: str, collection: str | None) -> tuple[str, str | None, list[str]]:
    """The API root and the collection from what a user pasted, and what was corrected."""
    notes: list[str] = []
    url = url.split("?", 1)[0].split("#", 1)[0]
    found = _COLLECTION_URL.match(url)
    if found:
        root, pasted = found["root"], found["id"]
        notes.append(f"{url} is a collection URL: the API root is {root}")
        if collection and collection != pasted:
            raise InvalidInput(f"the URL names collection {pasted}, not {collection}")
        if not collection:
            notes.append(f"collection {pasted} taken from the URL")
        return root, pasted, notes
    found = _COLLECTIONS_URL.match(url)
    if found:
        notes.append(f"{url} lists collections: the API root is {found['root']}")
        return found["root"], collection, notes
    return url.rstrip("/") + "/", collection, notes


def is_discovery_url(url: str) -> bool:
    return bool(_DISCOVERY_URL.search(url.split("?", 1)[0]))


def choose_api_root(discovery: dict[str, Any], url: str) -> str:
    roots = [r for r in discovery.get("api_roots") or [] if isinstance(r, str)]
    default = discovery.get("default")
    if isinstance(default, str) and default:
        return default
    if len(roots) == 1:
        return roots[0]
    listed = ", ".join(roots) or "none"
    raise InvalidInput(f"{url} is a discovery URL with several API roots ({listed}): pick one")


class TaxiiFeed(FeedKind):
    kind = "taxii"

    # -- settings ------------------------------------------------------------------------

    def prepare(
        self,
        settings: BaseModel,
        *,
        current: Ingester | None,
        runtime: Runtime,
        verify: bool = True,
    ) -> Prepared:
        assert isinstance(settings, TaxiiFields)
        root, collection, notes = split_url(settings.url, settings.collection)
        secret = _secrets(settings)
        config: dict[str, Any] = {
            "url": root,
            "collection": collection,
            "auth_type": settings.auth_type,
            "username": settings.username,
            "cert_pem": settings.cert_pem,
            "ca_pem": settings.ca_pem,
            "page_size": settings.page_size,
        }
        _check_auth(config, secret)
        if verify and is_discovery_url(root):
            outbound = Outbound.user_check(runtime.settings)
            config["url"] = self._resolve_root(root, config, secret, settings, outbound)
            if config["url"] != root:
                notes.append(f"{root} is a discovery URL: using its API root {config['url']}")
        if not config["collection"]:
            raise InvalidInput("give the collection id (or paste the collection's URL)")
        if verify and (current is None or _source_changed(current, config, secret)):
            outbound = Outbound.user_check(runtime.settings)
            notes.append(self._verify(config, secret, settings, outbound))
        return Prepared(config=config, secret=secret, notes=tuple(notes))

    def _verify(
        self,
        config: dict[str, Any],
        secret: dict[str, Any],
        settings: BaseModel,
        outbound: Outbound,
    ) -> str:
        """The creation check (``ingest.verify``) on the collection's resource."""
        url = f"{config['url']}collections/{config['collection']}/"
        probe = probe_ingester(self.kind, config, secret, settings)
        with self.client(probe, deadline=time.monotonic() + 120.0, outbound=outbound) as http:
            fetched = fetch_checked(
                http, url, expected="TAXII 2.1 JSON", accepts=taxii_media, reasons=STATUS_REASONS
            )
        document = _json(fetched)
        if document.get("can_read") is False:
            raise InvalidInput(f"cannot use {url}: this account may not read the collection")
        return f"tested: collection {document.get('title') or config['collection']} can be read"

    def _resolve_root(
        self,
        url: str,
        config: dict[str, Any],
        secret: dict[str, Any],
        settings: BaseModel,
        outbound: Outbound,
    ) -> str:
        probe = Ingester(
            id="",
            kind=self.kind,
            name="",
            description="",
            source="",
            running=False,
            user_id=None,
            created_by=None,
            import_from=None,
            scheduling_period="",
            config={**config, **_http_fields(settings)},
            secret=secret,
        )
        with self.client(probe, deadline=time.monotonic() + 120.0, outbound=outbound) as http:
            fetched = http.get(url)
        check_status(fetched)
        document = _json(fetched)
        if "api_roots" not in document:
            return url  # an API root that merely looks like a discovery path
        return choose_api_root(document, url).rstrip("/") + "/"

    def destination(self, fields: Mapping[str, Any]) -> Destination:
        """The API root (as a pasted collection URL names it), the collection and the proxy."""
        root, collection, _ = split_url(str(fields.get("url") or ""), fields.get("collection"))
        return (*destination_of({**fields, "url": root}), collection or "")

    def public_config(self, ingester: Ingester) -> dict[str, Any]:
        config = dict(ingester.config)
        config["cert_pem"] = "set" if config.get("cert_pem") else None
        config["ca_pem"] = "set" if config.get("ca_pem") else None
        config["credentials"] = sorted(k for k, v in ingester.secret.items() if v)
        return config

    # -- fetching ------------------------------------------------------------------------

    def client(
        self, ingester: Ingester, *, deadline: float | None, outbound: Outbound
    ) -> HttpClient:
        config, secret = ingester.config, ingester.secret
        credentials: dict[str, str] = {}
        auth: httpx.Auth | None = None
        if config.get("auth_type") == "basic":
            auth = httpx.BasicAuth(config.get("username") or "", secret.get("password") or "")
        elif config.get("auth_type") == "bearer":
            credentials["Authorization"] = f"Bearer {secret.get('token') or ''}"
        cert = None
        if config.get("auth_type") == "certificate":
            cert = ClientCert(config["cert_pem"], secret["key_pem"], config.get("ca_pem"))
        options: HttpOptions = http_options(ingester, outbound=outbound, client_cert=cert)
        return HttpClient(
            options,
            deadline=deadline,
            headers={"Accept": MEDIA_TYPE},
            credentials=credentials,
            auth=auth,
        )

    def pages(
        self, ingester: Ingester, http: HttpClient, records: IngesterRecords
    ) -> Iterator[Page]:
        config = ingester.config
        url = f"{config['url']}collections/{config['collection']}/objects/"
        params = {"limit": str(config.get("page_size") or 1000)}
        added_after = ingester.state.get("added_after") or _import_from(ingester)
        if added_after:
            params["added_after"] = added_after
        cursor = Cursor()
        next_token: str | None = None
        for _ in range(MAX_PAGES):
            query = {**params, "next": next_token} if next_token else params
            fetched = http.get(url, params=query)
            check_status(fetched)
            envelope = _json(fetched)
            objects = [o for o in envelope.get("objects") or [] if isinstance(o, dict)]
            cursor.saw(fetched, len(objects))
            next_token = envelope.get("next") if envelope.get("more") else None
            if not next_token:
                yield Page(objects, state=cursor.state(ingester.state))
                return
            yield Page(objects)
        raise SourceError(f"{url}: still paginating after {MAX_PAGES} pages")


class Cursor:
    """The newest ``date_added`` a run has seen, to ask for what comes after it next time."""

    def __init__(self) -> None:
        self.newest: datetime | None = None
        self.server_start: datetime | None = None
        self.objects = 0

    def saw(self, fetched: Fetched, count: int) -> None:
        if self.server_start is None:
            self.server_start = fetched.server_time() or datetime.now(UTC)
        self.objects += count
        last = parse_timestamp(fetched.headers.get("X-TAXII-Date-Added-Last") or "")
        if last is not None and (self.newest is None or last > self.newest):
            self.newest = last

    def state(self, previous: dict[str, Any]) -> dict[str, Any]:
        if self.objects == 0:
            return dict(previous)
        moment = self.newest or (self.server_start or datetime.now(UTC)) - timedelta(seconds=1)
        return {**previous, "added_after": taxii_timestamp(moment)}


def _source_changed(current: Ingester, config: dict[str, Any], secret: dict[str, Any]) -> bool:
    keys = ("url", "collection", "auth_type", "username", "cert_pem", "ca_pem")
    return any(current.config.get(k) != config.get(k) for k in keys) or current.secret != secret


def check_status(fetched: Fetched) -> None:
    if fetched.status == 200:
        return
    raise fetched.fail(STATUS_REASONS.get(fetched.status))


def _json(fetched: Fetched) -> dict[str, Any]:
    document = parse_json(fetched.body, source=fetched.url) if fetched.body.strip() else {}
    if not isinstance(document, dict):
        raise SourceError(f"{fetched.url}: the answer is not a TAXII envelope")
    return document


def _import_from(ingester: Ingester) -> str | None:
    moment = import_from_of(ingester)
    return taxii_timestamp(moment) if moment else None


def _secrets(settings: TaxiiFields) -> dict[str, Any]:
    """The credential the chosen authentication uses (others given are dropped)."""
    found = {
        "basic": ("password", settings.password),
        "bearer": ("token", settings.token),
        "certificate": ("key_pem", settings.key_pem),
    }.get(settings.auth_type)
    if found is None or found[1] is None:
        return {}
    return {found[0]: found[1].get_secret_value()}


def _http_fields(settings: BaseModel) -> dict[str, Any]:
    return {
        key: getattr(settings, key)
        for key in ("timeout_seconds", "verify_tls", "proxy")
        if getattr(settings, key, None) is not None
    }


def _check_auth(config: dict[str, Any], secret: dict[str, Any]) -> None:
    kind = config["auth_type"]
    needed = {
        "basic": [("username", config.get("username")), ("password", secret.get("password"))],
        "bearer": [("token", secret.get("token"))],
        "certificate": [("cert_pem", config.get("cert_pem")), ("key_pem", secret.get("key_pem"))],
    }.get(kind, [])
    missing = [name for name, value in needed if not value]
    if missing:
        raise InvalidInput(f"{kind} authentication needs {', '.join(missing)}")
