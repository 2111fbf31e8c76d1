"""GNAP interop (RFC 9635): a Python client built on the PyPI package `http-message-signatures` (pinned in
requirements-dev.txt) and `cryptography` sends signed GNAP requests to a real `tessera serve`, which must accept
them: a grant request with two labelled tokens (httpsig, ed25519, tag "gnap", nonce, created, keyid = the JWK kid,
no alg, Content-Digest), then a token rotation presenting the management token. Replays and foreign keys must be
refused. Needs the `tessera` binary (TESSERA_BIN or .build/debug/tessera).
"""

import base64
import hashlib
import json
import os

import pytest
import requests
from conftest import TesseraServer, tessera_binary
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, MappingKeyResolver, algorithms

pytestmark = pytest.mark.skipif(not os.path.exists(tessera_binary()), reason=f"tessera not built ({tessera_binary()})")



def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Client:
    """A GNAP client instance: an Ed25519 key presented as a JWK with alg and kid (RFC 9635 §7.1)."""

    def __init__(self, kid: str):
        self.private = ed25519.Ed25519PrivateKey.generate()
        raw = self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.kid = kid
        self.jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw), "alg": "EdDSA", "kid": kid}
        self.signer = HTTPMessageSigner(
            signature_algorithm=algorithms.ED25519,
            key_resolver=MappingKeyResolver(public_keys={kid: self.private.public_key()}, private_keys={kid: self.private}),
        )

    def signed(self, method: str, url: str, body: bytes | None = None, token: str | None = None) -> requests.PreparedRequest:
        headers = {}
        covered = ["@method", "@target-uri"]
        if body is not None:
            # http-message-signatures computes Content-Digest (sha-256) over `body` and covers it.
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = "GNAP " + token
            covered.append("authorization")
        request = requests.Request(method, url, headers=headers, data=body).prepare()
        self.signer.sign(
            request,
            key_id=self.kid,
            created=None,
            nonce=b64u(os.urandom(16)),
            tag="gnap",
            label="sig1",
            include_alg=False,
            covered_component_ids=tuple(covered),
            body=body,
        )
        return request


def grant_body(client: Client) -> bytes:
    return json.dumps(
        {
            "access_token": [
                {"label": "photos", "access": [{"type": "photo-api", "actions": ["read"], "locations": ["https://rs.example/"]}]},
                {"label": "billing", "access": [{"type": "billing", "actions": ["read"]}]},
            ],
            "client": {"key": {"proof": "httpsig", "jwk": client.jwk}, "display": {"name": "python interop"}},
        }
    ).encode()


@pytest.fixture(scope="module")
def client():
    return Client("py-client-1")


@pytest.fixture(scope="module")
def server(client):
    # docs/gnap.md: a registered instance asking only for its allowed access types gets its tokens at once.
    config = f"""
gnap:
  continuation_wait: 0
  instances:
    - id: python-agent
      display_name: Python interop
      key: {{"proof": "httpsig", "jwk": {json.dumps(client.jwk)}}}
      allowed_access: [photo-api, billing]
"""
    server = TesseraServer(config)
    yield server
    server.stop()


def send(prepared: requests.PreparedRequest) -> requests.Response:
    with requests.Session() as session:
        return session.send(prepared, timeout=10)


def test_discovery_lists_httpsig(server):
    response = requests.options(server.base_url + "/gnap", timeout=10)
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["grant_request_endpoint"].endswith("/gnap")
    assert "httpsig" in document["key_proofs_supported"]


def test_python_signed_grant_request_is_accepted_with_two_tokens(server, client):
    response = send(client.signed("POST", server.base_url + "/gnap", grant_body(client)))
    assert response.status_code == 200, response.text
    assert response.headers.get("Cache-Control") == "no-store"
    grant = response.json()
    tokens = grant["access_token"]
    assert isinstance(tokens, list) and sorted(t["label"] for t in tokens) == ["billing", "photos"]
    for token in tokens:
        assert token["value"] and "bearer" not in token.get("flags", [])
        assert "key" not in token  # bound to the key that signed the request
    # The access token is a JWT bound to the client key: cnf.jkt is its RFC 7638 thumbprint.
    payload = tokens[0]["value"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": client.jwk["x"]}, separators=(",", ":"), sort_keys=True)
    assert claims["cnf"]["jkt"] == b64u(hashlib.sha256(canonical.encode()).digest())

    managed = next((t for t in tokens if "manage" in t), None)
    if managed is not None:
        manage = managed["manage"]
        rotated = send(client.signed("POST", manage["uri"], token=manage["access_token"]["value"]))
        assert rotated.status_code == 200, rotated.text
        assert rotated.json()["access_token"]["value"] != managed["value"]


def test_replayed_python_signature_is_refused(server, client):
    prepared = client.signed("POST", server.base_url + "/gnap", grant_body(client))
    first = send(prepared)
    assert first.status_code == 200, first.text
    again = send(prepared)
    assert again.status_code in (400, 401), again.text
    error = again.json()["error"]
    assert (error["code"] if isinstance(error, dict) else error) == "invalid_client"


def test_signature_by_another_key_is_refused(server, client):
    impostor = Client(client.kid)  # same kid, different key
    body = grant_body(client)
    response = send(impostor.signed("POST", server.base_url + "/gnap", body))
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert (error["code"] if isinstance(error, dict) else error) == "invalid_client"


def test_unknown_key_gets_a_pending_grant_with_a_bound_continuation(server):
    stranger = Client("py-stranger")
    response = send(stranger.signed("POST", server.base_url + "/gnap", grant_body(stranger)))
    assert response.status_code == 200, response.text
    grant = response.json()
    assert "access_token" not in grant
    cont = grant["continue"]
    assert "flags" not in cont["access_token"] and "key" not in cont["access_token"]
    # Polling with the continuation token, signed by the same key, rotates the token.
    polled = send(stranger.signed("POST", cont["uri"], token=cont["access_token"]["value"]))
    assert polled.status_code == 200, polled.text
    assert polled.json()["continue"]["access_token"]["value"] != cont["access_token"]["value"]
