"""Client ID Metadata Documents and client challenges against a real `tessera serve`, with the
client side written independently in Python: documents served by a plain http.server on loopback,
client assertions, attestations and user mandates signed by joserfc, tokens verified by joserfc.
Also the SSRF catalogue for metadata document URLs (docs/client-challenge.md)."""
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from conftest import TesseraServer

ISSUER = "https://as.challenge.interop"
ATTESTATION = "urn:tessera:params:client-challenge:client-attestation"
MANDATE = "urn:tessera:params:client-challenge:user-mandate"
HOME_AS = "https://home-as.interop"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class DocumentServer:
    """Serves whatever a test puts in `replies` ({path: (status, headers, body)}), counting fetches."""

    def __init__(self):
        self.replies = {}
        self.fetches = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.fetches[self.path] = outer.fetches.get(self.path, 0) + 1
                status, headers, body = outer.replies.get(self.path, (404, {}, b""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def put(self, path, document, status=200, headers=None):
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.replies[path] = (status, headers or {"Content-Type": "application/json"}, body)

    def stop(self):
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def home_key():
    return ECKey.generate_key("P-256", parameters={"kid": "home-1", "alg": "ES256"}, private=True)


@pytest.fixture(scope="module")
def documents():
    server = DocumentServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tessera(home_key):
    home_jwks = json.dumps({"keys": [home_key.as_dict(private=False)]})
    server = TesseraServer(
        f"""
issuer: {ISSUER}
outbound_network:
  allowed_networks: ["127.0.0.1/32"]
client_id_metadata_documents:
  enabled: true
  allow_http: true
  allowed_grant_types: [client_credentials]
  allowed_scopes: [payments, read]
authorization_details_types:
  - type: payment_initiation
    required_members: [instructedAmount]
client_challenges:
  policy: |
    @challenge("{ATTESTATION}")
    forbid(principal, action, resource) when {{ context.metadata_document_client && context.client_age_seconds < 600 }};
    @challenge("{MANDATE}")
    forbid(principal, action, resource) when {{ context.largest_amount > 1000 }};
  mandate_issuers:
    - issuer: {HOME_AS}
      jwks: {home_jwks}
"""
    )
    yield server
    server.stop()


class Agent:
    def __init__(self, documents, path, supports=True, **overrides):
        self.key = ECKey.generate_key("P-256", parameters={"kid": "agent-1", "alg": "ES256"}, private=True)
        self.id = documents.base + path
        document = {
            "client_id": self.id,
            "client_name": "Python agent",
            "token_endpoint_auth_method": "private_key_jwt",
            "grant_types": ["client_credentials"],
            "scope": "payments read",
            "jwks": {"keys": [self.key.as_dict(private=False)]},
            "insufficient_client_authorization_supported": supports,
        }
        document.update(overrides)
        documents.put(path, document)

    def sign(self, claims):
        return jwt.encode({"alg": "ES256", "kid": "agent-1"}, claims, self.key)

    def assertion(self):
        now = int(time.time())
        return self.sign({"iss": self.id, "sub": self.id, "aud": ISSUER, "jti": str(uuid.uuid4()), "iat": now, "exp": now + 60})

    def attestation(self, nonce):
        now = int(time.time())
        return self.sign({"iss": self.id, "sub": self.id, "aud": ISSUER, "jti": str(uuid.uuid4()), "nonce": nonce, "iat": now, "exp": now + 60})

    def token(self, tessera, scope="payments", **extra):
        form = {
            "grant_type": "client_credentials",
            "scope": scope,
            "client_id": self.id,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(),
            **extra,
        }
        return requests.post(tessera.base_url + "/token", data=form, timeout=10)


def verify_access_token(tessera, token):
    keys = KeySet.import_key_set(requests.get(tessera.base_url + "/jwks", timeout=10).json())
    return jwt.decode(token, keys, algorithms=["ES256"]).claims


def test_metadata_advertises_cimd(tessera):
    document = requests.get(tessera.base_url + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert document["client_id_metadata_document_supported"] is True


def test_first_seen_agent_is_challenged_then_attested_token_verifies_with_joserfc(tessera, documents):
    agent = Agent(documents, "/agents/first.json")
    challenged = agent.token(tessera)
    assert challenged.status_code == 403, challenged.text
    assert challenged.headers["Cache-Control"] == "no-store"
    body = challenged.json()
    assert body["error"] == "insufficient_client_authorization"
    requirement = body["authorization_requirement"]
    assert requirement["type"] == ATTESTATION
    assert requirement["challenge_session"] == body["challenge_session"]
    assert 0 < body["expires_in"] <= 300

    retry = agent.token(tessera, challenge_session=body["challenge_session"], challenge_evidence=agent.attestation(requirement["nonce"]))
    assert retry.status_code == 200, retry.text
    claims = verify_access_token(tessera, retry.json()["access_token"])
    assert claims["client_id"] == agent.id and claims["iss"] == ISSUER and claims["scope"] == "payments"

    replay = agent.token(tessera, challenge_session=body["challenge_session"], challenge_evidence=agent.attestation(requirement["nonce"]))
    assert replay.status_code == 400 and replay.json()["error"] == "unauthorized_client"


def test_a_stolen_session_is_useless_to_another_agent(tessera, documents):
    victim = Agent(documents, "/agents/victim.json")
    thief = Agent(documents, "/agents/thief.json")
    body = victim.token(tessera).json()
    stolen = thief.token(tessera, challenge_session=body["challenge_session"], challenge_evidence=thief.attestation(body["authorization_requirement"]["nonce"]))
    assert stolen.status_code == 400
    assert "another client" in stolen.json()["error_description"]
    # The thief's attempt spent nothing: the victim's own retry still succeeds.
    retry = victim.token(tessera, challenge_session=body["challenge_session"], challenge_evidence=victim.attestation(body["authorization_requirement"]["nonce"]))
    assert retry.status_code == 200, retry.text


def test_high_value_payment_needs_a_mandate_from_the_home_as(tessera, documents, home_key):
    agent = Agent(documents, "/agents/payer.json")
    details = json.dumps([{"type": "payment_initiation", "instructedAmount": {"currency": "EUR", "amount": "5000.00"}}])
    first = agent.token(tessera, authorization_details=details).json()
    assert first["authorization_requirement"]["type"] == ATTESTATION
    second = agent.token(
        tessera, authorization_details=details,
        challenge_session=first["challenge_session"], challenge_evidence=agent.attestation(first["authorization_requirement"]["nonce"]),
    )
    assert second.status_code == 403, second.text
    requirement = second.json()["authorization_requirement"]
    assert requirement["type"] == MANDATE and requirement["issuers"] == [HOME_AS]
    now = int(time.time())
    mandate = jwt.encode(
        {"alg": "ES256", "kid": "home-1"},
        {"iss": HOME_AS, "sub": "alice", "aud": ISSUER, "client_id": agent.id, "scope": "payments",
         "authorization_details": json.loads(details),
         "nonce": requirement["nonce"], "jti": str(uuid.uuid4()), "iat": now, "exp": now + 60},
        home_key,
    )
    # The requirement shows the details to be mandated (review round 10, H3).
    assert requirement["authorization_details"] == json.loads(details)
    third = agent.token(tessera, authorization_details=details, challenge_session=second.json()["challenge_session"], challenge_evidence=mandate)
    assert third.status_code == 200, third.text


def _through_attestation(agent, tessera, details):
    """Answers the first-seen attestation challenge and returns the mandate challenge that follows."""
    first = agent.token(tessera, authorization_details=details).json()
    assert first["authorization_requirement"]["type"] == ATTESTATION, first
    second = agent.token(
        tessera, authorization_details=details,
        challenge_session=first["challenge_session"], challenge_evidence=agent.attestation(first["authorization_requirement"]["nonce"]),
    )
    assert second.status_code == 403, second.text
    assert second.json()["authorization_requirement"]["type"] == MANDATE
    return second.json()


@pytest.mark.parametrize("mandated", [[{"type": "payment_initiation", "instructedAmount": {"currency": "EUR", "amount": "10"}}], None])
def test_a_mandate_for_less_does_not_clear_a_large_payment(tessera, documents, home_key, mandated):
    """Review round 10, H3: a mandate for EUR 10 (or one naming no details) answered a EUR 900,000 challenge."""
    agent = Agent(documents, f"/agents/cheap-{uuid.uuid4().hex[:8]}.json")
    details = json.dumps([{"type": "payment_initiation", "instructedAmount": {"currency": "EUR", "amount": "900000"}}])
    challenge = _through_attestation(agent, tessera, details)
    assert challenge["authorization_requirement"]["authorization_details"] == json.loads(details)
    now = int(time.time())
    claims = {"iss": HOME_AS, "sub": "alice", "aud": ISSUER, "client_id": agent.id, "scope": "payments",
              "nonce": challenge["authorization_requirement"]["nonce"], "jti": str(uuid.uuid4()), "iat": now, "exp": now + 60}
    if mandated is not None:
        claims["authorization_details"] = mandated
    mandate = jwt.encode({"alg": "ES256", "kid": "home-1"}, claims, home_key)
    refused = agent.token(tessera, authorization_details=details, challenge_session=challenge["challenge_session"], challenge_evidence=mandate)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "unauthorized_client"


@pytest.mark.parametrize("amount", ["5000 ", "5,000.00", "\uff15\uff10\uff10\uff10"])
def test_an_unreadable_amount_is_challenged(tessera, documents, amount):
    """Review round 10, H4: amounts a payment API may read as 5000 are not read as 0."""
    agent = Agent(documents, f"/agents/odd-{uuid.uuid4().hex[:8]}.json")
    details = json.dumps([{"type": "payment_initiation", "instructedAmount": {"currency": "EUR", "amount": amount}}])
    _through_attestation(agent, tessera, details)


def test_agent_without_challenge_support_is_unauthorized(tessera, documents):
    agent = Agent(documents, "/agents/plain.json", supports=False)
    response = agent.token(tessera)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


@pytest.mark.parametrize(
    "path,reply,fragment",
    [
        ("/bad/wrong-id.json", (200, {"client_id": "https://elsewhere.example/x.json", "token_endpoint_auth_method": "none"}), "client_id"),
        ("/bad/secret.json", (200, None), "shared secrets"),
        ("/bad/server-error.json", (500, {"error": "boom"}), "HTTP 500"),
        ("/bad/not-json.json", (200, b"<html>hello</html>"), "not a JSON object"),
        ("/bad/huge.json", (200, b'{"client_id": "' + b"x" * 6000 + b'"}'), "larger than"),
    ],
)
def test_unusable_documents_are_refused(tessera, documents, path, reply, fragment):
    status, document = reply
    if document is None:
        document = {"client_id": documents.base + path, "token_endpoint_auth_method": "client_secret_post"}
    documents.put(path, document, status=status)
    agent_key = ECKey.generate_key("P-256", private=True)
    now = int(time.time())
    client_id = documents.base + path
    assertion = jwt.encode({"alg": "ES256"}, {"iss": client_id, "sub": client_id, "aud": ISSUER, "jti": str(uuid.uuid4()), "iat": now, "exp": now + 60}, agent_key)
    response = requests.post(
        tessera.base_url + "/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion},
        timeout=10,
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    assert fragment in response.json()["error_description"]


def test_a_redirecting_document_is_not_followed(tessera, documents):
    target = Agent(documents, "/agents/target.json")
    documents.replies["/bad/redirect.json"] = (302, {"Location": target.id}, b"")
    client_id = documents.base + "/bad/redirect.json"
    response = requests.post(tessera.base_url + "/token", data={"grant_type": "client_credentials", "client_id": client_id}, timeout=10)
    assert response.status_code == 401
    assert "redirect" in response.json()["error_description"]
    assert documents.fetches.get("/agents/target.json", 0) == 0


@pytest.mark.parametrize(
    "client_id",
    [
        "https://127.0.0.2/agent.json",          # loopback outside the allow-listed /32
        "https://169.254.169.254/latest/meta-data/iam.json",  # cloud metadata service
        "https://[::1]/agent.json",
        "https://[::ffff:10.0.0.1]/agent.json",  # IPv4-mapped private address
        "https://0x7f000002/agent.json",         # hexadecimal loopback, resolved by getaddrinfo
        "https://2130706434/agent.json",         # decimal 127.0.0.2
        "https://10.1.2.3/agent.json",
        "https://192.168.0.1/agent.json",
        "https://[fd00::1]/agent.json",
    ],
)
def test_ssrf_targets_are_refused_before_any_connection(tessera, client_id):
    response = requests.post(tessera.base_url + "/token", data={"grant_type": "client_credentials", "client_id": client_id}, timeout=10)
    assert response.status_code == 401, response.text
    description = response.json()["error_description"]
    assert "special-use" in description or "could not be resolved" in description, description


@pytest.mark.parametrize(
    "client_id",
    [
        "https://client.example/a/../b.json",
        "https://client.example/a/%2e%2e/b.json",
        "https://client.example/x.json#frag",
        "https://user:pw@client.example/x.json",
        "https://client.example",
        "ftp://client.example/x.json",
    ],
)
def test_malformed_client_id_urls_are_refused_without_fetching(tessera, client_id):
    response = requests.post(tessera.base_url + "/token", data={"grant_type": "client_credentials", "client_id": client_id}, timeout=10)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
IDP = "https://idp.challenge.interop"


def test_token_exchange_by_an_agent_needs_the_users_current_mandate(documents, home_key):
    """The seed's agent case: an agent met on the fly exchanges the user's ID token (enterprise SSO)
    for an access token; the AS's policy wants the user's home AS to confirm the mandate first."""
    idp_key = ECKey.generate_key("P-256", parameters={"kid": "idp-1", "alg": "ES256"}, private=True)
    agent = Agent(documents, "/agents/exchanger.json", grant_types=["client_credentials", EXCHANGE])
    home_jwks = json.dumps({"keys": [home_key.as_dict(private=False)]})
    idp_jwks = json.dumps({"keys": [idp_key.as_dict(private=False)]})
    server = TesseraServer(
        f"""
issuer: {ISSUER}
outbound_network:
  allowed_networks: ["127.0.0.1/32"]
client_id_metadata_documents:
  enabled: true
  allow_http: true
  allowed_grant_types: ["{EXCHANGE}"]
chaining:
  subject_token_issuers:
    - issuer: {IDP}
      jwks: '{idp_jwks}'
      audiences: ["{agent.id}"]
      algorithms: [ES256]
client_challenges:
  policy: |
    @challenge("{MANDATE}")
    forbid(principal, action, resource) when {{ context.grant_type == "{EXCHANGE}" && context.metadata_document_client }};
  mandate_issuers:
    - issuer: {HOME_AS}
      jwks: {home_jwks}
"""
    )
    try:
        now = int(time.time())
        id_token = jwt.encode(
            {"alg": "ES256", "kid": "idp-1"},
            {"iss": IDP, "sub": "alice", "aud": agent.id, "azp": agent.id, "iat": now, "exp": now + 300},
            idp_key,
        )

        def exchange(**extra):
            form = {
                "grant_type": EXCHANGE, "subject_token": id_token, "subject_token_type": ID_TOKEN,
                "client_id": agent.id, "client_assertion_type": ASSERTION_TYPE, "client_assertion": agent.assertion(), **extra,
            }
            return requests.post(server.base_url + "/token", data=form, timeout=10)

        challenged = exchange()
        assert challenged.status_code == 403, challenged.text
        body = challenged.json()
        assert body["authorization_requirement"]["type"] == MANDATE
        # A mandate that names another client is refused (the session stays open until evidence verifies).
        mandate_claims = {"iss": HOME_AS, "sub": "alice", "aud": ISSUER, "client_id": agent.id,
                          "nonce": body["authorization_requirement"]["nonce"], "iat": now, "exp": now + 60}
        wrong = jwt.encode({"alg": "ES256", "kid": "home-1"}, {**mandate_claims, "client_id": "someone-else", "jti": str(uuid.uuid4())}, home_key)
        refused = exchange(challenge_session=body["challenge_session"], challenge_evidence=wrong)
        assert refused.status_code == 400 and "does not name this client" in refused.json()["error_description"]

        body = exchange().json()
        good = jwt.encode({"alg": "ES256", "kid": "home-1"},
                          {**mandate_claims, "nonce": body["authorization_requirement"]["nonce"], "jti": str(uuid.uuid4())}, home_key)
        issued = exchange(challenge_session=body["challenge_session"], challenge_evidence=good)
        assert issued.status_code == 200, issued.text
        claims = verify_access_token(server, issued.json()["access_token"])
        assert claims["sub"] == "alice" and claims["client_id"] == agent.id
    finally:
        server.stop()
