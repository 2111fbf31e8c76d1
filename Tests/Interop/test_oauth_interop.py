"""Interop with independent OAuth and JOSE implementations: Authlib's OAuth 2 client gets tokens
from a real `tessera serve` with client_secret_basic and with private_key_jwt, and joserfc verifies
the access token against the JWKS found through the metadata's jwks_uri."""
import json
import time

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from conftest import TesseraServer

SECRET = "interop-secret-interop-secret-0123456789"


@pytest.fixture(scope="module")
def client_key():
    return ECKey.generate_key("P-256", parameters={"kid": "interop-1", "alg": "ES256"}, private=True)


@pytest.fixture(scope="module")
def server(client_key):
    public_jwks = json.dumps({"keys": [client_key.as_dict(private=False)]})
    server = TesseraServer(
        f"""
clients:
  - id: authlib-basic
    auth: client_secret_basic
    secret: {SECRET}
    grant_types: [client_credentials, refresh_token]
    scopes: read write
  - id: authlib-jwt
    auth: private_key_jwt
    jwks: '{public_jwks}'
    grant_types: [client_credentials]
    scopes: read
"""
    )
    yield server
    server.stop()


def metadata(server):
    response = requests.get(server.base_url + "/.well-known/oauth-authorization-server", timeout=10)
    assert response.status_code == 200
    document = response.json()
    assert document["issuer"] == server.base_url
    return document


def verify_with_published_keys(server, token):
    document = metadata(server)
    keys = KeySet.import_key_set(requests.get(document["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(token, keys, algorithms=["ES256"])
    assert decoded.header["typ"] == "at+jwt"
    claims_request = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": document["issuer"]},
        exp={"essential": True},
        iat={"essential": True},
        jti={"essential": True},
        sub={"essential": True},
        client_id={"essential": True},
    )
    claims_request.validate(decoded.claims)
    return decoded.claims


def test_authlib_client_credentials_with_client_secret_basic(server):
    document = metadata(server)
    session = OAuth2Session("authlib-basic", SECRET, token_endpoint_auth_method="client_secret_basic", scope="read")
    token = session.fetch_token(document["token_endpoint"], grant_type="client_credentials")
    assert token["token_type"] == "Bearer"
    claims = verify_with_published_keys(server, token["access_token"])
    assert claims["client_id"] == "authlib-basic"
    assert claims["scope"] == "read"
    assert claims["exp"] > time.time()


def test_authlib_client_credentials_with_private_key_jwt(server, client_key):
    document = metadata(server)
    session = OAuth2Session(
        "authlib-jwt",
        client_key.as_dict(private=True),
        # PrivateKeyJWT's first argument is the assertion's `aud`. draft-ietf-oauth-rfc7523bis makes it the issuer alone
        # (the token endpoint URL is refused: audience injection), so the client names the issuer here.
        token_endpoint_auth_method=PrivateKeyJWT(document["issuer"], alg="ES256", headers={"kid": "interop-1"}),
    )
    # Authlib's default assertion lifetime is an hour; Tessera caps assertions at ten minutes.
    session.token_auth.client.token_endpoint_auth_method.claims = {"exp": int(time.time()) + 120}
    token = session.fetch_token(document["token_endpoint"], grant_type="client_credentials")
    claims = verify_with_published_keys(server, token["access_token"])
    assert claims["sub"] == "authlib-jwt"


def test_refresh_rotation_and_introspection_with_requests(server):
    document = metadata(server)
    auth = ("authlib-basic", SECRET)
    first = requests.post(document["token_endpoint"], data={"grant_type": "client_credentials"}, auth=auth, timeout=10).json()
    second = requests.post(
        document["token_endpoint"], data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, auth=auth, timeout=10
    )
    assert second.status_code == 200
    replay = requests.post(
        document["token_endpoint"], data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, auth=auth, timeout=10
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    introspection = requests.post(document["introspection_endpoint"], data={"token": second.json()["access_token"]}, auth=auth, timeout=10)
    assert introspection.json() == {"active": False}


def test_assertion_replay_is_refused(server, client_key):
    from authlib.oauth2.rfc7523 import private_key_jwt_sign

    document = metadata(server)
    assertion = private_key_jwt_sign(
        client_key.as_dict(private=True), "authlib-jwt", document["issuer"], alg="ES256",
        header={"kid": "interop-1"}, expires_in=60,
    )
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }
    assert requests.post(document["token_endpoint"], data=form, timeout=10).status_code == 200
    replay = requests.post(document["token_endpoint"], data=form, timeout=10)
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"
