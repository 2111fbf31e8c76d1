"""Identity chaining interop (draft-ietf-oauth-identity-chaining, RFC 8693, RFC 7523): a plain
`requests` client performs token exchange at one `tessera serve` (AS-A) and the jwt-bearer grant
at another (AS-B); joserfc verifies every token we sign against our published JWKS, mints an ID
token our AS-A accepts as a subject token, and mints a JWT authorization grant with a key AS-B
trusts statically, which AS-B redeems."""
import json
import time
import uuid

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from conftest import TesseraServer

SECRET = "chaining-secret-chaining-secret-0123456789"
ISSUER_A = "https://as-a.interop"
ISSUER_B = "https://as-b.interop"
PYTHON_AS = "https://python-as.interop"
IDP = "https://idp.interop"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt"


@pytest.fixture(scope="module")
def python_key():
    return ECKey.generate_key("P-256", parameters={"kid": "python-as-1", "alg": "ES256"}, private=True)


@pytest.fixture(scope="module")
def idp_key():
    return ECKey.generate_key("P-256", parameters={"kid": "idp-1", "alg": "ES256"}, private=True)


@pytest.fixture(scope="module")
def domains(python_key, idp_key):
    idp_jwks = json.dumps({"keys": [idp_key.as_dict(private=False)]})
    a = TesseraServer(
        f"""
issuer: {ISSUER_A}
clients:
  - {{id: py-app, auth: client_secret_basic, secret: {SECRET}, grant_types: [client_credentials, "{EXCHANGE}"], scopes: read write}}
  - {{id: py-other, auth: client_secret_basic, secret: {SECRET}, grant_types: [client_credentials, "{EXCHANGE}"], scopes: read write}}
chaining:
  peers:
    - name: b
      issuer: {ISSUER_B}
      outbound:
        claims: [department]
  subject_token_issuers:
    - issuer: {IDP}
      jwks: '{idp_jwks}'
      algorithms: [ES256]
"""
    )
    python_jwks = json.dumps({"keys": [python_key.as_dict(private=False)]})
    try:
        b = TesseraServer(
            f"""
issuer: {ISSUER_B}
clients:
  - {{id: py-app, auth: client_secret_basic, secret: {SECRET}, grant_types: ["{JWT_BEARER}"], scopes: read write}}
chaining:
  peers:
    - name: a
      issuer: {ISSUER_A}
      jwks_uri: {a.base_url}/jwks
      inbound:
        subject_map: {{py-app: py-app@a}}
        claims: [department]
        claim_prefix: "a/"
    - name: python
      issuer: {PYTHON_AS}
      jwks: '{python_jwks}'
      algorithms: [ES256]
      scopes: read
"""
        )
    except Exception:
        a.stop()
        raise
    yield a, b
    a.stop()
    b.stop()


def token(server, **form):
    return requests.post(server.base_url + "/token", data=form, auth=("py-app", SECRET), timeout=10)


def verify(server, issuer, value, typ):
    """Verifies a token we signed with joserfc against the server's published JWKS."""
    metadata = requests.get(server.base_url + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert metadata["issuer"] == issuer
    keys = KeySet.import_key_set(requests.get(server.base_url + "/jwks", timeout=10).json())
    decoded = jwt.decode(value, keys, algorithms=["ES256", "ES384", "EdDSA"])
    assert decoded.header.get("typ") == typ
    return decoded.claims


def test_metadata_advertises_chaining(domains):
    a, b = domains
    metadata = requests.get(a.base_url + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert EXCHANGE in metadata["grant_types_supported"]
    assert metadata["identity_chaining_requested_token_types_supported"] == [JWT_TYPE]
    assert JWT_BEARER in requests.get(b.base_url + "/.well-known/oauth-authorization-server", timeout=10).json()["grant_types_supported"]


def test_requests_client_chains_from_a_to_b(domains):
    a, b = domains
    access = token(a, grant_type="client_credentials", scope="read write").json()["access_token"]
    exchanged = token(a, grant_type=EXCHANGE, subject_token=access, subject_token_type=ACCESS_TOKEN, audience=ISSUER_B, scope="read")
    assert exchanged.status_code == 200, exchanged.text
    body = exchanged.json()
    assert body["token_type"] == "N_A"
    assert body["issued_token_type"] == JWT_TYPE
    assert "refresh_token" not in body
    grant = verify(a, ISSUER_A, body["access_token"], "JWT")
    claims_requests = jwt.JWTClaimsRegistry(iss={"essential": True, "value": ISSUER_A}, aud={"essential": True, "value": ISSUER_B})
    claims_requests.validate(grant)
    assert grant["client_id"] == "py-app" and grant["scope"] == "read" and grant["exp"] - grant["iat"] == 60

    redeemed = token(b, grant_type=JWT_BEARER, assertion=body["access_token"])
    assert redeemed.status_code == 200, redeemed.text
    assert "refresh_token" not in redeemed.json()
    claims = verify(b, ISSUER_B, redeemed.json()["access_token"], "at+jwt")
    assert claims["iss"] == ISSUER_B and claims["sub"] == "py-app@a" and claims["scope"] == "read"

    replay = token(b, grant_type=JWT_BEARER, assertion=body["access_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"


def test_stolen_token_is_refused_for_another_client(domains):
    a, _ = domains
    access = token(a, grant_type="client_credentials", scope="read").json()["access_token"]
    stolen = requests.post(
        a.base_url + "/token",
        data={"grant_type": EXCHANGE, "subject_token": access, "subject_token_type": ACCESS_TOKEN, "audience": ISSUER_B},
        auth=("py-other", SECRET),
        timeout=10,
    )
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_request"


def test_joserfc_id_token_is_a_subject_token(domains, idp_key):
    a, b = domains
    now = int(time.time())
    id_token = jwt.encode(
        {"alg": "ES256", "kid": "idp-1", "typ": "JWT"},
        {"iss": IDP, "sub": "alice", "aud": ISSUER_A, "azp": "py-app", "iat": now, "exp": now + 300, "scope": "read", "department": "finance"},
        idp_key,
    )
    exchanged = token(a, grant_type=EXCHANGE, subject_token=id_token, subject_token_type=ID_TOKEN, audience=ISSUER_B)
    assert exchanged.status_code == 200, exchanged.text
    redeemed = token(b, grant_type=JWT_BEARER, assertion=exchanged.json()["access_token"])
    assert redeemed.status_code == 200, redeemed.text
    claims = verify(b, ISSUER_B, redeemed.json()["access_token"], "at+jwt")
    assert claims["sub"] == "alice" and claims["a/department"] == "finance"

    forged = jwt.encode(
        {"alg": "ES256", "kid": "idp-1"},
        {"iss": IDP, "sub": "alice", "aud": ISSUER_A, "azp": "py-app", "exp": now + 300},
        ECKey.generate_key("P-256", private=True),
    )
    refused = token(a, grant_type=EXCHANGE, subject_token=forged, subject_token_type=ID_TOKEN, audience=ISSUER_B)
    assert refused.status_code == 400 and "signature" in refused.json()["error_description"]


def python_grant(key, **overrides):
    now = int(time.time())
    claims = {"iss": PYTHON_AS, "sub": "bob", "aud": ISSUER_B, "iat": now, "exp": now + 60, "jti": str(uuid.uuid4()), "scope": "read"}
    claims.update(overrides)
    return jwt.encode({"alg": "ES256", "kid": "python-as-1", "typ": "JWT"}, claims, key)


def test_joserfc_grant_from_a_statically_trusted_peer_is_accepted(domains, python_key):
    _, b = domains
    grant = python_grant(python_key)
    redeemed = token(b, grant_type=JWT_BEARER, assertion=grant)
    assert redeemed.status_code == 200, redeemed.text
    claims = verify(b, ISSUER_B, redeemed.json()["access_token"], "at+jwt")
    assert claims["sub"] == "bob" and claims["scope"] == "read"

    for bad, reason in [
        (python_grant(python_key, aud="https://elsewhere.interop"), "aud"),
        (python_grant(python_key, exp=int(time.time()) - 120), "expired"),
        (python_grant(python_key, exp=int(time.time()) + 7200), "too far"),
        (python_grant(ECKey.generate_key("P-256", private=True)), "signature"),
        (grant, "jti"),
    ]:
        response = token(b, grant_type=JWT_BEARER, assertion=bad)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_grant"
        assert reason in response.json()["error_description"], response.json()

    # The peer's scope cap: this peer may only ever yield "read".
    capped = token(b, grant_type=JWT_BEARER, assertion=python_grant(python_key, scope="read write"), scope="read write")
    assert capped.status_code == 400 and capped.json()["error"] == "invalid_scope"


def b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_forged_grants_are_refused(domains, python_key):
    """alg none, HS256 keyed with the peer's public key, a payload swapped under a valid signature."""
    import hashlib
    import hmac

    _, b = domains
    now = int(time.time())
    claims = {"iss": PYTHON_AS, "sub": "bob", "aud": ISSUER_B, "exp": now + 60, "jti": str(uuid.uuid4()), "scope": "read"}
    body = b64(json.dumps(claims).encode())
    none = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." + body + "."
    public = json.dumps(python_key.as_dict(private=False)).encode()
    hs_header = b64(json.dumps({"alg": "HS256", "kid": "python-as-1", "typ": "JWT"}).encode())
    hs256 = hs_header + "." + body + "." + b64(hmac.new(public, f"{hs_header}.{body}".encode(), hashlib.sha256).digest())
    genuine = python_grant(python_key).split(".")
    swapped = genuine[0] + "." + b64(json.dumps(dict(claims, sub="admin")).encode()) + "." + genuine[2]
    for forged in (none, hs256, swapped):
        response = token(b, grant_type=JWT_BEARER, assertion=forged)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_grant"
        assert response.headers["Cache-Control"] == "no-store"


def test_concurrent_redemptions_of_one_grant_succeed_once(domains, python_key):
    from concurrent.futures import ThreadPoolExecutor

    _, b = domains
    grant = python_grant(python_key)
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: token(b, grant_type=JWT_BEARER, assertion=grant).status_code, range(8)))
    assert sorted(statuses) == [200] + [400] * 7
