"""RAR with the Cedar profile (seed 003) against the running server, checked with cedarpy 4.12.2:
the granted (narrowed) policy set from a real token response means the same to the reference
engine as to ours (`tessera cedar authorize`) on requests inside and outside the granted bounds."""
import json
import subprocess
import time

import pytest
import requests

from conftest import REPO_ROOT, TesseraServer, tessera_binary

cedarpy = pytest.importorskip("cedarpy")

EXAMPLE = REPO_ROOT / "Examples" / "BankAPI"
USER = "696d28c8-8912-41d2-b182-aa7087323318"
CONFIG = f"""
clients:
  - id: fintech
    auth: client_secret_basic
    secret: fintech-secret-fintech-secret-0123456789
    grant_types: [client_credentials, refresh_token]
    scopes: ""
authorization_details_types:
  - type: payment_initiation
    cedar:
      schema_file: {EXAMPLE / "bank.cedarschema"}
      policy_file: {EXAMPLE / "delegation.cedar"}
      conditions:
        - 'context.instructedAmount.amount.lessThanOrEqual(decimal("1000.00"))'
      valid_for: 3600
"""
AUTH = ("fintech", "fintech-secret-fintech-secret-0123456789")
ENTITIES = [
    {"uid": {"type": "Creditor", "id": "https://example.com/payments"}, "parents": [],
     "attrs": {"creditorName": "Merchant A", "creditorAccount": {"bic": "ABCIDEFFXXX", "iban": "DE02100100109307118603"}}},
    {"uid": {"type": "Creditor", "id": "https://example.com/other"}, "parents": [],
     "attrs": {"creditorName": "Merchant B", "creditorAccount": {"bic": "ABCIDEFFXXX", "iban": "DE89370400440532013000"}}},
]


@pytest.fixture(scope="module")
def server():
    s = TesseraServer(CONFIG)
    yield s
    s.stop()


def _request(action="initiate", amount="123.50", currency="EUR", creditor="https://example.com/payments", user=USER, now=None):
    now = now or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {
        "principal": {"type": "BankA::User", "id": user},
        "action": {"type": "BankA::Action", "id": action},
        "resource": {"type": "Creditor", "id": creditor},
        "context": {
            "instructedAmount": {"currency": currency, "amount": {"__extn": {"fn": "decimal", "arg": amount}}},
            "remittanceInformationUnstructured": "Ref Number Merchant",
            "now": {"__extn": {"fn": "datetime", "arg": now}},
        },
    }


def _ours(policies, request, tmp_path):
    (tmp_path / "p.cedar").write_text(policies)
    (tmp_path / "e.json").write_text(json.dumps(ENTITIES))
    (tmp_path / "r.json").write_text(json.dumps(request))
    result = subprocess.run([tessera_binary(), "cedar", "authorize", "--policies", str(tmp_path / "p.cedar"),
                             "--entities", str(tmp_path / "e.json"), "--request", str(tmp_path / "r.json")],
                            capture_output=True, text=True)
    assert result.returncode in (0, 2), result.stderr
    return "allow" if result.returncode == 0 else "deny"


def _reference(policies, request):
    answer = cedarpy.is_authorized(request, policies, ENTITIES)
    return "allow" if answer.decision == cedarpy.Decision.Allow else "deny"


def _grant(server, details):
    response = requests.post(server.base_url + "/token", auth=AUTH,
                             data={"grant_type": "client_credentials", "authorization_details": details})
    return response


def test_metadata_advertises_the_types(server):
    metadata = requests.get(server.base_url + "/.well-known/oauth-authorization-server").json()
    assert metadata["authorization_details_types_supported"] == ["payment_initiation"]


def test_granted_set_means_the_same_to_cedarpy(server, tmp_path):
    response = _grant(server, (EXAMPLE / "figure2.json").read_text())
    assert response.status_code == 200, response.text
    entry = response.json()["authorization_details"][0]
    assert entry["type"] == "payment_initiation" and entry["rarFormat"] == "cedar"
    granted = entry["policySet"]
    assert "cancel" not in granted and "lessThanOrEqual" in granted and "context.now <" in granted
    # The reference parses our formatter's output as one policy.
    assert len(json.loads(cedarpy.policies_to_json_str(granted))["staticPolicies"]) == 1
    cases = [
        (_request(), "allow"),
        (_request(action="status"), "allow"),
        (_request(action="cancel"), "deny"),
        (_request(amount="123.51"), "deny"),
        (_request(currency="USD"), "deny"),
        (_request(creditor="https://example.com/other"), "deny"),
        (_request(user="mallory"), "deny"),
        (_request(now="2999-01-01T00:00:00Z"), "deny"),
    ]
    for request, expected in cases:
        assert _reference(granted, request) == expected, request
        assert _ours(granted, request, tmp_path) == expected, request


def test_malformed_policy_sets_are_refused_precisely(server):
    def refuse(policy_set):
        response = _grant(server, json.dumps([{"type": "payment_initiation", "rarFormat": "cedar", "policySet": policy_set}]))
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["error"] == "invalid_authorization_details"
        return body["error_description"]

    assert refuse("permit (\n  principal,\n  action ==\n);").startswith(
        "authorization_details[0].policySet has a Cedar syntax error at line 4")
    assert "does not validate against the schema" in refuse(
        'permit (principal, action == BankA::Action::"initiate", resource == Unknown::"x");')
    assert "template slots cannot be granted" in refuse(
        'permit (principal == ?principal, action == BankA::Action::"initiate", resource);')
    assert refuse("") == "authorization_details[0].policySet holds no policy"
