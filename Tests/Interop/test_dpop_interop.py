"""DPoP interop (RFC 9449) with an independent JOSE implementation: proofs built with joserfc get
DPoP-bound tokens from a real `tessera serve` (with and without server nonces), those tokens are
accepted by the resource-server SDK example (`tessera-resource-example serve`) only with a
matching joserfc proof, and proofs made by our SDK verify with joserfc."""
import base64
import hashlib
import json
import os
import re
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey

from conftest import TesseraServer, tessera_binary

SECRET = "dpop-interop-secret-dpop-interop-secret-01"
CLIENTS = f"""
clients:
  - id: dpop-client
    auth: client_secret_basic
    secret: {SECRET}
    grant_types: [client_credentials, refresh_token]
    scopes: read write
"""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def proof(key, method, url, access_token=None, nonce=None, alg="ES256", iat=None):
    claims = {"jti": str(uuid.uuid4()), "htm": method, "htu": url, "iat": int(iat if iat is not None else time.time())}
    if access_token is not None:
        claims["ath"] = b64url(hashlib.sha256(access_token.encode()).digest())
    if nonce is not None:
        claims["nonce"] = nonce
    header = {"typ": "dpop+jwt", "alg": alg, "jwk": key.as_dict(private=False)}
    return jwt.encode(header, claims, key, algorithms=[alg])


def token(server, key, **extra):
    form = {"grant_type": "client_credentials", "scope": "read"}
    form.update(extra.pop("form", {}))
    url = server.base_url + "/token"
    headers = {"DPoP": proof(key, "POST", url, **extra)}
    return requests.post(url, data=form, auth=("dpop-client", SECRET), headers=headers, timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def example_binary() -> str:
    return str(Path(tessera_binary()).parent / "tessera-resource-example")


class ResourceServer:
    """`tessera-resource-example serve` protecting /api/hello with scope read."""

    def __init__(self, issuer: str):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(tempfile.mkdtemp(prefix="tessera-rs-")) / "rs.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [example_binary(), "serve", "--issuer", issuer, "--port", str(self.port)], stdout=self.log, stderr=self.log
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if "listening on" in self.log_path.read_text():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("the resource server did not start:\n" + self.log_path.read_text())

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


@pytest.fixture(scope="module")
def server():
    server = TesseraServer(CLIENTS)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def nonce_server():
    server = TesseraServer(CLIENTS + "dpop:\n  require_nonce: true\n")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def resource(server):
    rs = ResourceServer(server.base_url)
    yield rs
    rs.stop()


@pytest.fixture
def key():
    return ECKey.generate_key("P-256", private=True)


def claims_of(access_token: str) -> dict:
    payload = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_joserfc_proofs_get_dpop_bound_tokens(server, key):
    response = token(server, key)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "DPoP"
    assert claims_of(body["access_token"])["cnf"]["jkt"] == key.thumbprint()
    metadata = requests.get(server.base_url + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert "ES256" in metadata["dpop_signing_alg_values_supported"]
    assert "none" not in metadata["dpop_signing_alg_values_supported"]


def test_eddsa_proofs_are_accepted_too(server):
    key = OKPKey.generate_key("Ed25519", private=True)
    response = token(server, key, alg="EdDSA")
    assert response.status_code == 200, response.text
    assert claims_of(response.json()["access_token"])["cnf"]["jkt"] == key.thumbprint()


def test_the_server_refuses_broken_joserfc_proofs(server, key):
    url = server.base_url + "/token"
    stale = proof(key, "POST", url, iat=time.time() - 600)
    wrong_url = proof(key, "POST", server.base_url + "/introspect")
    for bad in (stale, wrong_url):
        response = requests.post(url, data={"grant_type": "client_credentials"}, auth=("dpop-client", SECRET), headers={"DPoP": bad}, timeout=10)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_dpop_proof"
    once = proof(key, "POST", url)
    first = requests.post(url, data={"grant_type": "client_credentials"}, auth=("dpop-client", SECRET), headers={"DPoP": once}, timeout=10)
    assert first.status_code == 200
    again = requests.post(url, data={"grant_type": "client_credentials"}, auth=("dpop-client", SECRET), headers={"DPoP": once}, timeout=10)
    assert again.json()["error"] == "invalid_dpop_proof"


def test_server_nonces_with_joserfc(nonce_server, key):
    first = token(nonce_server, key)
    assert first.status_code == 400
    assert first.json()["error"] == "use_dpop_nonce"
    nonce = first.headers["DPoP-Nonce"]
    second = token(nonce_server, key, nonce=nonce)
    assert second.status_code == 200, second.text
    assert second.json()["token_type"] == "DPoP"


def test_the_sdk_resource_server_accepts_the_token_only_with_a_matching_proof(server, resource, key):
    api = resource.base_url + "/api/hello"
    access = token(server, key, form={"resource": resource.base_url}).json()["access_token"]

    ok = requests.get(api, headers={"Authorization": "DPoP " + access, "DPoP": proof(key, "GET", api, access_token=access)}, timeout=10)
    assert ok.status_code == 200, ok.headers
    assert ok.json()["subject"] == "dpop-client"
    assert ok.json()["tokenType"] == "DPoP"
    assert ok.json()["jkt"] == key.thumbprint()

    replayed = proof(key, "GET", api, access_token=access)
    assert requests.get(api, headers={"Authorization": "DPoP " + access, "DPoP": replayed}, timeout=10).status_code == 200
    again = requests.get(api, headers={"Authorization": "DPoP " + access, "DPoP": replayed}, timeout=10)
    assert again.status_code == 401
    assert 'error="invalid_dpop_proof"' in again.headers["WWW-Authenticate"]

    wrong_ath = requests.get(api, headers={"Authorization": "DPoP " + access, "DPoP": proof(key, "GET", api, access_token="other")}, timeout=10)
    assert wrong_ath.status_code == 401
    thief = ECKey.generate_key("P-256", private=True)
    stolen = requests.get(api, headers={"Authorization": "DPoP " + access, "DPoP": proof(thief, "GET", api, access_token=access)}, timeout=10)
    assert stolen.status_code == 401
    assert 'error="invalid_token"' in stolen.headers["WWW-Authenticate"]
    downgraded = requests.get(api, headers={"Authorization": "Bearer " + access}, timeout=10)
    assert downgraded.status_code == 401


def test_discovery_from_the_resource_challenge(server, resource):
    bare = requests.get(resource.base_url + "/api/hello", timeout=10)
    assert bare.status_code == 401
    match = re.search(r'resource_metadata="([^"]+)"', bare.headers["WWW-Authenticate"])
    assert match
    metadata = requests.get(match.group(1), timeout=10).json()
    assert metadata["resource"] == resource.base_url
    assert metadata["authorization_servers"] == [server.base_url]


def test_sdk_proofs_verify_with_joserfc():
    access = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
    output = subprocess.run(
        [example_binary(), "proof", "--method", "GET", "--url", "https://rs.example/data?x=1", "--access-token", access, "--nonce", "n-1"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    made = json.loads(output)
    header_part = made["proof"].split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(header_part + "=" * (-len(header_part) % 4)))
    assert header["typ"] == "dpop+jwt" and header["alg"] == "ES256" and "d" not in header["jwk"]
    public = ECKey.import_key(header["jwk"])
    decoded = jwt.decode(made["proof"], public, algorithms=["ES256"])
    assert decoded.claims["htm"] == "GET"
    assert decoded.claims["htu"] == "https://rs.example/data"
    assert decoded.claims["ath"] == "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    assert decoded.claims["nonce"] == "n-1"
    assert abs(decoded.claims["iat"] - time.time()) < 60
    assert public.thumbprint() == made["jkt"]
