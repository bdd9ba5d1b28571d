"""A small OpenID Connect provider the console's tests run on loopback: a Starlette app
under uvicorn on a free port, serving discovery, its JWKS (an RSA key made with
cryptography), ``/authorize`` (approving its one configured person at once and sending the
browser back with a code) and ``/token`` (checking the client's secret, the code, the
redirect URI and PKCE's verifier, and answering with an RS256-signed id_token).

A test changes what it says through :attr:`Idp.person` (the claims of whoever signs in)
and :attr:`Idp.tamper` (claims to put in, or take out with None, after the honest ones:
another nonce, audience, expiry…), or signs with :attr:`Idp.wrong_key`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlencode

import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "pvpp-console"
CLIENT_SECRET = "a client secret: s3cret/+=&"


def _rsa(kid: str) -> RSAKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return RSAKey.import_key(private, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


@dataclass
class Idp:
    """The provider's state: who signs in, what the next id_token says, what it saw."""

    now: Callable[[], datetime]
    issuer: str = ""
    key: RSAKey = field(default_factory=lambda: _rsa("key-1"))
    wrong_key: bool = False
    person: dict[str, Any] = field(default_factory=dict)
    tamper: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def reset(self, **person: Any) -> None:
        """The honest provider again, signing in a person with these claims."""
        self.person = {"sub": "248289761001", "email": "ilze.berzina@varam.gov.lv",
                       "email_verified": True, "name": "Ilze Bērziņa", "amr": ["pwd"],
                       **person}  # fmt: skip
        self.tamper = {}
        self.wrong_key = False
        self.authorize_requests.clear()
        self.token_requests.clear()

    def id_token(self, nonce: str) -> str:
        at = int(self.now().timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": CLIENT_ID, "iat": at, "exp": at + 300,
            "auth_time": at, "nonce": nonce, **self.person,
        }  # fmt: skip
        for name, value in self.tamper.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        key = _rsa("key-1") if self.wrong_key else self.key
        return jwt.encode({"alg": "RS256", "kid": "key-1"}, claims, key)

    # -- the endpoints ---------------------------------------------------------------

    def discovery(self, request: Request) -> Response:
        return JSONResponse({
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "scopes_supported": ["openid", "email", "profile"],
        })  # fmt: skip

    def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    def authorize(self, request: Request) -> Response:
        asked = dict(request.query_params)
        self.authorize_requests.append(asked)
        if asked.get("client_id") != CLIENT_ID or asked.get("response_type") != "code":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        if asked.get("code_challenge_method") != "S256" or not asked.get("code_challenge"):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(24)
        self.codes[code] = asked
        back = urlencode({"code": code, "state": asked.get("state", "")})
        return RedirectResponse(f"{asked['redirect_uri']}?{back}", status_code=302)

    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.token_requests.append(form)
        basic = request.headers.get("authorization", "")
        pair = base64.b64decode(basic.removeprefix("Basic ")).decode() if basic else ":"
        client_id, _, secret = (unquote(p) for p in pair.partition(":"))
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        asked = self.codes.pop(form.get("code", ""), None)  # a code works once
        if asked is None or form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if form.get("redirect_uri") != asked["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if challenge.decode() != asked["code_challenge"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        token = self.id_token(asked["nonce"])
        return JSONResponse({"access_token": secrets.token_urlsafe(24), "token_type": "Bearer",
                             "expires_in": 300, "id_token": token})  # fmt: skip

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
        ])  # fmt: skip


@contextmanager
def running_idp(now: Callable[[], datetime]) -> Iterator[Idp]:
    """The provider serving on a free loopback port until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    idp = Idp(now=now, issuer=f"http://127.0.0.1:{port}")
    idp.reset()
    server = uvicorn.Server(uvicorn.Config(idp.app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test's OpenID Connect provider did not start")
        time.sleep(0.02)
    try:
        yield idp
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
