"""The one policy set through a real `tessera serve` (issue 19 item 2, docs/policy.md): the owner's
`policy.file` decides introspection (RFC 7662 §4), token exchange targets (RFC 8693 §2.2.2) and
client challenges (draft-kahrer-oauth-client-challenge-protocol-00 §4), besides what a client may
obtain; `tessera policy show` prints the configuration keys translated into policies.
"""

import os
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests
from conftest import TesseraServer, tessera_binary

pytestmark = pytest.mark.skipif(not os.path.exists(tessera_binary()), reason=f"tessera not built ({tessera_binary()})")

SECRET = "s" * 40
RS_SECRET = "r" * 40
API = "https://api.example/"
PEER = "https://as-b.example"

OWNER_POLICY = f"""
@id("rs-never-sees-write")
forbid (principal == Client::"rs", action == Action::"introspect", resource)
when {{ context.scopes.contains(Scope::"write") }};

@id("nothing-to-b")
forbid (principal, action == Action::"exchange", resource == Resource::"{PEER}");

@id("retired-client") @reason("the retired client gets no tokens")
forbid (principal == Client::"retired", action == Action::"challenge", resource);
"""


def config(policy_path):
    return f"""
clients:
  - {{id: app, auth: client_secret_basic, secret: {SECRET}, grant_types: [client_credentials, "urn:ietf:params:oauth:grant-type:token-exchange"], scopes: read write}}
  - {{id: retired, auth: client_secret_basic, secret: {SECRET}, grant_types: [client_credentials], scopes: read}}
  - {{id: rs, auth: client_secret_basic, secret: {RS_SECRET}, grant_types: [client_credentials], scopes: read, introspection_audiences: ["{API}"]}}
chaining:
  peers:
    - name: b
      issuer: {PEER}
      scopes: read
policy:
  file: {policy_path}
"""


@pytest.fixture(scope="module")
def server():
    directory = tempfile.mkdtemp(prefix="tessera-policy-fold-")
    policy = Path(directory) / "policy.cedar"
    policy.write_text(OWNER_POLICY)
    server = TesseraServer(config(policy))
    server.config_text = config(policy)
    yield server
    server.stop()


def token(server, scope, auth=("app", SECRET)):
    response = requests.post(
        server.base_url + "/token",
        data={"grant_type": "client_credentials", "scope": scope, "resource": API},
        auth=auth,
        timeout=20,
    )
    return response


def introspect(server, value, auth):
    response = requests.post(server.base_url + "/introspect", data={"token": value}, auth=auth, timeout=20)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_owner_forbid_on_introspect_answers_inactive(server):
    read = token(server, "read").json()["access_token"]
    both = token(server, "read write").json()["access_token"]
    assert introspect(server, read, ("rs", RS_SECRET))["active"] is True
    assert introspect(server, both, ("rs", RS_SECRET)) == {"active": False}
    # The token's own client is not named by the forbid.
    assert introspect(server, both, ("app", SECRET))["active"] is True


def test_an_owner_forbid_on_an_exchange_target_holds_without_a_scope(server):
    subject = token(server, "read").json()["access_token"]
    response = requests.post(
        server.base_url + "/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": subject,
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "audience": PEER,
        },
        auth=("app", SECRET),
        timeout=20,
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_target"
    assert "nothing-to-b" in response.json()["error_description"]


def test_an_owner_forbid_on_challenge_refuses_the_client(server):
    response = token(server, "read", auth=("retired", SECRET))
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "unauthorized_client"
    assert "retired client" in response.json()["error_description"]
    assert token(server, "read").status_code == 200


def test_policy_show_prints_the_translated_keys(server, tmp_path):
    path = tmp_path / "tessera.yaml"
    path.write_text(server.config_text)
    output = subprocess.run(
        [tessera_binary(), "policy", "show", "--config", str(path)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert '@id("chaining.peers[b].scopes")' in output
    assert '@id("introspection-by-audience-or-holder")' in output
    assert '@id("rs-never-sees-write")' in output
