"""Cedar policy sets that are cheap to send and deep to walk, through the real server.

A client puts a Cedar policy set in RAR `authorization_details` (draft-cecchetti-oauth-rar-cedar
§2) or in a GNAP `access` right (RFC 9635 §8); the AS parses it, validates it against the type's
schema, narrows and formats it. The parser accepts operator and attribute chains thousands of
operands long, and every recursive walker over the tree (validator, formatter, explainer, JSON
writer) then recursed once per operand: a ~5 KB body crashed the server with a stack overflow.
(A flat `&&`/`||` chain is one n-ary node, walked by loops: granted, not refused.)

The AS must answer, never crash: RFC 9396 §5 `invalid_authorization_details` for OAuth,
RFC 9635 §3.6 `invalid_request` for GNAP, with a description saying what is wrong.
"""

import json
import os

import pytest
import requests
from conftest import REPO_ROOT, TesseraServer, tessera_binary
from test_gnap_interop import Client, send

pytestmark = pytest.mark.skipif(not os.path.exists(tessera_binary()), reason=f"tessera not built ({tessera_binary()})")

EXAMPLE = REPO_ROOT / "Examples" / "BankAPI"
AUTH = ("fintech", "fintech-secret-fintech-secret-0123456789")
WEB = ("webapp", "webapp-secret-webapp-secret-0123456789ab")
AGENT = Client("cedar-depth-agent")
SCOPE = 'permit (principal, action == BankA::Action::"initiate", resource is Creditor) when { %s };'
N = 2500

# Each form is 2,500 operands long: what the parser's chain limit let through before.
FORMS = {
    "plus-chain": " + ".join(["1"] * N) + " > 0",
    "attribute-chain": "context" + ".a" * N + " == 1",
    "eq-chain": " == ".join(["1"] * N),
    "method-chain": "context.remittanceInformationUnstructured" + ".isEmpty()" * (N - 2),
    "index-chain": "context" + '["a"]' * N + " == 1",
}


@pytest.fixture
def server():
    # One server per test: a crash in one form must not hide what the others do.
    server = TesseraServer(
        f"""
clients:
  - id: fintech
    auth: client_secret_basic
    secret: {AUTH[1]}
    grant_types: [client_credentials]
    scopes: ""
  - id: webapp
    auth: client_secret_basic
    secret: {WEB[1]}
    grant_types: [authorization_code]
    scopes: ""
    redirect_uris: ["https://app.example/cb"]
gnap:
  instances:
    - id: fintech
      display_name: Fintech agent
      key: {{"proof": "httpsig", "jwk": {json.dumps(AGENT.jwk)}}}
authorization_details_types:
  - type: payment_initiation
    cedar:
      schema_file: {EXAMPLE / "bank.cedarschema"}
      policy_file: {EXAMPLE / "delegation.cedar"}
"""
    )
    yield server
    server.stop()


def alive(server):
    assert server.process.poll() is None, server.log_path.read_text()[-2000:]
    metadata = requests.get(server.base_url + "/.well-known/oauth-authorization-server", timeout=10)
    assert metadata.status_code == 200


def cedar(body):
    return {"type": "payment_initiation", "rarFormat": "cedar", "policySet": SCOPE % body}


@pytest.mark.parametrize("form", FORMS)
def test_oauth_deep_cedar_is_refused_not_a_crash(server, form):
    details = json.dumps([cedar(FORMS[form])])
    assert len(details) < 40_000
    response = requests.post(server.base_url + "/token", auth=AUTH, timeout=60,
                             data={"grant_type": "client_credentials", "authorization_details": details})
    alive(server)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_authorization_details", body
    assert body["error_description"].startswith("authorization_details[0].policySet"), body
    if form != "eq-chain":  # `==` does not chain in Cedar's grammar: that one is a syntax error
        assert "at most 100 are accepted" in body["error_description"], body


@pytest.mark.parametrize("form", ["plus-chain", "attribute-chain", "index-chain"])
def test_par_deep_cedar_is_refused_not_a_crash(server, form):
    # RFC 9126 §2.1: the pushed request is checked as /authorize would check it (the consent
    # page previews what is stored), so the deep policy is refused before anything is stored.
    response = requests.post(server.base_url + "/par", auth=WEB, timeout=60, data={
        "response_type": "code", "client_id": WEB[0], "redirect_uri": "https://app.example/cb",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256",
        "authorization_details": json.dumps([cedar(FORMS[form])])})
    alive(server)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_authorization_details", body
    assert "at most 100 are accepted" in body["error_description"], body


@pytest.mark.parametrize("form", FORMS)
def test_gnap_deep_cedar_is_refused_not_a_crash(server, form):
    request = {"access_token": {"access": [cedar(FORMS[form])]},
               "client": {"key": {"proof": "httpsig", "jwk": AGENT.jwk}}}
    response = send(AGENT.signed("POST", server.base_url + "/gnap", json.dumps(request).encode()))
    alive(server)
    assert response.status_code == 400, (response.status_code, response.text)
    assert response.json()["error"]["code"] == "invalid_request", response.text


def test_chains_within_the_limit_are_still_granted(server):
    # 98 operands (99 levels with the `like`): inside the limit; validated, narrowed, granted.
    body = " && ".join(['context.remittanceInformationUnstructured like "*"'] * 98)
    response = requests.post(server.base_url + "/token", auth=AUTH, timeout=60,
                             data={"grant_type": "client_credentials", "authorization_details": json.dumps([cedar(body)])})
    alive(server)
    assert response.status_code == 200, response.text
    assert response.json()["authorization_details"][0]["policySet"].count(" && ") >= 97


# A flat `&&` or `||` chain is one level of nesting however long, as in the reference's parser (issue 21):
# 2,000 operands are granted, validated, narrowed and formatted, and the server stays up.
FLAT = {
    "and-chain": " && ".join(["true"] * 2000),
    "or-chain": " || ".join(["false"] * 1999 + ["true"]),
}


@pytest.mark.parametrize("form", FLAT)
def test_flat_and_or_chains_are_one_level_and_granted(server, form):
    response = requests.post(server.base_url + "/token", auth=AUTH, timeout=60,
                             data={"grant_type": "client_credentials", "authorization_details": json.dumps([cedar(FLAT[form])])})
    alive(server)
    assert response.status_code == 200, response.text
    operator = " && " if form == "and-chain" else " || "
    assert response.json()["authorization_details"][0]["policySet"].count(operator) >= 1999


# Exactly 100 levels deep, the most the profile accepts: the server validates and formats them.
AT_LIMIT = {
    "plus-chain": " + ".join(["1"] * 99) + " > 0",
    "and-chain": " && ".join(["true"] * 100),
    "or-chain": " || ".join(["false"] * 99 + ["true"]),
    "attribute-chain": "!(context has x) || context" + ".x" * 98,
}


@pytest.mark.parametrize("form", AT_LIMIT)
def test_at_the_limit_the_server_answers(server, form):
    response = requests.post(server.base_url + "/token", auth=AUTH, timeout=60,
                             data={"grant_type": "client_credentials", "authorization_details": json.dumps([cedar(AT_LIMIT[form])])})
    alive(server)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["error"] == "invalid_authorization_details", response.text
