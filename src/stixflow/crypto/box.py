"""SecretBox: what the platform stores of a credential, sealed with the instance's key.

Values are sealed with Fernet (AES-128-CBC with an HMAC-SHA256, from ``cryptography``) and stored
as ``v1:<token>``; the prefix names the scheme, so that a value written before encryption existed
(no prefix) still reads, as itself, until ``stixflow secrets rotate`` seals it. A box holds the
current key, which seals, and the previous keys, which only open (``MultiFernet``). Keys are
texts of at least 32 characters; the Fernet key is derived from each with HKDF-SHA256.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from stixflow.errors import ConfigError

PREFIX = "v1:"
MIN_KEY_LENGTH = 32
_KDF_INFO = b"stixflow secret box v1"


def fernet_key(text: str) -> bytes:
    """The Fernet key derived from a configured key text (ConfigError when too short)."""
    if len(text) < MIN_KEY_LENGTH:
        raise ConfigError(
            f"a secret key must be at least {MIN_KEY_LENGTH} characters "
            "(make one with: stixflow secrets new-key)"
        )
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KDF_INFO)
    return base64.urlsafe_b64encode(kdf.derive(text.encode()))


class SecretBox:
    """Seals with ``current``; opens what ``current`` or any of ``previous`` sealed."""

    def __init__(self, current: str, previous: Sequence[str] = ()) -> None:
        self._fernet = MultiFernet([Fernet(fernet_key(k)) for k in (current, *previous)])
        self._derivation = hashlib.sha256(b"stixflow derived keys\0" + current.encode()).digest()

    def __repr__(self) -> str:
        return "SecretBox(<keys hidden>)"

    def derive(self, purpose: str) -> bytes:
        """32 bytes of key material for ``purpose``, the same on every instance sharing the
        current key (e.g. the key that signs connector callbacks)."""
        return hmac.new(self._derivation, purpose.encode(), hashlib.sha256).digest()

    @staticmethod
    def is_sealed(stored: str) -> bool:
        return stored.startswith(PREFIX)

    def seal(self, plain: str) -> str:
        return PREFIX + self._fernet.encrypt(plain.encode()).decode()

    def open(self, stored: str) -> str:
        """The plain value of ``stored`` (an unsealed legacy value is returned as it is)."""
        if not self.is_sealed(stored):
            return stored
        try:
            return self._fernet.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken as exc:
            raise ConfigError(
                "a stored secret was sealed with a key this instance does not hold: set "
                "STIXFLOW_PREVIOUS_SECRET_KEYS to the key it was sealed with"
            ) from exc

    def reseal(self, stored: str) -> str:
        """``stored`` sealed again with the current key (a legacy plain value gets sealed)."""
        if not self.is_sealed(stored):
            return self.seal(stored)
        try:
            token = self._fernet.rotate(stored.removeprefix(PREFIX).encode())
        except InvalidToken as exc:
            raise ConfigError("a stored secret opens with none of the configured keys") from exc
        return PREFIX + token.decode()

    # -- JSON documents (an ingester's credentials) --------------------------------------

    def seal_json(self, value: dict[str, Any]) -> str:
        """An empty document stays ``{}`` (there is nothing to hide)."""
        text = orjson.dumps(value).decode()
        return self.seal(text) if value else text

    def open_json(self, stored: str | None) -> dict[str, Any]:
        document = orjson.loads(self.open(stored or "{}") or "{}")
        if not isinstance(document, dict):
            raise ConfigError("a stored secret document is not a JSON object")
        return document
