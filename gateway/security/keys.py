"""Keys derived from GATEWAY_SECRET_KEY: one to encrypt phone numbers, one to look them up.

During a key rotation the keys GATEWAY_SECRET_KEY replaced (GATEWAY_PREVIOUS_SECRET_KEYS) still
decrypt and still find what was stored under them; only the new key encrypts and hashes new rows."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"border-feedback-gateway", info=purpose).derive(
        secret.encode("utf-8")
    )


def derived_key(secret: str, purpose: bytes) -> bytes:
    """A key of its own for each use of GATEWAY_SECRET_KEY, so no two uses share one."""
    return _derive(secret, purpose)


class PhoneVault:
    """Encrypts phone numbers for storage and gives a keyed hash to find them without decrypting."""

    def __init__(self, secret_key: str, previous_keys: Sequence[str] = ()) -> None:
        keys = (secret_key, *previous_keys)
        self._fernets = tuple(Fernet(base64.urlsafe_b64encode(_derive(k, b"phone-encryption"))) for k in keys)
        self._fernet = MultiFernet(self._fernets)
        self._lookup_keys = tuple(_derive(k, b"phone-lookup") for k in keys)
        # Every hop hashes the caller's number; the same few thousand numbers come back all day.
        self.lookup_hash = lru_cache(maxsize=8192)(self._lookup_hash)  # type: ignore[method-assign]
        self.lookup_hashes = lru_cache(maxsize=8192)(self._lookup_hashes)  # type: ignore[method-assign]

    @property
    def rotating(self) -> bool:
        """True while previous keys are configured."""
        return len(self._lookup_keys) > 1

    def lookup_hash(self, e164: str) -> str:
        """The hash new rows are written with (the current key's)."""
        return self._lookup_hash(e164)

    def lookup_hashes(self, e164: str) -> tuple[str, ...]:
        """Every hash the number may be stored under: the current key's first, then each previous key's."""
        return self._lookup_hashes(e164)

    def _lookup_hash(self, e164: str) -> str:
        return _hmac(self._lookup_keys[0], e164)

    def _lookup_hashes(self, e164: str) -> tuple[str, ...]:
        return (self.lookup_hash(e164), *(_hmac(key, e164) for key in self._lookup_keys[1:]))

    def encrypt(self, e164: str) -> str:
        return self._fernet.encrypt(e164.encode("ascii")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError) as exc:
            raise ValueError("phone number cannot be decrypted with this GATEWAY_SECRET_KEY") from exc

    def decrypt_with_index(self, token: str) -> tuple[str, int]:
        """The number and which key opened it: 0 the current one, 1… the previous ones in order."""
        try:
            data = token.encode("ascii")
        except UnicodeError:
            data = b""
        for index, fernet in enumerate(self._fernets):
            try:
                return fernet.decrypt(data).decode("ascii"), index
            except (InvalidToken, UnicodeError):
                continue
        raise ValueError("phone number cannot be decrypted with any configured secret key")


def _hmac(key: bytes, e164: str) -> str:
    return hmac.new(key, e164.encode("ascii"), hashlib.sha256).hexdigest()
