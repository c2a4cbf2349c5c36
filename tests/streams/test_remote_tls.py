"""Verify SSL, the synchroniser option: a remote behind a self-signed certificate is refused
while verification is on, and validated (stream list, ``connected``) with it off. The remote is a
real HTTPS server on loopback answering as an OpenCTI platform does."""

from __future__ import annotations

import datetime
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from stixflow.errors import InvalidInput
from stixflow.net.checks import Outbound
from stixflow.runtime import Runtime
from stixflow.streams.sync.remote import RemotePlatform

LISTED = {"data": {"streamCollections": {"edges": [{"node": {"id": "s1", "name": "OpenCTI"}}]}}}


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    today = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(today - datetime.timedelta(days=1))
        .not_valid_after(today + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class OpenCtiLike(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(200, "application/json", json.dumps(LISTED).encode())

    def do_GET(self) -> None:
        body = b'event: connected\ndata: {"connectionId": "c-1"}\n\n'
        self._send(200, "text/event-stream", body)

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def https_remote(tmp_path: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), OpenCtiLike)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed(tmp_path))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_verify_ssl_refuses_a_self_signed_remote_unless_turned_off(
    runtime: Runtime, https_remote: str
) -> None:
    outbound = Outbound.user_check(runtime.settings)
    strict = RemotePlatform(https_remote, "t", outbound=outbound, verify=True)
    with pytest.raises(InvalidInput, match="CERTIFICATE_VERIFY_FAILED|certificate"):
        strict.streams()
    lenient = RemotePlatform(https_remote, "t", outbound=outbound, verify=False)
    assert [s.id for s in lenient.streams()] == ["s1"]
    assert lenient.test("s1")["connectionId"] == "c-1"
