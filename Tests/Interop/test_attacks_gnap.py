"""The attack catalogue, GNAP part (RFC 9635, RFC 9421 under the GNAP profile, RFC 9767): one named test per
attack against a real `tessera serve`, each asserting the GNAP error code (docs/gnap.md "Errors"), and each
preceded by the legitimate request succeeding so a refusal cannot be an outage. docs/SECURITY.md lists them."""
import datetime
import json
import os

import pytest
import requests
from conftest import TesseraServer
from test_gnap_interop import Client, b64u, grant_body, send


@pytest.fixture(scope="module")
def agent():
    return Client("attack-agent-1")


@pytest.fixture(scope="module")
def other_agent():
    return Client("attack-agent-2")


@pytest.fixture(scope="module")
def rs_key():
    return Client("attack-rs-1")


@pytest.fixture(scope="module")
def gnap_server(agent, other_agent, rs_key):
    config = f"""
gnap:
  continuation_wait: 0
  instances:
    - id: attack-agent
      display_name: Attack agent
      key: {{"proof": "httpsig", "jwk": {json.dumps(agent.jwk)}}}
      allowed_access: [photo-api, billing]
    - id: attack-agent-2
      key: {{"proof": "httpsig", "jwk": {json.dumps(other_agent.jwk)}}}
      allowed_access: [photo-api, billing]
  resource_servers:
    - id: attack-rs
      key: {{"proof": "httpsig", "jwk": {json.dumps(rs_key.jwk)}}}
      audiences: ["https://rs.example/"]
"""
    server = TesseraServer(config)
    yield server
    server.stop()


def gnap_error(response, status, code):
    assert response.status_code == status, (response.status_code, response.text)
    error = response.json()["error"]
    assert (error["code"] if isinstance(error, dict) else error) == code, response.text
    assert response.headers.get("Cache-Control") == "no-store"


def sign(client, method, url, body=None, token=None, covered=None, tag="gnap", created=None, nonce="fresh"):
    headers = {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token is not None:
        headers["Authorization"] = "GNAP " + token
    if covered is None:
        covered = ["@method", "@target-uri"] + (["authorization"] if token is not None else [])
    request = requests.Request(method, url, headers=headers, data=body).prepare()
    client.signer.sign(
        request,
        key_id=client.kid,
        created=created,
        nonce=b64u(os.urandom(16)) if nonce == "fresh" else nonce,
        tag=tag,
        label="sig1",
        include_alg=False,
        covered_component_ids=tuple(covered),
        body=body,
    )
    return request


def pending_grant(server):
    stranger = Client("attack-stranger-" + b64u(os.urandom(4)))
    response = send(stranger.signed("POST", server.base_url + "/gnap", grant_body(stranger)))
    assert response.status_code == 200, response.text
    return stranger, response.json()["continue"]


def test_legitimate_grant_request_is_accepted(gnap_server, agent):
    response = send(agent.signed("POST", gnap_server.base_url + "/gnap", grant_body(agent)))
    assert response.status_code == 200, response.text
    assert len(response.json()["access_token"]) == 2


# MARK: - Key proofs (RFC 9635 §7.3.1, RFC 9421 §3.2)


def test_unsigned_grant_request_is_refused(gnap_server, agent):
    response = requests.post(gnap_server.base_url + "/gnap", data=grant_body(agent), headers={"Content-Type": "application/json"}, timeout=10)
    gnap_error(response, 401, "invalid_client")


def test_signature_stripped_from_a_signed_request_is_refused(gnap_server, agent):
    prepared = sign(agent, "POST", gnap_server.base_url + "/gnap", grant_body(agent))
    del prepared.headers["Signature"]
    gnap_error(send(prepared), 401, "invalid_client")


def test_http_signature_nonce_replay_is_refused(gnap_server, agent):
    prepared = sign(agent, "POST", gnap_server.base_url + "/gnap", grant_body(agent))
    assert send(prepared).status_code == 200
    gnap_error(send(prepared), 401, "invalid_client")


def test_http_signature_without_nonce_is_single_use(gnap_server, agent):
    # Issue 23: without a nonce the same signed request was accepted twice (two grants). The nonce is only a
    # SHOULD in RFC 9635 §7.3.1, so nonce-less requests stay accepted once: their signature base is single use.
    prepared = sign(agent, "POST", gnap_server.base_url + "/gnap", grant_body(agent), nonce=None)
    assert "nonce" not in prepared.headers["Signature-Input"]
    assert send(prepared).status_code == 200
    gnap_error(send(prepared), 401, "invalid_client")


def test_signature_without_gnap_tag_is_refused(gnap_server, agent):
    for tag in [None, "not-gnap"]:
        gnap_error(send(sign(agent, "POST", gnap_server.base_url + "/gnap", grant_body(agent), tag=tag)), 401, "invalid_client")


def test_signature_not_covering_target_uri_is_refused(gnap_server, agent):
    prepared = sign(agent, "POST", gnap_server.base_url + "/gnap", grant_body(agent), covered=["@method"])
    gnap_error(send(prepared), 401, "invalid_client")


def test_signature_for_another_uri_is_refused(gnap_server, agent):
    """A signature made for one AS URL and replayed to another (the `@target-uri` is checked against the issuer)."""
    prepared = sign(agent, "POST", "http://as.attacker.example/gnap", grant_body(agent))
    prepared.url = gnap_server.base_url + "/gnap"
    gnap_error(send(prepared), 401, "invalid_client")


def test_body_swapped_under_a_valid_signature_is_refused(gnap_server, agent):
    prepared = sign(agent, "POST", gnap_server.base_url + "/gnap", grant_body(agent))
    widened = json.loads(grant_body(agent))
    widened["access_token"][0]["access"].append({"type": "admin-api", "actions": ["*"]})
    prepared.body = json.dumps(widened).encode()
    prepared.headers["Content-Length"] = str(len(prepared.body))
    gnap_error(send(prepared), 401, "invalid_client")


def test_stale_signature_is_refused(gnap_server, agent):
    created = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    gnap_error(send(sign(agent, "POST", gnap_server.base_url + "/gnap", grant_body(agent), created=created)), 401, "invalid_client")


def test_signature_from_the_future_is_refused(gnap_server, agent):
    created = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=10)
    gnap_error(send(sign(agent, "POST", gnap_server.base_url + "/gnap", grant_body(agent), created=created)), 401, "invalid_client")


def test_impostor_key_with_registered_kid_is_refused(gnap_server, agent):
    impostor = Client(agent.kid)
    gnap_error(send(impostor.signed("POST", gnap_server.base_url + "/gnap", grant_body(agent))), 401, "invalid_client")


# MARK: - Continuation (RFC 9635 §5)


def test_continuation_token_replay_is_refused(gnap_server):
    stranger, cont = pending_grant(gnap_server)
    first = send(stranger.signed("POST", cont["uri"], token=cont["access_token"]["value"]))
    assert first.status_code == 200, first.text
    replay = send(stranger.signed("POST", cont["uri"], token=cont["access_token"]["value"]))
    gnap_error(replay, 400, "invalid_continuation")


def test_continuation_by_another_key_is_refused(gnap_server, agent):
    """The continuation token is bound to the key that started the grant (RFC 9635 §5): neither an unknown key nor
    another registered, trusted instance can use it."""
    _, cont = pending_grant(gnap_server)
    thief = Client("attack-thief")
    gnap_error(send(thief.signed("POST", cont["uri"], token=cont["access_token"]["value"])), 401, "invalid_client")
    gnap_error(send(agent.signed("POST", cont["uri"], token=cont["access_token"]["value"])), 401, "invalid_client")


def test_continuation_token_on_another_grant_is_refused(gnap_server):
    stranger, cont = pending_grant(gnap_server)
    _, other = pending_grant(gnap_server)
    gnap_error(send(stranger.signed("POST", other["uri"], token=cont["access_token"]["value"])), 400, "invalid_continuation")


def test_continuation_without_token_is_refused(gnap_server):
    stranger, cont = pending_grant(gnap_server)
    gnap_error(send(stranger.signed("POST", cont["uri"])), 400, "invalid_continuation")


# MARK: - Token management (RFC 9635 §6)


def test_management_token_replay_after_rotation_is_refused(gnap_server, agent):
    grant = send(agent.signed("POST", gnap_server.base_url + "/gnap", grant_body(agent))).json()
    managed = next(t for t in grant["access_token"] if "manage" in t)
    manage = managed["manage"]
    rotated = send(agent.signed("POST", manage["uri"], token=manage["access_token"]["value"]))
    assert rotated.status_code == 200, rotated.text
    replay = send(agent.signed("POST", manage["uri"], token=manage["access_token"]["value"]))
    gnap_error(replay, 400, "invalid_rotation")


def test_management_by_another_key_is_refused(gnap_server, agent, other_agent):
    grant = send(agent.signed("POST", gnap_server.base_url + "/gnap", grant_body(agent))).json()
    manage = next(t for t in grant["access_token"] if "manage" in t)["manage"]
    thief = Client("attack-thief-2")
    gnap_error(send(thief.signed("POST", manage["uri"], token=manage["access_token"]["value"])), 401, "invalid_client")
    gnap_error(send(other_agent.signed("POST", manage["uri"], token=manage["access_token"]["value"])), 401, "invalid_client")
    # The rightful holder can still rotate.
    assert send(agent.signed("POST", manage["uri"], token=manage["access_token"]["value"])).status_code == 200


# MARK: - Grant contents


def test_bearer_flag_for_an_instance_without_allow_bearer_is_refused(gnap_server, agent):
    body = json.loads(grant_body(agent))
    body["access_token"][0]["flags"] = ["bearer"]
    gnap_error(send(agent.signed("POST", gnap_server.base_url + "/gnap", json.dumps(body).encode())), 400, "invalid_flag")


def test_rights_outside_the_allow_list_are_not_granted_at_once(gnap_server, agent):
    body = json.loads(grant_body(agent))
    body["access_token"][0]["access"] = [{"type": "admin-api", "actions": ["*"]}]
    response = send(agent.signed("POST", gnap_server.base_url + "/gnap", json.dumps(body).encode()))
    assert response.status_code == 200, response.text
    assert "access_token" not in response.json() and "continue" in response.json()


def test_malformed_and_deeply_nested_grant_json_is_refused(gnap_server, agent):
    nested = b'{"access_token":{"access":[' + b"[" * 5000 + b"]" * 5000 + b"]}}"
    for body in [b"{", b"[]", b'{"access_token":"x"}', nested]:
        gnap_error(send(agent.signed("POST", gnap_server.base_url + "/gnap", body)), 400, "invalid_request")


def test_sql_injection_through_stored_grant_fields_is_data(gnap_server, agent):
    """Display name, label, access type and identifier are stored with the grant; SQL in them stays data. A right's
    type and actions hold no white space (docs/SECURITY.md, "A right is spelled without white space"), so theirs is
    written with SQL comments instead of spaces."""
    payload = "x'); DROP TABLE grants; --"
    spelled = "x');DROP/**/TABLE/**/grants;--"
    stranger = Client("attack-sql-" + b64u(os.urandom(4)))
    body = json.loads(grant_body(stranger))
    body["client"]["display"]["name"] = payload
    body["access_token"][0]["label"] = payload
    body["access_token"][0]["access"] = [{"type": spelled, "actions": [spelled], "identifier": payload}]
    response = send(stranger.signed("POST", gnap_server.base_url + "/gnap", json.dumps(body).encode()))
    assert response.status_code == 200, response.text
    cont = response.json()["continue"]
    polled = send(stranger.signed("POST", cont["uri"], token=cont["access_token"]["value"]))
    assert polled.status_code == 200, polled.text
    # The grant table is intact: a new grant still works.
    assert send(agent.signed("POST", gnap_server.base_url + "/gnap", grant_body(agent))).status_code == 200


# MARK: - Introspection (RFC 9767 §3.3)


def test_introspection_by_a_client_instance_is_refused(gnap_server, agent):
    grant = send(agent.signed("POST", gnap_server.base_url + "/gnap", grant_body(agent))).json()
    token = grant["access_token"][0]["value"]
    # The client instance names the registered RS but signs with its own key.
    body = json.dumps({"access_token": token, "resource_server": "attack-rs"}).encode()
    gnap_error(send(agent.signed("POST", gnap_server.base_url + "/gnap/introspect", body)), 400, "invalid_resource_server")
    # And naming itself does not make it a resource server.
    body = json.dumps({"access_token": token, "resource_server": "attack-agent"}).encode()
    gnap_error(send(agent.signed("POST", gnap_server.base_url + "/gnap/introspect", body)), 400, "invalid_resource_server")


def test_introspection_of_a_forged_token_is_inactive(gnap_server, rs_key):
    forged = "eyJhbGciOiJub25lIn0." + b64u(json.dumps({"aud": "https://rs.example/", "sub": "x"}).encode()) + "."
    response = send(rs_key.signed("POST", gnap_server.base_url + "/gnap/introspect", json.dumps({"access_token": forged, "resource_server": "attack-rs"}).encode()))
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False


# MARK: - Resource limits (docs/ROBUSTNESS.md)


def test_too_many_access_rights_in_one_token_are_refused(gnap_server, agent):
    body = json.loads(grant_body(agent))
    body["access_token"][0]["access"] = [{"type": "photo-api", "actions": ["read"], "identifier": str(i)} for i in range(51)]
    gnap_error(send(agent.signed("POST", gnap_server.base_url + "/gnap", json.dumps(body).encode())), 400, "invalid_request")
    body["access_token"][0]["access"] = body["access_token"][0]["access"][:50]
    assert send(agent.signed("POST", gnap_server.base_url + "/gnap", json.dumps(body).encode())).status_code == 200


def test_too_many_tokens_in_one_request_are_refused(gnap_server, agent):
    body = json.loads(grant_body(agent))
    body["access_token"] = [{"label": f"t{i}", "access": ["photo-api"]} for i in range(200)]
    gnap_error(send(agent.signed("POST", gnap_server.base_url + "/gnap", json.dumps(body).encode())), 400, "invalid_request")


def test_oversized_grant_request_body_is_refused(gnap_server, agent):
    body = json.loads(grant_body(agent))
    body["client"]["display"]["name"] = "x" * (70 * 1024)
    gnap_error(send(agent.signed("POST", gnap_server.base_url + "/gnap", json.dumps(body).encode())), 400, "invalid_request")


def test_oversized_chunked_grant_request_is_refused(gnap_server, agent):
    def chunks():
        for _ in range(200):
            yield b"a" * 65536

    response = requests.post(gnap_server.base_url + "/gnap", data=chunks(), headers={"Content-Type": "application/json"}, timeout=30)
    gnap_error(response, 400, "invalid_request")


def test_too_many_sub_id_formats_are_refused(gnap_server, agent):
    body = json.loads(grant_body(agent))
    body["subject"] = {"sub_id_formats": [f"format-{i}" for i in range(21)]}
    gnap_error(send(agent.signed("POST", gnap_server.base_url + "/gnap", json.dumps(body).encode())), 400, "invalid_request")


def test_signature_input_with_too_many_members_is_refused(gnap_server, agent):
    """1,025+ Structured Field members (StructuredFieldParser.maximumMembers): refused before any crypto."""
    prepared = sign(agent, "POST", gnap_server.base_url + "/gnap", grant_body(agent))
    padding = ", ".join(f"x{i}=()" for i in range(1100))
    prepared.headers["Signature-Input"] = padding + ", " + prepared.headers["Signature-Input"]
    gnap_error(send(prepared), 401, "invalid_client")
