"""The key that signs the platform's calls to connectors (pycti's HTTP listen protocol).

A connector started with ``CONNECTOR_LISTEN_PROTOCOL=API`` runs an HTTP server and accepts a
job only with ``Authorization: Bearer <JWT>`` signed by a key of the set the platform gave it
at registration (``jwks``), issued by ``opencti`` for the subject ``connector`` (RFC 7519, keys
as a JWK Set, RFC 7517). The key is Ed25519 (``EdDSA``, RFC 8037), derived from the instance's
secret key: every ``serve`` process sharing that key signs alike, nothing is stored, and rotating
the secret key rotates it (connectors get the new set when they register again at start-up).
"""

from __future__ import annotations

import base64
import hashlib
import time

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from stixflow.crypto import SecretBox

PURPOSE = "connector-callbacks"
ISSUER, SUBJECT = "opencti", "connector"
LIFETIME = 300


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class CallbackSigner:
    def __init__(self, box: SecretBox) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(box.derive(PURPOSE))
        public = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._public = _b64(public)
        self.kid = hashlib.sha256(public).hexdigest()[:16]

    def jwks(self) -> str:
        """The public key set, as the JSON text pycti's listener reads."""
        key = {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": self._public,
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        }
        return orjson.dumps({"keys": [key]}).decode()

    def token(self, connector_id: str, *, now: float | None = None) -> str:
        """A short-lived token for one call to ``connector_id``."""
        issued = int(time.time() if now is None else now)
        header = {"alg": "EdDSA", "typ": "JWT", "kid": self.kid}
        claims = {
            "iss": ISSUER,
            "sub": SUBJECT,
            "connector_id": connector_id,
            "iat": issued,
            "exp": issued + LIFETIME,
        }
        signing_input = f"{_b64(orjson.dumps(header))}.{_b64(orjson.dumps(claims))}"
        signature = self._key.sign(signing_input.encode())
        return f"{signing_input}.{_b64(signature)}"
