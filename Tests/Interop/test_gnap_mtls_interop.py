"""GNAP mtls interop (RFC 9635 §7.3.2, RFC 8705, RFC 9440): a Python client using `requests` with `cert=` and
certificates made with `cryptography` (both pinned in requirements-dev.txt) talks to a real `tessera serve` that
terminates TLS itself (`tls:` with `client_certificates: optional`): a grant with a registered certificate gets a
token bound with cnf.x5t#S256 (the SHA-256 thumbprint computed here independently), continuation and rotation work
over the same certificate, and a missing or foreign certificate is refused. A second server trusts loopback as its
TLS-terminating proxy and takes the certificate from an RFC 9440 `Client-Cert` field formatted here.
Needs the `tessera` binary (TESSERA_BIN or .build/debug/tessera).
"""

import base64
import datetime
import hashlib
import ipaddress
import json
import os
import tempfile
from pathlib import Path

import pytest
import requests
from conftest import TesseraServer, tessera_binary
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

pytestmark = pytest.mark.skipif(not os.path.exists(tessera_binary()), reason=f"tessera not built ({tessera_binary()})")

PHOTOS = {"type": "photo-api", "actions": ["read"], "locations": ["https://rs.example/"]}


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Certificate:
    """A self-signed P-256 certificate and key, written to PEM files for `requests`."""

    def __init__(self, name: str, server: bool = False):
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
        self.certificate = builder.sign(self.key, hashes.SHA256())
        self.der = self.certificate.public_bytes(serialization.Encoding.DER)
        self.pem = self.certificate.public_bytes(serialization.Encoding.PEM).decode()
        directory = Path(tempfile.mkdtemp(prefix="tessera-mtls-"))
        self.cert_path = str(directory / "cert.pem")
        self.key_path = str(directory / "key.pem")
        Path(self.cert_path).write_text(self.pem)
        Path(self.key_path).write_bytes(
            self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )

    @property
    def thumbprint(self) -> str:
        """RFC 8705 §3.1 x5t#S256: base64url SHA-256 of the DER certificate."""
        return b64u(hashlib.sha256(self.der).digest())

    @property
    def tls(self):
        return (self.cert_path, self.key_path)


def claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.fixture(scope="module")
def certificates():
    return {"server": Certificate("localhost", server=True), "agent": Certificate("py-agent"), "thief": Certificate("thief")}


@pytest.fixture(scope="module")
def tls_server(certificates):
    server, agent = certificates["server"], certificates["agent"]
    config = {
        "tls": {"certificate_chain": server.cert_path, "private_key": server.key_path, "client_certificates": "optional"},
        "gnap": {
            "continuation_wait": 0,
            "instances": [{"id": "py-agent", "key": {"proof": "mtls", "cert": agent.pem}, "allowed_access": ["photo-api"]}],
        },
    }
    instance = TesseraServer(json.dumps(config))
    yield instance
    instance.stop()


def grant_body(key=None):
    body = {"access_token": {"access": [PHOTOS]}}
    body["client"] = {"key": key} if key else "py-agent"
    return body


def test_discovery_over_tls_lists_mtls(tls_server, certificates):
    assert tls_server.base_url.startswith("https://")
    response = requests.options(tls_server.base_url + "/gnap", verify=certificates["server"].cert_path, timeout=10)
    assert response.status_code == 200
    assert "mtls" in response.json()["key_proofs_supported"]


def test_grant_continuation_and_rotation_over_mtls(tls_server, certificates):
    agent, ca = certificates["agent"], certificates["server"].cert_path
    response = requests.post(tls_server.base_url + "/gnap", json=grant_body(), cert=agent.tls, verify=ca, timeout=10)
    assert response.status_code == 200, response.text
    answer = response.json()
    token = answer["access_token"]
    assert claims(token["value"])["cnf"] == {"x5t#S256": agent.thumbprint}

    # Continuation: the same certificate proves the key; the continuation token rotates.
    continued = requests.post(
        answer["continue"]["uri"], headers={"Authorization": "GNAP " + answer["continue"]["access_token"]["value"]},
        cert=agent.tls, verify=ca, timeout=10,
    )
    assert continued.status_code == 200, continued.text
    assert continued.json()["continue"]["access_token"]["value"] != answer["continue"]["access_token"]["value"]

    # Rotation with the management token.
    rotated = requests.post(
        token["manage"]["uri"], headers={"Authorization": "GNAP " + token["manage"]["access_token"]["value"]},
        cert=agent.tls, verify=ca, timeout=10,
    )
    assert rotated.status_code == 200, rotated.text
    new_value = rotated.json()["access_token"]["value"]
    assert new_value != token["value"]
    assert claims(new_value)["cnf"] == {"x5t#S256": agent.thumbprint}


def test_key_named_by_thumbprint_computed_in_python_is_accepted(tls_server, certificates):
    thief, ca = certificates["thief"], certificates["server"].cert_path
    body = grant_body({"proof": "mtls", "cert#S256": thief.thumbprint})
    response = requests.post(tls_server.base_url + "/gnap", json=body, cert=thief.tls, verify=ca, timeout=10)
    # An unknown client: accepted as trust on first use, pending for a resource owner.
    assert response.status_code == 200, response.text
    assert "continue" in response.json() and "access_token" not in response.json()


def test_missing_or_foreign_certificate_is_refused(tls_server, certificates):
    ca = certificates["server"].cert_path
    missing = requests.post(tls_server.base_url + "/gnap", json=grant_body(), verify=ca, timeout=10)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "invalid_client"
    assert "none was presented" in missing.json()["error"]["description"]
    foreign = requests.post(tls_server.base_url + "/gnap", json=grant_body(), cert=certificates["thief"].tls, verify=ca, timeout=10)
    assert foreign.status_code == 401
    assert foreign.json()["error"]["code"] == "invalid_client"
    assert "not the key's certificate" in foreign.json()["error"]["description"]


def test_client_cert_header_from_the_trusted_proxy(certificates):
    agent = certificates["agent"]
    config = {
        "trusted_proxies": ["127.0.0.1/32"],
        "gnap": {"instances": [{"id": "py-agent", "key": {"proof": "mtls", "cert": agent.pem}, "allowed_access": ["photo-api"]}]},
    }
    instance = TesseraServer(json.dumps(config))
    try:
        header = ":" + base64.b64encode(agent.der).decode() + ":"  # RFC 8941 byte sequence (RFC 9440 §2.2)
        response = requests.post(instance.base_url + "/gnap", json=grant_body(), headers={"Client-Cert": header}, timeout=10)
        assert response.status_code == 200, response.text
        assert claims(response.json()["access_token"]["value"])["cnf"] == {"x5t#S256": agent.thumbprint}
        spoofed_thief = ":" + base64.b64encode(certificates["thief"].der).decode() + ":"
        refused = requests.post(instance.base_url + "/gnap", json=grant_body(), headers={"Client-Cert": spoofed_thief}, timeout=10)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "invalid_client"
    finally:
        instance.stop()


def test_client_cert_header_from_an_untrusted_peer_is_refused(certificates):
    agent = certificates["agent"]
    config = {
        "trusted_proxies": ["10.0.0.0/8"],
        "gnap": {"instances": [{"id": "py-agent", "key": {"proof": "mtls", "cert": agent.pem}, "allowed_access": ["photo-api"]}]},
    }
    instance = TesseraServer(json.dumps(config))
    try:
        header = ":" + base64.b64encode(agent.der).decode() + ":"
        response = requests.post(instance.base_url + "/gnap", json=grant_body(), headers={"Client-Cert": header}, timeout=10)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_request"
        assert "trusted proxy" in response.json()["error"]["description"]
    finally:
        instance.stop()
