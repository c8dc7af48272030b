"""Consent tokens: a subject's consent, signed by the origin (Ed25519) for edges to verify.

A token is a compact JWS (`header.payload.signature`, base64url): header
`{"alg": "EdDSA", "typ": "tactful-consent+jwt", "kid"}`, payload `{"iss": "tactful", "sub":
<public id>, "purposes": {purpose: granted}, "gpc", "cv": <consent version>, "iat", "exp"}`. It
lives minutes (`TACTFUL_CONSENT_TOKEN_SECONDS`); an edge holds only the public key (published
as a JWKS at `/.well-known/jwks.json`) and treats a missing, forged or expired token as nobody.

The private key is `TACTFUL_CONSENT_TOKEN_KEY` (PEM text) or `TACTFUL_CONSENT_TOKEN_KEY_FILE`;
with neither, a development key is generated into `VAR_DIR` when DEBUG is on, and otherwise no
token is issued (edges then decide for everyone as for an anonymous visitor).
"""

import base64
import hashlib
import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from consent.selectors import ConsentSnapshot

logger = logging.getLogger(__name__)

CONSENT_TOKEN_HEADER = "X-Tactful-Consent"
CONSENT_TOKEN_COOKIE = "tactful_consent"
TOKEN_TYPE = "tactful-consent+jwt"
ISSUER = "tactful"
DEVELOPMENT_KEY_FILE = "consent-token-key.pem"


@dataclass(frozen=True, slots=True)
class ConsentClaims:
    """What a valid consent token says."""

    subject_id: str
    purposes: dict[str, bool]
    gpc: bool
    version: int
    issued_at: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class SigningKey:
    private: Ed25519PrivateKey
    kid: str
    jwk: dict[str, str]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(public: Ed25519PublicKey) -> dict[str, str]:
    """The public key as a JWK, its `kid` the RFC 7638 thumbprint."""
    x = _b64(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    thumbprint = _b64(
        hashlib.sha256(orjson.dumps({"crv": "Ed25519", "kty": "OKP", "x": x})).digest()
    )
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": thumbprint, "alg": "EdDSA", "use": "sig"}


def _load_pem(pem: bytes, where: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{where} is not a PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(
            f"{where} must be an Ed25519 key (openssl genpkey -algorithm ed25519)."
        )
    return key


def _development_key(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.touch(mode=0o600)
        path.write_bytes(pem)
    return _load_pem(path.read_bytes(), str(path))


@lru_cache(maxsize=4)
def _signing_key(text: str, file: str, development: str) -> SigningKey | None:
    if text:
        private = _load_pem(text.encode(), "TACTFUL_CONSENT_TOKEN_KEY")
    elif file:
        try:
            pem = Path(file).read_bytes()
        except OSError as exc:
            raise ImproperlyConfigured(f"TACTFUL_CONSENT_TOKEN_KEY_FILE: {exc}") from exc
        private = _load_pem(pem, file)
    elif development:
        private = _development_key(Path(development))
    else:
        return None
    jwk = public_jwk(private.public_key())
    return SigningKey(private=private, kid=jwk["kid"], jwk=jwk)


def signing_key() -> SigningKey | None:
    """The configured key; None when consent tokens are off (production without a key)."""
    development = str(Path(settings.VAR_DIR) / DEVELOPMENT_KEY_FILE) if settings.DEBUG else ""
    return _signing_key(
        str(settings.TACTFUL["CONSENT_TOKEN_KEY"]),
        str(settings.TACTFUL["CONSENT_TOKEN_KEY_FILE"]),
        development,
    )


def consent_jwks() -> dict[str, Any]:
    """The public keys that verify consent tokens, as a JWK set."""
    key = signing_key()
    return {"keys": [key.jwk] if key is not None else []}


def token_seconds() -> int:
    return int(settings.TACTFUL["CONSENT_TOKEN_SECONDS"])


def consent_token_sign(consent: "ConsentSnapshot", *, now: float | None = None) -> str | None:
    """A token of `consent` (a subject's), valid from `now` for the configured lifetime; None
    when no key is configured or nobody is named."""
    key = signing_key()
    if key is None or consent.subject_id is None:
        return None
    issued = int(time.time() if now is None else now)
    header = {"alg": "EdDSA", "typ": TOKEN_TYPE, "kid": key.kid}
    payload = {
        "iss": ISSUER,
        "sub": consent.subject_id,
        "purposes": consent.purposes,
        "gpc": consent.gpc,
        "cv": consent.version,
        "iat": issued,
        "exp": issued + token_seconds(),
    }
    signed = f"{_b64(orjson.dumps(header))}.{_b64(orjson.dumps(payload))}"
    return f"{signed}.{_b64(key.private.sign(signed.encode()))}"


def consent_token_read(token: str, *, now: float | None = None) -> ConsentClaims | None:
    """What a valid, unexpired token signed by this origin's key says; None for anything else."""
    key = signing_key()
    parts = token.split(".")
    if key is None or len(parts) != 3:
        return None
    try:
        header, payload = orjson.loads(_unb64(parts[0])), orjson.loads(_unb64(parts[1]))
        key.private.public_key().verify(_unb64(parts[2]), f"{parts[0]}.{parts[1]}".encode())
    except (ValueError, InvalidSignature, orjson.JSONDecodeError):
        return None
    if (
        not isinstance(header, dict)
        or header.get("alg") != "EdDSA"
        or header.get("typ") != TOKEN_TYPE
    ):
        return None
    if not isinstance(payload, dict) or int(time.time() if now is None else now) >= payload.get(
        "exp", 0
    ):
        return None
    return ConsentClaims(
        subject_id=payload["sub"],
        purposes=payload["purposes"],
        gpc=payload["gpc"],
        version=payload["cv"],
        issued_at=payload["iat"],
        expires_at=payload["exp"],
    )
