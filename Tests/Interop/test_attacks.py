"""The attack catalogue: one named test per attack, run against a real `tessera serve`, grouped by area.

Each test sends the attack and asserts the refusal with the protocol's error code (RFC 6749 §5.2 / RFC 7009 /
RFC 7662), then, where it matters, that the legitimate path still works, so a test cannot pass because the server is
simply down. docs/SECURITY.md lists every test with the spec clause it enforces.
"""
import base64
import hashlib
import hmac
import http.server
import json
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc import jwt
from joserfc.jwk import ECKey

from conftest import TesseraServer, tessera_binary

SECRET = "attack-secret-attack-secret-0123456789ab"
OTHER_SECRET = "other-secret-other-secret-0123456789abcd"
RS_SECRET = "resource-server-secret-0123456789abcdef"
API = "https://api.attacks.test/"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


@pytest.fixture(scope="module")
def client_key():
    return ECKey.generate_key("P-256", parameters={"kid": "k1", "alg": "ES256"}, private=True)


@pytest.fixture(scope="module")
def attacker_key():
    return ECKey.generate_key("P-256", parameters={"kid": "k1", "alg": "ES256"}, private=True)


@pytest.fixture(scope="module")
def server(client_key):
    public_jwks = json.dumps({"keys": [client_key.as_dict(private=False)]})
    server = TesseraServer(
        f"""
clients:
  - id: victim
    auth: client_secret_basic
    secret: {SECRET}
    grant_types: [client_credentials, refresh_token]
    scopes: read write
  - id: intruder
    auth: client_secret_basic
    secret: {OTHER_SECRET}
    grant_types: [client_credentials, refresh_token]
    scopes: read write
  - id: resource-server
    auth: client_secret_basic
    secret: {RS_SECRET}
    grant_types: [client_credentials]
    scopes: read
    introspection_audiences: ["{API}"]
  - id: 'o''neil";DROP-TABLE-clients;--'
    auth: client_secret_basic
    secret: {SECRET}
    grant_types: [client_credentials]
    scopes: read
  - id: jwt-client
    auth: private_key_jwt
    jwks: '{public_jwks}'
    grant_types: [client_credentials]
    scopes: read
"""
    )
    yield server
    server.stop()


class Endpoints:
    def __init__(self, server):
        self.base = server.base_url
        self.token = server.base_url + "/token"
        self.introspect = server.base_url + "/introspect"
        self.revoke = server.base_url + "/revoke"
        document = requests.get(server.base_url + "/.well-known/oauth-authorization-server", timeout=10).json()
        assert document["token_endpoint"] == self.token
        assert document["introspection_endpoint"] == self.introspect
        assert document["revocation_endpoint"] == self.revoke
        self.issuer = document["issuer"]


@pytest.fixture(scope="module")
def endpoints(server):
    return Endpoints(server)


def post(url, data=None, auth=None, **kwargs):
    return requests.post(url, data=data, auth=auth, timeout=20, **kwargs)


def client_credentials(endpoints, auth=("victim", SECRET), scope="read"):
    """A token for the API that `resource-server` serves (its `introspection_audiences`)."""
    response = post(endpoints.token, {"grant_type": "client_credentials", "scope": scope, "resource": API}, auth=auth)
    assert response.status_code == 200, response.text
    return response.json()


def assert_oauth_error(response, status, code):
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert body["error"] == code, body
    assert response.headers.get("Cache-Control") == "no-store"
    assert "Traceback" not in response.text and "Fatal error" not in response.text


def introspect(endpoints, token, auth=("resource-server", RS_SECRET)):
    response = post(endpoints.introspect, {"token": token}, auth=auth)
    assert response.status_code == 200, response.text
    return response.json()


def assertion_claims(endpoints, **overrides):
    now = int(time.time())
    claims = {"iss": "jwt-client", "sub": "jwt-client", "aud": endpoints.issuer, "iat": now, "exp": now + 120, "jti": str(uuid.uuid4())}
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def signed_assertion(key, claims, header=None):
    """ES256 over exactly the header given (no library checks on `crit`, `jku`, `jwk`: the attacks need them)."""
    signing_input = f"{b64url_json({'alg': 'ES256', 'kid': 'k1', **(header or {})})}.{b64url_json(claims)}"
    der = key.private_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def assertion_request(endpoints, assertion, client_id=None):
    form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion, "resource": API}
    if client_id is not None:
        form["client_id"] = client_id
    return post(endpoints.token, form)


def unsigned_token(header, claims, signature=b""):
    return f"{b64url_json(header)}.{b64url_json(claims)}.{b64url(signature)}"


def hmac_token(header, claims, secret: bytes, digest=hashlib.sha256):
    """A correctly computed HS256/384/512 JWS: what an attacker who treats a public key as the secret sends."""
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    return signing_input + "." + b64url(hmac.new(secret, signing_input.encode(), digest).digest())


# MARK: - Sanity: the legitimate paths work, so every refusal below is a refusal and not an outage.


def test_legitimate_assertion_is_accepted(endpoints, client_key):
    response = assertion_request(endpoints, signed_assertion(client_key, assertion_claims(endpoints)))
    assert response.status_code == 200, response.text
    assert introspect(endpoints, response.json()["access_token"])["active"] is True


# MARK: - JWT client assertions (RFC 7523 §3, RFC 8725 §3)


def test_assertion_alg_none_is_refused(endpoints):
    token = unsigned_token({"alg": "none", "typ": "JWT"}, assertion_claims(endpoints))
    assert_oauth_error(assertion_request(endpoints, token), 401, "invalid_client")


def test_assertion_alg_none_with_kid_and_uppercase_variants_are_refused(endpoints):
    for alg in ["none", "None", "NONE", "nOnE", ""]:
        token = unsigned_token({"alg": alg, "kid": "k1"}, assertion_claims(endpoints))
        assert_oauth_error(assertion_request(endpoints, token), 401, "invalid_client")


def test_assertion_hs256_with_public_key_as_secret_is_refused(endpoints, client_key):
    public = client_key.as_dict(private=False)
    candidates = [
        json.dumps(public).encode(),
        json.dumps(public, separators=(",", ":"), sort_keys=True).encode(),
        client_key.as_pem(private=False),
        base64.urlsafe_b64decode(public["x"] + "=="),
    ]
    for secret in candidates:
        for alg, digest in [("HS256", hashlib.sha256), ("HS384", hashlib.sha384), ("HS512", hashlib.sha512)]:
            token = hmac_token({"alg": alg, "kid": "k1"}, assertion_claims(endpoints), secret, digest)
            assert_oauth_error(assertion_request(endpoints, token), 401, "invalid_client")


def test_assertion_signature_stripped_is_refused(endpoints, client_key):
    valid = signed_assertion(client_key, assertion_claims(endpoints))
    header, payload, _ = valid.split(".")
    for stripped in [f"{header}.{payload}.", f"{header}.{payload}", f"{header}.{payload}.AAAA"]:
        assert_oauth_error(assertion_request(endpoints, stripped), 401, "invalid_client")


def test_assertion_payload_swapped_under_valid_signature_is_refused(endpoints, client_key):
    valid = signed_assertion(client_key, assertion_claims(endpoints))
    header, _, signature = valid.split(".")
    forged_payload = b64url_json(assertion_claims(endpoints, exp=int(time.time()) + 300))
    assert_oauth_error(assertion_request(endpoints, f"{header}.{forged_payload}.{signature}"), 401, "invalid_client")


def test_assertion_signed_by_attacker_key_with_victim_kid_is_refused(endpoints, attacker_key):
    assert_oauth_error(assertion_request(endpoints, signed_assertion(attacker_key, assertion_claims(endpoints))), 401, "invalid_client")


def test_assertion_kid_path_traversal_and_injection_are_refused(endpoints, client_key):
    for kid in ["../../../../etc/passwd", "/dev/null", "k1' OR '1'='1", "k1\u0000", "k1;--", "http://127.0.0.1:1/jwks", "%2e%2e%2f"]:
        token = signed_assertion(client_key, assertion_claims(endpoints), header={"kid": kid})
        assert_oauth_error(assertion_request(endpoints, token), 401, "invalid_client")


def test_assertion_jku_x5u_and_embedded_jwk_are_not_trusted(endpoints, attacker_key):
    """RFC 8725 §3.10: header-supplied key locations are never fetched and embedded keys never trusted."""
    fetched = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            fetched.append(self.path)
            body = json.dumps({"keys": [attacker_key.as_dict(private=False)]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    listener = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listener.server_port}/jwks.json"
        for extra in [{"jku": url}, {"x5u": url}, {"jwk": attacker_key.as_dict(private=False)}]:
            token = signed_assertion(attacker_key, assertion_claims(endpoints), header=extra)
            assert_oauth_error(assertion_request(endpoints, token), 401, "invalid_client")
    finally:
        listener.shutdown()
    assert fetched == []


def test_assertion_with_unknown_crit_header_is_refused(endpoints, client_key):
    token = signed_assertion(client_key, assertion_claims(endpoints), header={"crit": ["exp"], "exp": 1})
    assert_oauth_error(assertion_request(endpoints, token), 401, "invalid_client")


def test_assertion_expired_is_refused(endpoints, client_key):
    now = int(time.time())
    token = signed_assertion(client_key, assertion_claims(endpoints, iat=now - 900, exp=now - 300))
    assert_oauth_error(assertion_request(endpoints, token), 401, "invalid_client")


def test_assertion_not_yet_valid_is_refused(endpoints, client_key):
    now = int(time.time())
    token = signed_assertion(client_key, assertion_claims(endpoints, nbf=now + 300, exp=now + 400))
    assert_oauth_error(assertion_request(endpoints, token), 401, "invalid_client")


def test_assertion_issued_in_the_future_is_refused(endpoints, client_key):
    now = int(time.time())
    token = signed_assertion(client_key, assertion_claims(endpoints, iat=now + 300, exp=now + 400))
    assert_oauth_error(assertion_request(endpoints, token), 401, "invalid_client")


def test_assertion_without_exp_or_with_far_future_exp_is_refused(endpoints, client_key):
    for exp in [None, int(time.time()) + 86_400 * 365]:
        token = signed_assertion(client_key, assertion_claims(endpoints, exp=exp))
        assert_oauth_error(assertion_request(endpoints, token), 401, "invalid_client")


def test_assertion_wrong_issuer_is_refused(endpoints, client_key):
    for iss in ["victim", "jwt-client ", "JWT-CLIENT", None]:
        token = signed_assertion(client_key, assertion_claims(endpoints, iss=iss))
        response = assertion_request(endpoints, token)
        assert_oauth_error(response, 401, "invalid_client")


def test_assertion_subject_differs_from_issuer_is_refused(endpoints, client_key):
    token = signed_assertion(client_key, assertion_claims(endpoints, sub="victim"))
    assert_oauth_error(assertion_request(endpoints, token), 401, "invalid_client")


def test_assertion_wrong_audience_is_refused(endpoints, client_key):
    # The token endpoint URL and a second audience beside the issuer: the "audience injection" relays that
    # draft-ietf-oauth-rfc7523bis closes (the issuer must be the only audience).
    relayed = [endpoints.token, [endpoints.issuer, "https://other-as.example"], [endpoints.issuer, endpoints.token]]
    for aud in ["https://other-as.example", endpoints.issuer + "/", endpoints.issuer + ".evil.example", [], None, endpoints.introspect, *relayed]:
        token = signed_assertion(client_key, assertion_claims(endpoints, aud=aud))
        assert_oauth_error(assertion_request(endpoints, token), 401, "invalid_client")


def test_assertion_without_jti_is_refused(endpoints, client_key):
    token = signed_assertion(client_key, assertion_claims(endpoints, jti=None))
    assert_oauth_error(assertion_request(endpoints, token), 401, "invalid_client")


def test_assertion_client_id_mismatch_is_refused(endpoints, client_key):
    token = signed_assertion(client_key, assertion_claims(endpoints))
    assert_oauth_error(assertion_request(endpoints, token, client_id="victim"), 401, "invalid_client")


def test_access_token_presented_as_client_assertion_is_refused(endpoints):
    """RFC 8725 §3.11 explicit typing: an `at+jwt` signed by the server is not a client assertion."""
    access = client_credentials(endpoints)["access_token"]
    assert_oauth_error(assertion_request(endpoints, access), 401, "invalid_client")


def test_encrypted_jwe_shape_is_refused(endpoints):
    assert_oauth_error(assertion_request(endpoints, "a.b.c.d.e"), 401, "invalid_client")


# MARK: - Replay (RFC 7523 §3 item 7, RFC 9700 §4.14.2)


def test_client_assertion_replay_is_refused(endpoints, client_key):
    token = signed_assertion(client_key, assertion_claims(endpoints))
    assert assertion_request(endpoints, token).status_code == 200
    assert_oauth_error(assertion_request(endpoints, token), 401, "invalid_client")


def test_client_assertion_replay_with_reencoded_signature_is_refused(endpoints, client_key):
    """The jti is what is remembered, so re-serialising the same claims does not make the assertion new."""
    claims = assertion_claims(endpoints)
    assert assertion_request(endpoints, signed_assertion(client_key, claims)).status_code == 200
    assert_oauth_error(assertion_request(endpoints, signed_assertion(client_key, claims)), 401, "invalid_client")


def test_concurrent_client_assertion_replay_succeeds_once(endpoints, client_key):
    token = signed_assertion(client_key, assertion_claims(endpoints))
    results = []

    def attempt():
        results.append(assertion_request(endpoints, token).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200] + [401] * 7


def test_refresh_token_replay_revokes_the_grant(endpoints):
    auth = ("victim", SECRET)
    first = client_credentials(endpoints)
    rotated = post(endpoints.token, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, auth=auth)
    assert rotated.status_code == 200
    replay = post(endpoints.token, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, auth=auth)
    assert_oauth_error(replay, 400, "invalid_grant")
    # The whole family is gone: the rotated refresh token and the access token it brought.
    after = post(endpoints.token, {"grant_type": "refresh_token", "refresh_token": rotated.json()["refresh_token"]}, auth=auth)
    assert_oauth_error(after, 400, "invalid_grant")
    assert introspect(endpoints, rotated.json()["access_token"]) == {"active": False}


def test_concurrent_refresh_token_rotation_succeeds_at_most_once(endpoints):
    auth = ("victim", SECRET)
    refresh = client_credentials(endpoints)["refresh_token"]
    statuses = []

    def attempt():
        statuses.append(post(endpoints.token, {"grant_type": "refresh_token", "refresh_token": refresh}, auth=auth).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(200) <= 1 and statuses.count(400) >= 5, statuses


# MARK: - Token substitution between clients (RFC 6749 §6, RFC 7009 §2.1, RFC 7662 §2.2)


def test_refresh_with_another_clients_refresh_token_is_refused(endpoints):
    stolen = client_credentials(endpoints)["refresh_token"]
    response = post(endpoints.token, {"grant_type": "refresh_token", "refresh_token": stolen}, auth=("intruder", OTHER_SECRET))
    assert_oauth_error(response, 400, "invalid_grant")
    # The victim's token still works: the intruder's attempt did not burn it.
    ok = post(endpoints.token, {"grant_type": "refresh_token", "refresh_token": stolen}, auth=("victim", SECRET))
    assert ok.status_code == 200


def test_revoking_another_clients_access_token_is_refused(endpoints):
    access = client_credentials(endpoints)["access_token"]
    response = post(endpoints.revoke, {"token": access}, auth=("intruder", OTHER_SECRET))
    assert_oauth_error(response, 400, "unauthorized_client")
    assert introspect(endpoints, access)["active"] is True


def test_revoking_another_clients_refresh_token_is_refused(endpoints):
    tokens = client_credentials(endpoints)
    response = post(endpoints.revoke, {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"}, auth=("intruder", OTHER_SECRET))
    assert_oauth_error(response, 400, "unauthorized_client")
    assert introspect(endpoints, tokens["access_token"])["active"] is True
    assert introspect(endpoints, tokens["refresh_token"], auth=("victim", SECRET))["active"] is True


def test_introspecting_another_clients_refresh_token_reveals_nothing(endpoints):
    refresh = client_credentials(endpoints)["refresh_token"]
    assert introspect(endpoints, refresh, auth=("intruder", OTHER_SECRET)) == {"active": False}
    assert introspect(endpoints, refresh, auth=("victim", SECRET))["active"] is True


def test_introspecting_another_clients_access_token_reveals_nothing(endpoints):
    """RFC 7662 §4: the AS authorizes the caller. Another client (not a resource server for the token's
    audience) learns nothing; the token's own client and its resource server do."""
    access = client_credentials(endpoints)["access_token"]
    assert introspect(endpoints, access, auth=("intruder", OTHER_SECRET)) == {"active": False}
    assert introspect(endpoints, access, auth=("victim", SECRET))["active"] is True
    assert introspect(endpoints, access)["sub"] == "victim"
    elsewhere = post(endpoints.token, {"grant_type": "client_credentials", "scope": "read", "resource": "https://other.attacks.test/"}, auth=("victim", SECRET))
    assert introspect(endpoints, elsewhere.json()["access_token"]) == {"active": False}


def test_introspection_requires_client_authentication(endpoints):
    access = client_credentials(endpoints)["access_token"]
    assert_oauth_error(post(endpoints.introspect, {"token": access}), 401, "invalid_client")
    assert_oauth_error(post(endpoints.introspect, {"token": access, "client_id": "resource-server"}), 401, "invalid_client")


def test_forged_access_tokens_introspect_inactive(endpoints, attacker_key):
    genuine = client_credentials(endpoints)["access_token"]
    header = json.loads(base64.urlsafe_b64decode(genuine.split(".")[0] + "=="))
    claims = json.loads(base64.urlsafe_b64decode(genuine.split(".")[1] + "=="))
    claims["scope"] = "read write admin"
    jwks_uri = requests.get(endpoints.base + "/.well-known/oauth-authorization-server", timeout=10).json()["jwks_uri"]
    published = next(key for key in requests.get(jwks_uri, timeout=10).json()["keys"] if key.get("kid") == header["kid"])
    public = json.dumps(published).encode()
    forgeries = {
        "alg none": unsigned_token({**header, "alg": "none"}, claims),
        "stripped signature": unsigned_token(header, claims),
        "payload swapped": f"{genuine.split('.')[0]}.{b64url_json(claims)}.{genuine.split('.')[2]}",
        "HS256 with published key": hmac_token({**header, "alg": "HS256"}, claims, public),
        "attacker key, server kid": jwt.encode({**header, "alg": "ES256"}, claims, attacker_key),
    }
    for name, token in forgeries.items():
        assert introspect(endpoints, token) == {"active": False}, name
    assert introspect(endpoints, genuine)["active"] is True


def test_token_from_another_trust_domain_is_inactive(endpoints):
    """Another Tessera (its own keys and issuer) with a client of the same id and secret: its tokens mean nothing
    here, whether presented as they are or with the `iss` rewritten to ours."""
    other = TesseraServer(
        f"""
clients:
  - id: victim
    auth: client_secret_basic
    secret: {SECRET}
    grant_types: [client_credentials, refresh_token]
    scopes: read write
"""
    )
    try:
        foreign = requests.post(other.base_url + "/token", data={"grant_type": "client_credentials"}, auth=("victim", SECRET), timeout=20).json()
    finally:
        other.stop()
    header, payload, signature = foreign["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    rewritten = f"{header}.{b64url_json({**claims, 'iss': endpoints.issuer})}.{signature}"
    for token in [foreign["access_token"], rewritten]:
        assert introspect(endpoints, token) == {"active": False}
    refresh = post(endpoints.token, {"grant_type": "refresh_token", "refresh_token": foreign["refresh_token"]}, auth=("victim", SECRET))
    assert_oauth_error(refresh, 400, "invalid_grant")


# MARK: - Client secrets (RFC 6749 §2.3.1, §2.3; RFC 9700 §2.5)


def test_unknown_client_and_wrong_secret_are_indistinguishable(endpoints):
    """The same status and body either way; the secret comparison itself is constant-time (ClientSecret.verify ->
    ConstantTime.equals over salted SHA-256 digests, and unknown clients are checked against a decoy hash)."""
    unknown = post(endpoints.token, {"grant_type": "client_credentials"}, auth=("no-such-client", SECRET))
    wrong = post(endpoints.token, {"grant_type": "client_credentials"}, auth=("victim", SECRET[:-1] + "X"))
    assert_oauth_error(unknown, 401, "invalid_client")
    assert_oauth_error(wrong, 401, "invalid_client")
    assert unknown.json() == wrong.json()
    assert unknown.headers.get("WWW-Authenticate") == wrong.headers.get("WWW-Authenticate")


def test_secret_prefixes_and_case_variants_are_refused(endpoints):
    for secret in ["", SECRET[:1], SECRET[:-1], SECRET + "x", SECRET.upper(), SECRET + "\u0000", " " + SECRET]:
        response = post(endpoints.token, {"grant_type": "client_credentials"}, auth=("victim", secret))
        assert_oauth_error(response, 401, "invalid_client")


def test_two_authentication_methods_at_once_are_refused(endpoints, client_key):
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": signed_assertion(client_key, assertion_claims(endpoints)),
    }
    assert_oauth_error(post(endpoints.token, form, auth=("victim", SECRET)), 400, "invalid_request")


def test_secret_client_cannot_switch_to_post_or_assertion(endpoints, client_key):
    post_form = {"grant_type": "client_credentials", "client_id": "victim", "client_secret": SECRET}
    assert_oauth_error(post(endpoints.token, post_form), 401, "invalid_client")
    forged = signed_assertion(client_key, assertion_claims(endpoints, iss="victim", sub="victim"))
    assert_oauth_error(assertion_request(endpoints, forged), 401, "invalid_client")


def test_repeated_parameters_are_refused(endpoints):
    body = "grant_type=client_credentials&grant_type=refresh_token&scope=read"
    response = post(endpoints.token, body, auth=("victim", SECRET), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_oauth_error(response, 400, "invalid_request")
    scope_twice = "grant_type=client_credentials&scope=read&scope=write"
    response = post(endpoints.token, scope_twice, auth=("victim", SECRET), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_oauth_error(response, 400, "invalid_request")


def test_scope_escalation_is_refused(endpoints):
    response = post(endpoints.token, {"grant_type": "client_credentials", "scope": "read admin"}, auth=("victim", SECRET))
    assert_oauth_error(response, 400, "invalid_scope")
    escalate = post(endpoints.token, {"grant_type": "client_credentials", "scope": "write"}, auth=("resource-server", RS_SECRET))
    assert_oauth_error(escalate, 400, "invalid_scope")


def test_refresh_cannot_widen_scope(endpoints):
    refresh = client_credentials(endpoints, scope="read")["refresh_token"]
    response = post(endpoints.token, {"grant_type": "refresh_token", "refresh_token": refresh, "scope": "read write"}, auth=("victim", SECRET))
    assert_oauth_error(response, 400, "invalid_scope")


# MARK: - Unicode confusables and encoding tricks in identifiers


@pytest.mark.parametrize(
    "lookalike",
    [
        "vict\u0456m",  # Cyrillic і
        "v\u0456ctim",
        "\uff56\uff49\uff43\uff54\uff49\uff4d",  # fullwidth
        "victim\u200b",  # zero-width space
        "vi\u0307ctim",  # combining dot
        "VICTIM",
        "victim ",
        "victim\u0000",
    ],
    ids=["cyrillic-i", "cyrillic-i-2", "fullwidth", "zero-width-space", "combining-dot", "uppercase", "trailing-space", "nul"],
)
def test_confusable_client_id_does_not_authenticate(endpoints, lookalike):
    auth_header = "Basic " + base64.b64encode(
        (requests.utils.quote(lookalike, safe="") + ":" + SECRET).encode()
    ).decode()
    response = post(endpoints.token, {"grant_type": "client_credentials"}, headers={"Authorization": auth_header})
    assert_oauth_error(response, 401, "invalid_client")


def test_overlong_and_invalid_percent_encoding_is_refused(endpoints):
    for body in ["grant_type=client%C0%AEcredentials", "grant_type=client_credentials%", "grant_type=%ZZ", "grant_type=client_credentials&scope=%ED%A0%80"]:
        response = post(endpoints.token, body, auth=("victim", SECRET), headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert_oauth_error(response, 400, "invalid_request")


# MARK: - SQL injection through stored and looked-up fields


SQL_PAYLOADS = ["' OR '1'='1", "'; DROP TABLE clients; --", "\" OR 1=1 --", "x' UNION SELECT * FROM refresh_tokens --", "%' OR 1=1 --"]


def test_sql_injection_in_client_id_does_not_authenticate(endpoints):
    for payload in SQL_PAYLOADS:
        response = post(endpoints.token, {"grant_type": "client_credentials"}, auth=(payload, SECRET))
        assert_oauth_error(response, 401, "invalid_client")
    client_credentials(endpoints)


def test_sql_injection_in_token_lookup_finds_nothing(endpoints):
    live = client_credentials(endpoints)
    for payload in SQL_PAYLOADS:
        assert introspect(endpoints, payload) == {"active": False}
        assert post(endpoints.revoke, {"token": payload}, auth=("victim", SECRET)).status_code == 200
        refresh = post(endpoints.token, {"grant_type": "refresh_token", "refresh_token": payload}, auth=("victim", SECRET))
        assert_oauth_error(refresh, 400, "invalid_grant")
    # Nothing was revoked or dropped by the payloads.
    assert introspect(endpoints, live["access_token"])["active"] is True


def test_sql_metacharacters_in_a_stored_client_id_are_data(endpoints):
    """A registered id full of SQL metacharacters is stored and matched literally, and nothing else changes."""
    stored = "o'neil\";DROP-TABLE-clients;--"
    tokens = client_credentials(endpoints, auth=(stored, SECRET))
    assert introspect(endpoints, tokens["access_token"])["client_id"] == stored
    assert_oauth_error(post(endpoints.token, {"grant_type": "client_credentials"}, auth=("o'neil", SECRET)), 401, "invalid_client")
    client_credentials(endpoints)


def test_sql_injection_in_assertion_jti_is_stored_as_data(endpoints, client_key):
    jti = "a' OR '1'='1"
    first = assertion_request(endpoints, signed_assertion(client_key, assertion_claims(endpoints, jti=jti)))
    assert first.status_code == 200
    # Stored literally: a second assertion with the same jti is a replay, a different one is not.
    assert_oauth_error(assertion_request(endpoints, signed_assertion(client_key, assertion_claims(endpoints, jti=jti))), 401, "invalid_client")
    assert assertion_request(endpoints, signed_assertion(client_key, assertion_claims(endpoints, jti=jti + "2"))).status_code == 200


# MARK: - Oversized and deeply nested input


def test_oversized_form_body_is_refused(endpoints):
    body = "grant_type=client_credentials&scope=" + "a" * (70 * 1024)
    response = post(endpoints.token, body, auth=("victim", SECRET), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_oauth_error(response, 400, "invalid_request")
    client_credentials(endpoints)


def test_too_many_resource_indicators_are_refused(endpoints):
    """At most 10 `resource` parameters (RFC 8707 §2): 11, and 1,500 packed under the 64 KiB body cap, are refused."""
    for count in [11, 1500]:
        body = "grant_type=client_credentials&" + "&".join(f"resource=https%3A%2F%2Fr{i}.example" for i in range(count))
        assert len(body) < 64 * 1024
        response = post(endpoints.token, body, auth=("victim", SECRET), headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert_oauth_error(response, 400, "invalid_target")
    ten = "grant_type=client_credentials&" + "&".join(f"resource=https%3A%2F%2Fr{i}.example" for i in range(10))
    assert post(endpoints.token, ten, auth=("victim", SECRET), headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 200


def test_oversized_client_assertion_is_refused(endpoints, client_key):
    token = signed_assertion(client_key, assertion_claims(endpoints, padding="x" * 20_000))
    assert_oauth_error(assertion_request(endpoints, token), 401, "invalid_client")


def test_deeply_nested_assertion_json_is_refused(endpoints, client_key):
    nested = "[" * 5000 + "]" * 5000
    header = b64url_json({"alg": "ES256", "kid": "k1"})
    payload = b64url(('{"iss":"jwt-client","x":' + nested + "}").encode())
    assert_oauth_error(assertion_request(endpoints, f"{header}.{payload}.AAAA"), 401, "invalid_client")
    deep_header = b64url(('{"alg":"ES256","x":' + nested + "}").encode())
    assert_oauth_error(assertion_request(endpoints, f"{deep_header}.{payload}.AAAA"), 401, "invalid_client")
    client_credentials(endpoints)


def test_oversized_header_is_refused_and_the_server_survives(endpoints):
    """SwiftNIO's HTTP/1 parser caps the header block at 80 KiB; beyond it the request is answered 400."""
    for size in [82 * 1024, 1024 * 1024]:
        response = requests.post(
            endpoints.token, data={"grant_type": "client_credentials"}, headers={"X-Padding": "a" * size}, auth=("victim", SECRET), timeout=20
        )
        assert response.status_code == 400, (size, response.status_code)
    client_credentials(endpoints)


def test_header_flood_is_refused(endpoints):
    headers = {f"X-Flood-{i}": "a" for i in range(5000)}
    response = requests.post(endpoints.token, data={"grant_type": "client_credentials"}, headers=headers, auth=("victim", SECRET), timeout=20)
    assert response.status_code == 400
    client_credentials(endpoints)


def test_oversized_chunked_body_is_refused(endpoints):
    """No Content-Length to check up front: the cap applies while the chunks arrive (12 MiB sent, 64 KiB allowed)."""

    def chunks():
        for _ in range(200):
            yield b"a" * 65536

    response = requests.post(
        endpoints.token, data=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}, auth=("victim", SECRET), timeout=30
    )
    assert_oauth_error(response, 400, "invalid_request")
    client_credentials(endpoints)


def test_deeply_nested_cedar_policy_is_refused_not_crashed(tmp_path):
    policy = tmp_path / "deep.cedar"
    policy.write_text("permit(principal, action, resource) when { " + "(" * 10_000 + "true" + ")" * 10_000 + " };")
    result = subprocess.run([tessera_binary(), "cedar", "check", str(policy)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert "nest" in (result.stdout + result.stderr).lower()


def test_deeply_nested_cedar_entities_are_refused_not_crashed(tmp_path):
    policy = tmp_path / "p.cedar"
    policy.write_text("permit(principal, action, resource);")
    entities = tmp_path / "entities.json"
    entities.write_text('[{"uid":{"type":"User","id":"a"},"attrs":{"x":' + "[" * 100_000 + "]" * 100_000 + '},"parents":[]}]')
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"principal": {"type": "User", "id": "a"}, "action": {"type": "Action", "id": "r"}, "resource": {"type": "D", "id": "1"}, "context": {}}))
    result = subprocess.run(
        [tessera_binary(), "cedar", "authorize", "--policies", str(policy), "--entities", str(entities), "--request", str(request)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1, (result.returncode, result.stdout[-500:], result.stderr[-2000:])


@pytest.mark.parametrize("shape", ["record", "set", "common-type chain"])
def test_deeply_nested_cedar_schema_is_refused_not_crashed(tmp_path, shape):
    """A schema (authorization_details_types, `tessera cedar validate|schema`) nesting without end is a parse
    error, not a stack overflow (the process used to die with SIGSEGV)."""
    n = 100_000
    text = {
        "record": "entity E = { a: " + "{ a: " * n + "Long" + " }" * n + " };",
        "set": "entity E = { a: " + "Set<" * n + "Long" + ">" * n + " };",
        "common-type chain": "\n".join("type T%d = T%d;" % (i, i + 1) for i in range(5_000)) + "\ntype T5000 = Long;\nentity E = { a: T0 };",
    }[shape]
    schema = tmp_path / "deep.cedarschema"
    schema.write_text(text)
    result = subprocess.run([tessera_binary(), "cedar", "schema", str(schema)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert "nested too deeply" in (result.stdout + result.stderr)


# MARK: - Policy fail-open (Cedar skip-on-error)


def test_erroring_forbid_is_reported_so_callers_can_fail_closed(tmp_path):
    """Cedar's semantics (and the reference implementation's): a policy whose condition errors is skipped, so a
    `permit` next to an erroring `forbid` yields Allow. Tessera's engine keeps that for conformance, but every error
    is returned in the response's diagnostics; Tessera's own decisions must treat a skipped forbid as deny
    (docs/SECURITY.md, "Policy fail-open"). This test pins both halves: the error is reported with the policy id,
    and without the permit the erroring forbid cannot produce an Allow."""
    policies = tmp_path / "p.cedar"
    policies.write_text(
        '@id("deny-suspended")\nforbid(principal, action, resource) when { principal.suspended };\n'
        '@id("allow-all")\npermit(principal, action, resource);\n'
    )
    entities = tmp_path / "entities.json"
    entities.write_text('[{"uid":{"type":"User","id":"mallory"},"attrs":{},"parents":[]}]')
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"principal": {"type": "User", "id": "mallory"}, "action": {"type": "Action", "id": "r"}, "resource": {"type": "D", "id": "1"}, "context": {}}))
    run = lambda: subprocess.run(  # noqa: E731
        [tessera_binary(), "cedar", "authorize", "--policies", str(policies), "--entities", str(entities), "--request", str(request)],
        capture_output=True, text=True, timeout=60,
    )
    answer = json.loads(run().stdout)
    # Cedar's answer (identical to the reference's): Allow, with the forbid's error on record.
    assert answer["decision"] == "allow" and answer["reasons"] == ["policy1"], answer
    assert [(e["policy"], e["code"]) for e in answer["errors"]] == [("policy0", "attributeDoesNotExist")], answer
    policies.write_text('@id("deny-suspended")\nforbid(principal, action, resource) when { principal.suspended };\n')
    alone = run()
    assert alone.returncode == 2, (alone.returncode, alone.stdout)


# MARK: - Slow clients (slowloris)


def test_idle_connection_is_dropped_and_others_are_served(endpoints):
    host, port = endpoints.base.removeprefix("http://").split(":")
    idle = [socket.create_connection((host, int(port)), timeout=5) for _ in range(50)]
    for connection in idle:
        connection.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\n")
    try:
        # Fifty stalled requests do not stop a normal client.
        client_credentials(endpoints)
        probe = idle[0]
        probe.settimeout(60)
        started = time.monotonic()
        try:
            data = probe.recv(4096)
        except (ConnectionResetError, socket.timeout):
            data = None
        elapsed = time.monotonic() - started
        assert data is not None and (data == b"" or data.startswith(b"HTTP/1.1 4")), data
        assert elapsed < 45, elapsed
    finally:
        for connection in idle:
            connection.close()


def test_header_dribbling_client_is_dropped(endpoints):
    """Classic slowloris: one header line every few seconds keeps the connection busy but never completes a request.
    The server's read timeout (Application+build.swift, `idleTimeout: 30 s`) drops it; measured ~40 s here."""
    host, port = endpoints.base.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=5)
    connection.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    dropped = False
    try:
        while time.monotonic() - started < 75:
            connection.sendall(b"X-Slow: 1\r\n")
            time.sleep(5)
    except (BrokenPipeError, ConnectionResetError):
        dropped = True
    finally:
        connection.close()
    assert dropped, "a client dribbling header lines kept its connection for 75 s"
    client_credentials(endpoints)
