"""The provider's signature on its server-to-server notifications: HMAC-SHA256 of the raw body
with the shared secret, hex-encoded (the shape WeChat Pay and Alipay use). The sandbox provider
signs with the same function, so the real verification runs in demo, tests and simulate."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Cungoods-Signature"


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def is_signed(body: bytes, signature: str | None, secret: str) -> bool:
    """Whether `signature` is the secret's signature of exactly these bytes (compared in
    constant time, so the check leaks nothing about the right value)."""
    if not signature:
        return False
    return hmac.compare_digest(sign(body, secret), signature.strip().lower())
