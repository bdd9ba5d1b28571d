"""The console's OpenID Connect relying party: the provider's discovery document and keys,
the authorization request (code flow with PKCE, state and nonce), the code exchanged for
an id_token, and the id_token verified. No database here: :mod:`pvpp.console_oidc` keeps
what a sign-in began with and decides what it opens.

Authlib builds the protocol's messages (the authorization URL, the token request, PKCE's
S256 challenge, random values) and checks the discovery document; the id_token is
verified with joserfc (Authlib's own JOSE library): the signature with the provider's
JWKS (an unknown ``kid`` fetches the keys again once, for a provider that rotated them),
only the asymmetric algorithms the provider lists, then ``iss`` (exactly the configured
issuer), ``aud`` (this client; with several audiences ``azp`` must be this client too),
``exp``, ``iat`` (a minute's leeway for clocks), ``sub`` and ``nonce`` (compared as its
digest with the one kept when the sign-in began).

Everything fetched from the provider is bounded (:data:`MAX_RESPONSE_BYTES`, 10 s) and
cached per process (:data:`CACHE_SECONDS`). The provider must be reached over HTTPS except
on a loopback address (a developer's machine, the tests' provider).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
)
from joserfc.jwk import KeySet

from pvpp.errors import PvppError
from pvpp.settings import Settings

__all__ = [
    "CALLBACK_PATH",
    "OidcError",
    "Provider",
    "Request",
    "claims_summary",
    "digest",
    "new_request",
    "provider_for",
]

#: Where the provider sends the browser back (under the public URL).
CALLBACK_PATH = "/console/signin/oidc/callback"
MAX_RESPONSE_BYTES = 512 * 1024
TIMEOUT_SECONDS = 10.0
CACHE_SECONDS = 3600.0
LEEWAY_SECONDS = 60
#: Signature algorithms an id_token may use: asymmetric only (an HS256 token would be
#: signed with the client secret, which this side holds too).
ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
#: Which claim's failure is which reason in the audit log.
_CLAIM_REASONS = {"iss": "issuer", "aud": "audience", "exp": "expired", "iat": "issued_at",
                  "nbf": "not_yet", "sub": "subject"}  # fmt: skip


class OidcError(PvppError):
    """The provider could not be used or its answer is not to be trusted. ``reason`` is
    for the audit log (``provider``: unreachable or a bad document; ``token``: the code
    not exchanged; ``signature``, ``issuer``, ``audience``, ``expired``, ``nonce``…: the
    id_token refused); the message says more, for the log, never for the page."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Request:
    """What one authorization request is made with: sent (``state``, ``nonce``, the
    verifier's challenge) and kept on the server (all three)."""

    state: str
    nonce: str
    verifier: str


def new_request() -> Request:
    """Fresh random values for one sign-in (43 URL-safe characters each, about 256 bits;
    the verifier within PKCE's 43–128)."""
    return Request(generate_token(43), generate_token(43), generate_token(64))


def digest(value: str) -> str:
    """The SHA-256 of ``value`` in hex: how state and nonce are kept."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]


def _allowed_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


class Provider:
    """The configured provider, as this process knows it (its documents cached)."""

    def __init__(self, settings: Settings) -> None:
        issuer, client_id = settings.console_oidc_issuer, settings.console_oidc_client_id
        if not issuer or not client_id:
            raise OidcError("config", "OpenID Connect is not configured")
        self.issuer = issuer
        self.client_id = client_id
        secret = settings.console_oidc_client_secret
        self.client_secret = secret.get_secret_value() if secret is not None else None
        self.discovery_url = settings.console_oidc_discovery_url or (
            issuer.rstrip("/") + "/.well-known/openid-configuration"
        )
        self.scope = settings.console_oidc_scopes
        self.acr_values = settings.oidc_mfa_acr()
        self.redirect_uri = settings.public_url.rstrip("/") + CALLBACK_PATH
        self._lock = threading.Lock()
        self._metadata: tuple[float, _Metadata] | None = None
        self._keys: tuple[float, KeySet] | None = None

    # -- fetching ----------------------------------------------------------------------

    def _fetch(self, method: str, url: str, **kwargs: Any) -> Any:
        """The JSON object a request to ``url`` answers with (bounded in size and time);
        :class:`OidcError` ``provider`` otherwise."""
        if not _allowed_url(url):
            raise OidcError("provider", f"{url} is not HTTPS (only loopback may use http)")
        try:
            with (
                httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client,
                client.stream(method, url, **kwargs) as answer,
            ):
                body = bytearray()
                for chunk in answer.iter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise OidcError("provider", f"{url} answered with too much")
                status = answer.status_code
        except httpx.HTTPError as exc:
            raise OidcError("provider", f"{url} could not be reached: {exc}") from None
        try:
            data = json.loads(bytes(body))
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise OidcError("provider", f"{url} answered {status} without a JSON object")
        if status != 200:
            error = str(data.get("error", ""))[:100]
            raise OidcError("token" if method == "POST" else "provider",
                            f"{url} answered {status} {error}")  # fmt: skip
        return data

    def metadata(self) -> _Metadata:
        """The provider's endpoints from its discovery document, whose ``issuer`` must be
        the configured one (OpenID Connect Discovery 1.0, section 4.3)."""
        with self._lock:
            cached = self._metadata
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        doc = self._fetch("GET", self.discovery_url)
        try:
            OpenIDProviderMetadata(doc).validate()
        except Exception as exc:  # Authlib raises ValueError or its own errors
            raise OidcError("provider", f"the discovery document is not valid: {exc}") from None
        if doc["issuer"] != self.issuer:
            raise OidcError("provider", f"the discovery document names issuer {doc['issuer']!r}, "
                            f"not the configured {self.issuer!r}")  # fmt: skip
        algorithms = tuple(
            a for a in doc.get("id_token_signing_alg_values_supported", []) if a in ASYMMETRIC
        )
        if not algorithms:
            raise OidcError("provider", "the provider signs id_tokens with no algorithm allowed")
        for url in (doc["authorization_endpoint"], doc["token_endpoint"], doc["jwks_uri"]):
            if not isinstance(url, str) or not _allowed_url(url):
                raise OidcError("provider", f"the endpoint {url!r} is not HTTPS")
        found = _Metadata(self.issuer, doc["authorization_endpoint"], doc["token_endpoint"],
                          doc["jwks_uri"], algorithms)  # fmt: skip
        with self._lock:
            self._metadata = (time.monotonic(), found)
        return found

    def _key_set(self, fresh: bool = False) -> KeySet:
        with self._lock:
            cached = self._keys
        if not fresh and cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        data = self._fetch("GET", self.metadata().jwks_uri)
        if not isinstance(data.get("keys"), list):
            raise OidcError("provider", "the provider's JWKS has no list of keys")
        try:
            keys = KeySet.import_key_set(data)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise OidcError("provider", f"the provider's keys cannot be read: {exc}") from None
        with self._lock:
            self._keys = (time.monotonic(), keys)
        return keys

    # -- the flow ----------------------------------------------------------------------

    def authorization_url(self, request: Request) -> str:
        """Where to send the browser: the code flow with ``state``, ``nonce`` and PKCE's
        S256 challenge (and ``acr_values`` when the settings name an ``acr`` for the
        second factor)."""
        extra: dict[str, str] = {
            "nonce": request.nonce,
            "code_challenge": create_s256_code_challenge(request.verifier),
            "code_challenge_method": "S256",
        }
        if self.acr_values:
            extra["acr_values"] = " ".join(self.acr_values)
        url: str = prepare_grant_uri(
            self.metadata().authorization_endpoint, self.client_id, "code",
            redirect_uri=self.redirect_uri, scope=self.scope, state=request.state, **extra,
        )  # fmt: skip
        return url

    def id_token_for(self, code: str, verifier: str) -> str:
        """The id_token the token endpoint gives for ``code`` (with PKCE's verifier; the
        client authenticated with its secret, HTTP Basic as RFC 6749 section 2.3.1 says,
        or as a public client with its id)."""
        fields: dict[str, str] = {"code_verifier": verifier}
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/json"}  # fmt: skip
        if self.client_secret is None:
            fields["client_id"] = self.client_id
        else:
            pair = f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        body: str = prepare_token_request(
            "authorization_code", code=code, redirect_uri=self.redirect_uri, **fields
        )
        answer = self._fetch("POST", self.metadata().token_endpoint, content=body,
                             headers=headers)  # fmt: skip
        token = answer.get("id_token")
        if not isinstance(token, str) or not token:
            raise OidcError("token", "the token endpoint answered without an id_token")
        return token

    def verify(self, id_token: str, *, nonce_sha256: str, now: datetime) -> dict[str, Any]:
        """The id_token's claims when it is the provider's, for this client, current, and
        answers the sign-in whose nonce's digest is ``nonce_sha256``; otherwise
        :class:`OidcError` naming what failed."""
        algorithms = self.metadata().algorithms
        try:
            try:
                token = jwt.decode(id_token, self._key_set(), algorithms=algorithms)
            except InvalidKeyIdError:  # keys rotated since they were fetched: once more
                token = jwt.decode(id_token, self._key_set(fresh=True), algorithms=algorithms)
        except BadSignatureError:
            raise OidcError("signature", "the id_token's signature is not the provider's") from None
        except JoseError as exc:
            raise OidcError("signature", f"the id_token cannot be verified: {exc}") from None
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            now=int(now.timestamp()), leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            sub={"essential": True}, exp={"essential": True}, iat={"essential": True},
        )  # fmt: skip
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise OidcError("expired", "the id_token has expired") from None
        except ClaimError as exc:
            reason = _CLAIM_REASONS.get(exc.claim.split(",")[0], "claims")
            raise OidcError(reason, f"the id_token's claims are refused: {exc}") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise OidcError("audience", "the id_token is for several audiences, not by azp ours")
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not hmac.compare_digest(digest(nonce), nonce_sha256):
            raise OidcError("nonce", "the id_token's nonce is not this sign-in's")
        return claims


_providers: dict[tuple[str, ...], Provider] = {}
_providers_lock = threading.Lock()


def provider_for(settings: Settings) -> Provider | None:
    """The provider the settings configure (one per process and configuration, so its
    documents are fetched once an hour), or None when OpenID Connect is off."""
    if not settings.oidc_enabled():
        return None
    secret = settings.console_oidc_client_secret
    key = (
        str(settings.console_oidc_issuer), str(settings.console_oidc_client_id),
        secret.get_secret_value() if secret else "", settings.console_oidc_discovery_url or "",
        settings.console_oidc_scopes, settings.console_oidc_mfa_acr, settings.public_url,
    )  # fmt: skip
    with _providers_lock:
        found = _providers.get(key)
        if found is None:
            found = _providers[key] = Provider(settings)
        return found


def claims_summary(claims: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of an id_token: who (issuer, subject) and how they signed
    in (``amr``, ``acr``), never the token."""
    return {
        "issuer": str(claims.get("iss", ""))[:200],
        "subject": str(claims.get("sub", ""))[:200],
        "amr": [str(v)[:40] for v in claims.get("amr", [])][:10]
        if isinstance(claims.get("amr"), list) else [],
        "acr": str(claims.get("acr", ""))[:100],
    }  # fmt: skip
