"""Identity chaining Appendix B.2 ("authorization server acting as client") against a peer that is
not Tessera: a small Python AS-B (http.server + joserfc) receives the grant from our AS-A, verifies
AS-A's `private_key_jwt` client assertion and the grant against AS-A's published JWKS, binds its
token to the grant's `requested_cnf`, and our AS-A hands that token to a `requests` client that
proved a joserfc DPoP key. AS-B's refusals and its absence become clear errors at AS-A."""
import base64
import hashlib
import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from conftest import TesseraServer

SECRET = "as-client-secret-as-client-secret-0123456789"
PEER_ISSUER = "https://python-as-b.interop"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PythonAuthorizationServer:
    """AS-B: a jwt-bearer token endpoint that trusts AS-A's JWKS and knows AS-A as client `tessera-a`."""

    def __init__(self):
        self.jwks_url = None  # AS-A's /jwks, known once AS-A runs
        self.requests = []
        self.refuse = False
        self.scope = None  # when set, answered instead of the grant's scope
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                status, body = outer.token(form)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, form):
        self.requests.append(form)
        if self.refuse:
            return 400, {"error": "invalid_grant", "error_description": "policy: domain A may not have this"}
        if form.get("grant_type") != JWT_BEARER or form.get("client_assertion_type") != ASSERTION_TYPE:
            return 400, {"error": "invalid_request"}
        keys = KeySet.import_key_set(requests.get(self.jwks_url, timeout=5).json())
        now = int(time.time())
        try:
            client = jwt.decode(form["client_assertion"], keys, algorithms=["ES256", "ES384", "EdDSA", "RS256", "PS256"])
            assert client.header["typ"] == "client-authentication+jwt"
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": "tessera-a"}, sub={"essential": True, "value": "tessera-a"},
                aud={"essential": True, "value": PEER_ISSUER}, jti={"essential": True}, exp={"essential": True},
            ).validate(client.claims)
        except Exception as error:  # noqa: BLE001 — any failure is a refused client
            return 401, {"error": "invalid_client", "error_description": str(error)[:100]}
        try:
            grant = jwt.decode(form["assertion"], keys, algorithms=["ES256", "ES384", "EdDSA", "RS256", "PS256"])
            jwt.JWTClaimsRegistry(aud={"essential": True, "value": PEER_ISSUER}, sub={"essential": True}, jti={"essential": True}).validate(grant.claims)
            assert grant.claims["exp"] > now
        except Exception as error:  # noqa: BLE001
            return 400, {"error": "invalid_grant", "error_description": str(error)[:100]}
        body = {"access_token": "py-" + str(uuid.uuid4()), "expires_in": 120, "scope": self.scope or grant.claims.get("scope", ""), "token_type": "Bearer"}
        if "requested_cnf" in grant.claims:
            body["token_type"] = "DPoP"
        self.last_grant = grant.claims
        return 200, body

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def domains():
    peer = PythonAuthorizationServer()
    down_port = free_port()
    try:
        a = TesseraServer(
            f"""
clients:
  - {{id: py-app, auth: client_secret_basic, secret: {SECRET}, grant_types: [client_credentials, "{EXCHANGE}"], scopes: read write}}
chaining:
  peers:
    - name: py
      issuer: {PEER_ISSUER}
      redeem: {{client_id: tessera-a, authentication: private_key_jwt, token_endpoint: "http://127.0.0.1:{peer.port}/token"}}
    - name: down
      issuer: https://down.interop
      redeem: {{client_id: tessera-a, authentication: private_key_jwt, token_endpoint: "http://127.0.0.1:{down_port}/token"}}
"""
        )
    except Exception:
        peer.stop()
        raise
    peer.jwks_url = a.base_url + "/jwks"
    yield a, peer
    a.stop()
    peer.stop()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def proof(key, method, url):
    claims = {"jti": str(uuid.uuid4()), "htm": method, "htu": url, "iat": int(time.time())}
    return jwt.encode({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=False)}, claims, key, algorithms=["ES256"])


def exchange(a, audience, key=None, **extra):
    access = requests.post(a.base_url + "/token", data={"grant_type": "client_credentials", "scope": "read"}, auth=("py-app", SECRET), timeout=10)
    form = {"grant_type": EXCHANGE, "subject_token": access.json()["access_token"], "subject_token_type": ACCESS_TOKEN, "audience": audience}
    form.update(extra)
    headers = {"DPoP": proof(key, "POST", a.base_url + "/token")} if key else {}
    return requests.post(a.base_url + "/token", data=form, auth=("py-app", SECRET), headers=headers, timeout=30)


def test_as_a_returns_the_python_peers_dpop_token(domains):
    a, peer = domains
    key = ECKey.generate_key("P-256", private=True)
    response = exchange(a, PEER_ISSUER, key, requested_token_type=ACCESS_TOKEN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["access_token"].startswith("py-")
    assert body["token_type"] == "DPoP"
    assert body["issued_token_type"] == ACCESS_TOKEN
    assert body["expires_in"] == 120
    assert "refresh_token" not in body
    assert peer.last_grant["requested_cnf"] == {"jkt": key.thumbprint()}
    # The grant names the client that redeems it at the peer: AS-A itself (RFC 7523 §3; a peer that binds
    # grants to their client, as Tessera does, refuses a grant naming a client other than the redeeming one).
    assert peer.last_grant["client_id"] == "tessera-a"


def test_without_requested_token_type_the_client_gets_the_grant(domains):
    a, peer = domains
    before = len(peer.requests)
    response = exchange(a, PEER_ISSUER)
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "N_A" and response.json()["issued_token_type"] == JWT_TYPE
    assert len(peer.requests) == before


def test_the_peers_refusal_is_invalid_target(domains):
    a, peer = domains
    peer.refuse = True
    try:
        response = exchange(a, PEER_ISSUER, requested_token_type=ACCESS_TOKEN)
    finally:
        peer.refuse = False
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_target"
    assert "peer 'py' refused the authorization grant: invalid_grant (policy: domain A may not have this)" in response.json()["error_description"]


def test_an_unreachable_peer_is_temporarily_unavailable(domains):
    a, _ = domains
    response = exchange(a, "https://down.interop", requested_token_type=ACCESS_TOKEN)
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"


def test_a_peer_token_with_more_scope_than_the_grant_is_not_handed_over(domains):
    """Issue 18: the peer's token is a derived token too; AS-A does not pass on one holding more than the grant (RFC 8693 §2.1)."""
    a, peer = domains
    peer.scope = "read write admin"
    try:
        response = exchange(a, PEER_ISSUER, requested_token_type=ACCESS_TOKEN, scope="read")
    finally:
        peer.scope = None
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_target"
    assert "scope beyond the grant" in response.json()["error_description"]
