"""RFC 9767 §4 derived tokens and issue 19's one registry, from Python: a resource server registered with
`tessera clients add-resource-server` while the server runs signs its own requests with the PyPI
`http-message-signatures` package, presents the token a client gave it as `existing_access_token` in an
ordinary grant request with its id in `client`, and gets a narrower token for a downstream RS. Wider access is
`request_denied`; revoking the parent makes the derived token inactive at the downstream RS's introspection.
Needs the `tessera` binary (TESSERA_BIN or .build/debug/tessera).
"""

import json
import os
import subprocess
import tempfile

import pytest
from conftest import TesseraServer, tessera_binary
from test_gnap_interop import Client, send

pytestmark = pytest.mark.skipif(not os.path.exists(tessera_binary()), reason=f"tessera not built ({tessera_binary()})")

RS1 = "https://rs1.example/"
RS2 = "https://rs2.example/"


@pytest.fixture(scope="module")
def parties():
    return {"client": Client("derive-client"), "rs1": Client("derive-rs1"), "rs2": Client("derive-rs2")}


@pytest.fixture(scope="module")
def server(parties):
    config = f"""
gnap:
  continuation_wait: 0
  instances:
    - id: derive-agent
      key: {{"proof": "httpsig", "jwk": {json.dumps(parties["client"].jwk)}}}
      allowed_access: [photo-api]
  resource_servers:
    - id: rs2
      key: {{"proof": "httpsig", "jwk": {json.dumps(parties["rs2"].jwk)}}}
      audiences: ["{RS2}"]
"""
    server = TesseraServer(config)
    # rs1 is registered in the database, not the file: the running server must see it at once.
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as key:
        json.dump({"proof": "httpsig", "jwk": parties["rs1"].jwk}, key)
    added = subprocess.run(
        [tessera_binary(), "clients", "add-resource-server", "--id", "rs1", "--key", key.name, "--audience", RS1, "--data-dir", server.directory],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    yield server
    server.stop()


def photo_api(actions, locations):
    return {"type": "photo-api", "actions": actions, "locations": locations}


def parent_token(server, client):
    body = json.dumps(
        {"access_token": {"access": [photo_api(["read", "print"], [RS1, RS2])]}, "client": "derive-agent"}
    ).encode()
    response = send(client.signed("POST", server.base_url + "/gnap", body))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def derive(server, rs, existing, access):
    # The RFC's request shape: an ordinary grant request, the RS's own id in `client`, signed with its key.
    body = json.dumps({"access_token": {"access": access}, "client": "rs1", "existing_access_token": existing}).encode()
    return send(rs.signed("POST", server.base_url + "/gnap", body))


def introspect(server, rs, token):
    body = json.dumps({"access_token": token, "proof": "httpsig", "resource_server": "rs2"}).encode()
    response = send(rs.signed("POST", server.base_url + "/gnap/introspect", body))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_derived_token_narrows_and_dies_with_its_parent(server, parties):
    parent = parent_token(server, parties["client"])
    response = derive(server, parties["rs1"], parent["value"], [photo_api(["read"], [RS2])])
    assert response.status_code == 200, response.text
    grant = response.json()
    assert "continue" not in grant, "nothing to continue: no person is asked"
    derived = grant["access_token"]
    assert derived["access"] == [photo_api(["read"], [RS2])]
    answer = introspect(server, parties["rs2"], derived["value"])
    assert answer["active"] and answer["instance_id"] == "rs1" and answer["sub"] == "derive-agent"

    manage = parent["manage"]
    revoked = send(parties["client"].signed("DELETE", manage["uri"], token=manage["access_token"]["value"]))
    assert revoked.status_code == 204, revoked.text
    assert introspect(server, parties["rs2"], derived["value"]) == {"active": False}


def test_wider_than_the_parent_is_request_denied(server, parties):
    parent = parent_token(server, parties["client"])
    for access in (
        [photo_api(["read", "delete"], [RS2])],
        [photo_api(["read"], ["https://rs3.example/"])],
        [{"type": "photo-api", "actions": ["read"]}],
        ["photo-api"],
    ):
        response = derive(server, parties["rs1"], parent["value"], access)
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "request_denied"


def test_another_key_or_a_replay_is_invalid_client(server, parties):
    parent = parent_token(server, parties["client"])
    impostor = derive(server, Client("derive-rs1"), parent["value"], [photo_api(["read"], [RS2])])
    assert impostor.status_code == 401 and impostor.json()["error"]["code"] == "invalid_client"
    body = json.dumps(
        {"access_token": {"access": [photo_api(["read"], [RS2])]}, "client": "rs1", "existing_access_token": parent["value"]}
    ).encode()
    prepared = parties["rs1"].signed("POST", server.base_url + "/gnap", body)
    assert send(prepared).status_code == 200
    replayed = send(prepared)
    assert replayed.status_code == 401 and replayed.json()["error"]["code"] == "invalid_client"
