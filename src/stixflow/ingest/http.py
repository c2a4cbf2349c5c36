"""The HTTP client every feed fetches through.

Safe by default: a timeout on every request and a deadline on the whole run, TLS verification
on, a cap on the response size, retries with exponential back-off on transport errors and on
429/5xx answers (``Retry-After`` honoured within the deadline), conditional requests
(``If-None-Match`` / ``If-Modified-Since``) where the caller has validators, an optional proxy
and an optional client certificate. Remote failures become ``SourceError`` with the URL and what
went wrong in one line (status and content type, never the remote's body); status codes the
caller understands better (TAXII's 401/403/404/406) are left to it.

Every connection obeys the outbound policy (``stixflow.net``; ``OutboundRefused`` names the URL
refused). Redirects are followed here, at most ``MAX_REDIRECTS``: once a hop leaves the origin
(scheme, host or port) of the URL asked for, no credential goes with it any more (``auth``, the
``credentials`` headers, ``Authorization``, ``Cookie``).
"""

from __future__ import annotations

import email.utils
import os
import ssl
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from stixflow import __version__
from stixflow.errors import OutboundRefused, SourceError
from stixflow.net.answers import describe_failure, describe_media_type
from stixflow.net.policy import OutboundPolicy
from stixflow.net.transport import guarded_client

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
USER_AGENT = f"stixflow/{__version__} (+https://github.com/stixflow)"


@dataclass(frozen=True)
class ClientCert:
    """A client certificate for mutual TLS, as PEM text (the CA is optional)."""

    cert_pem: str
    key_pem: str
    ca_pem: str | None = None


@dataclass(frozen=True)
class HttpOptions:
    timeout: float = 30.0
    retries: int = 2
    backoff: float = 1.0
    verify_tls: bool = True
    proxy: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    max_retry_after: float = 120.0
    user_agent: str = USER_AGENT
    client_cert: ClientCert | None = None
    connect_timeout: float | None = None
    policy: OutboundPolicy = field(default_factory=OutboundPolicy)


@dataclass(frozen=True)
class Validators:
    """What a previous answer said about itself, for a conditional request."""

    etag: str | None = None
    last_modified: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        found = {}
        if self.etag:
            found["If-None-Match"] = self.etag
        if self.last_modified:
            found["If-Modified-Since"] = self.last_modified
        return found


@dataclass
class Fetched:
    url: str
    status: int
    headers: httpx.Headers
    body: bytes

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def validators(self) -> Validators:
        return Validators(self.headers.get("ETag"), self.headers.get("Last-Modified"))

    def server_time(self) -> datetime | None:
        """The server's clock (``Date`` header), when it sent one."""
        value = self.headers.get("Date")
        try:
            return email.utils.parsedate_to_datetime(value).astimezone(UTC) if value else None
        except (TypeError, ValueError):
            return None

    def fail(self, reason: str | None = None) -> SourceError:
        """A one-line SourceError naming the URL, the status and the content type (never any
        of the answer's body)."""
        message = f"{self.url} answered {self.status}"
        if reason:
            message += f": {reason}"
        return SourceError(f"{message} ({describe_media_type(self.headers.get('Content-Type'))})")


def ssl_context(options: HttpOptions) -> ssl.SSLContext | bool:
    """``verify`` for httpx: a context when a client certificate or CA is set, else a bool."""
    cert = options.client_cert
    if cert is None:
        return options.verify_tls
    context = ssl.create_default_context(cadata=cert.ca_pem or None)
    if not options.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    with tempfile.TemporaryDirectory(prefix="stixflow-cert-") as folder:
        cert_path, key_path = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        for path, text in ((cert_path, cert.cert_pem), (key_path, cert.key_pem)):
            with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as out:
                out.write(text)
        try:
            context.load_cert_chain(cert_path, key_path)
        except ssl.SSLError as exc:
            raise SourceError(f"unusable client certificate or key: {exc}") from exc
    return context


class HttpClient:
    """One run's HTTP client: every request bounded by the timeout and the run's deadline."""

    def __init__(
        self,
        options: HttpOptions,
        *,
        deadline: float | None = None,
        headers: Mapping[str, str] | None = None,
        credentials: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
    ) -> None:
        """``credentials`` are headers sent only to the origin asked for (never after a
        redirect elsewhere); so is ``auth``."""
        self.options = options
        self.deadline = deadline
        self.credentials = dict(credentials or {})
        self.auth = auth
        try:
            self._client = guarded_client(
                options.policy,
                verify=ssl_context(options),
                proxy=options.proxy or None,
                headers={"User-Agent": options.user_agent, **(headers or {})},
            )
        except (ValueError, httpx.InvalidURL) as exc:
            raise SourceError(f"unusable HTTP settings: {exc}") from exc

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def remaining(self) -> float:
        if self.deadline is None:
            return self.options.timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise SourceError("the run went past its deadline")
        return left

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fetched:
        """GET with retries; the answer of any status that is not retried (or the last one)."""
        attempt = 0
        while True:
            try:
                fetched = self._once(url, params, headers)
            except (httpx.InvalidURL, UnicodeError) as exc:
                raise SourceError(f"{url}: cannot be requested: {exc}") from exc
            except httpx.TransportError as exc:
                if attempt >= self.options.retries:
                    raise SourceError(f"{url}: {describe_failure(exc)}") from exc
            else:
                if fetched.status not in RETRY_STATUSES or attempt >= self.options.retries:
                    return fetched
                self._wait_retry_after(fetched)
            self._sleep(self.options.backoff * 2**attempt)
            attempt += 1

    def _once(
        self, url: str, params: Mapping[str, str] | None, headers: Mapping[str, str] | None
    ) -> Fetched:
        """One GET and its redirects; credentials stop at the first hop to another origin."""
        trusted = True
        request = self._request(url, params, headers, trusted=trusted)
        for hop in range(MAX_REDIRECTS + 1):
            response = self._send(url, request, trusted=trusted, redirected=hop > 0)
            target = redirect_target(response)
            if target is None:
                try:
                    body = self._read_capped(response)
                finally:
                    response.close()
                return Fetched(str(response.url), response.status_code, response.headers, body)
            response.close()
            trusted = trusted and same_origin(target, request.url)
            request = self._request(str(target), None, headers, trusted=trusted)
        raise SourceError(f"{url}: more than {MAX_REDIRECTS} redirects")

    def _request(
        self,
        url: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        *,
        trusted: bool,
    ) -> httpx.Request:
        total = min(self.options.timeout, self.remaining())
        connect = min(total, self.options.connect_timeout or total)
        request = self._client.build_request(
            "GET",
            url,
            params=params,
            headers={**(self.credentials if trusted else {}), **(headers or {})},
            timeout=httpx.Timeout(total, connect=connect),
        )
        if not trusted:
            for name in CREDENTIAL_HEADERS:
                request.headers.pop(name, None)
        return request

    def _send(
        self, url: str, request: httpx.Request, *, trusted: bool, redirected: bool
    ) -> httpx.Response:
        try:
            return self._client.send(request, stream=True, auth=self.auth if trusted else None)
        except OutboundRefused as exc:
            where = f"{url} (redirected to {request.url})" if redirected else url
            raise OutboundRefused(f"{where}: {exc}") from exc

    def _read_capped(self, response: httpx.Response) -> bytes:
        cap = self.options.max_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise SourceError(f"{response.url}: answer of {declared} bytes is over the {cap} cap")
        parts, size = [], 0
        for part in response.iter_bytes():
            size += len(part)
            if size > cap:
                raise SourceError(f"{response.url}: answer is over the {cap} bytes cap")
            parts.append(part)
            self.remaining()
        return b"".join(parts)

    def _wait_retry_after(self, fetched: Fetched) -> None:
        if fetched.status != 429:
            return
        delay = retry_after(fetched.headers.get("Retry-After"))
        if delay is None:
            return
        if delay > self.options.max_retry_after or (
            self.deadline is not None and time.monotonic() + delay > self.deadline
        ):
            raise fetched.fail(f"rate limited; the server asks to retry after {delay:.0f}s")
        self._sleep(delay)

    def _sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, min(seconds, self.remaining())))


def redirect_target(response: httpx.Response) -> httpx.URL | None:
    """Where a redirect answer points (None for any other answer)."""
    location = response.headers.get("Location")
    if response.status_code not in REDIRECT_STATUSES or not location:
        return None
    try:
        return response.url.join(location)
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise SourceError(f"{response.url} redirects to an unusable URL") from exc


def same_origin(one: httpx.URL, other: httpx.URL) -> bool:
    """Same scheme, host and port (RFC 6454 origin)."""
    return origin(one) == origin(other)


def origin(url: httpx.URL) -> tuple[str, str, int]:
    default = 443 if url.scheme == "https" else 80
    return url.scheme, url.host, url.port or default


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())
