"""Secrets at rest (SPEC §8): keyed hashes for codes and tokens, encryption for webhook secrets.

* :func:`hash_secret` / :func:`verify_secret`: an HMAC-SHA256 of the secret under a key
  derived from ``SECRET_KEY`` and a *purpose* (``"otp"``, ``"session"``, ``"api-token"``…).
  Keyed, so a copy of the database alone does not let anyone try the 10⁶ one-time codes
  offline; compared with :func:`hmac.compare_digest` (constant time).
* :func:`encrypt_secret` / :func:`decrypt_secret`: Fernet (AES-128-CBC + HMAC-SHA256,
  from ``cryptography``) under a key derived from ``SECRET_KEY`` with HKDF (RFC 5869).
  Used for webhook signing secrets, which the worker must read back to sign with
  (Standard Webhooks signs with the shared secret itself, so a hash would not do).

Every function takes the key material as an explicit ``secret_key`` argument (the app's
``SECRET_KEY``, ``str`` or ``bytes``; a ``str`` is used as its UTF-8 bytes): this module
has no Flask import and needs no app context. The web layer passes
``current_app.config["SECRET_KEY"]``; the notification worker reads it once at start into
``NotifySettings.secret_key``.

Changing ``SECRET_KEY`` invalidates every stored hash and encrypted secret: codes and
sessions must be requested again, webhook endpoints registered again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: The key material: the app's ``SECRET_KEY`` as text or bytes.
SecretKey = str | bytes


def _key_bytes(secret_key: SecretKey) -> bytes:
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    if not key:
        raise RuntimeError("SECRET_KEY is empty")
    return key


def _derive(secret_key: SecretKey, info: str) -> bytes:
    """Derive 32 bytes for ``info`` from ``SECRET_KEY`` (HKDF-SHA256, RFC 5869)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info.encode()).derive(_key_bytes(secret_key))


def hash_secret(secret: str, *, purpose: str, secret_key: SecretKey) -> str:
    """Return the keyed hash of ``secret`` to store instead of it.

    Args:
        secret: the plaintext (a one-time code, a bearer token…).
        purpose: a short label separating uses (``"otp"``, ``"session"``): the same
            text hashed for two purposes gives two unrelated digests.
        secret_key: the key material, the app's ``SECRET_KEY`` (``str`` or ``bytes``).

    Returns:
        64 lowercase hex characters (HMAC-SHA256).

    Raises:
        RuntimeError: ``secret_key`` is empty.
    """
    key = _derive(secret_key, f"appointease hash {purpose}")
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


def verify_secret(secret: str, digest: str | None, *, purpose: str, secret_key: SecretKey) -> bool:
    """Tell whether ``secret`` matches a digest from :func:`hash_secret`, in constant time.

    Args:
        secret, purpose, secret_key: as for :func:`hash_secret`.
        digest: the stored digest, or None.

    Returns:
        False for a missing digest or a mismatch; True on a match.

    Raises:
        RuntimeError: ``secret_key`` is empty.
    """
    if not digest:
        return False
    return hmac.compare_digest(hash_secret(secret, purpose=purpose, secret_key=secret_key), digest)


def _fernet(secret_key: SecretKey) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(secret_key, "appointease encrypt")))


def encrypt_secret(secret: str, *, secret_key: SecretKey) -> str:
    """Encrypt ``secret`` for storage under ``secret_key`` (the app's ``SECRET_KEY``, ``str`` or ``bytes``).

    Returns:
        A Fernet token: URL-safe text, ~100 characters for 32 bytes.

    Raises:
        RuntimeError: ``secret_key`` is empty.
    """
    return _fernet(secret_key).encrypt(secret.encode()).decode()


def decrypt_secret(token: str, *, secret_key: SecretKey) -> str:
    """Decrypt a value from :func:`encrypt_secret` made with the same ``secret_key``.

    Raises:
        RuntimeError: ``secret_key`` is empty.
        ValueError: the token was not made with this ``SECRET_KEY`` or was altered.
    """
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("cannot decrypt: SECRET_KEY changed or the value was altered") from None
