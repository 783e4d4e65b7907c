"""Keys derived from GATEWAY_SECRET_KEY: one to encrypt phone numbers, one to look them up."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"border-feedback-gateway", info=purpose).derive(
        secret.encode("utf-8")
    )


class PhoneVault:
    """Encrypts phone numbers for storage and gives a keyed hash to find them without decrypting."""

    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret_key, b"phone-encryption")))
        self._lookup_key = _derive(secret_key, b"phone-lookup")
        # Every hop hashes the caller's number; the same few thousand numbers come back all day.
        self.lookup_hash = lru_cache(maxsize=8192)(self._lookup_hash)  # type: ignore[method-assign]

    def lookup_hash(self, e164: str) -> str:
        return self._lookup_hash(e164)

    def _lookup_hash(self, e164: str) -> str:
        return hmac.new(self._lookup_key, e164.encode("ascii"), hashlib.sha256).hexdigest()

    def encrypt(self, e164: str) -> str:
        return self._fernet.encrypt(e164.encode("ascii")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("ascii")
        except InvalidToken as exc:
            raise ValueError("phone number cannot be decrypted with this GATEWAY_SECRET_KEY") from exc
