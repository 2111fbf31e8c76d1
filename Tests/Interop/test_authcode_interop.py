"""The OAuth authorization code flow in a real browser (RFC 6749 §4.1, RFC 7636, RFC 9126, RFC 9207,
OpenID Connect Core): Authlib's OAuth2Session is the client (PKCE S256, with and without a pushed
authorization request), headless Chromium driven by Selenium signs in on Tessera's shared sign-in
page and approves on its consent page, and the ID token is validated with joserfc against the
server's published JWK Set. Screenshots land under .build/screenshots/ (or $TESSERA_SCREENSHOTS).
"""

import os
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests
from conftest import TesseraServer, tessera_binary
from test_browser_interaction import CallbackServer, browser, click_and_wait, page_text, shot  # noqa: F401 (fixture)

pytestmark = pytest.mark.skipif(not os.path.exists(tessera_binary()), reason=f"tessera not built ({tessera_binary()})")

USER, PASSWORD = "dana", "dana-password-1"
CLIENT_ID, CLIENT_SECRET = "authlib-web", "authlib-web-secret-0123456789-abcdefghij"
PUBLIC_ID = "authlib-spa"


@pytest.fixture(scope="module")
def callback():
    server = CallbackServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def redirect_uri(callback):
    return f"http://127.0.0.1:{callback.port}/cb"


@pytest.fixture(scope="module")
def server(redirect_uri):
    server = TesseraServer(
        f"""
users:
  - username: {USER}
    password: {PASSWORD}
    display_name: Dana
clients:
  - id: {CLIENT_ID}
    auth: client_secret_basic
    secret: {CLIENT_SECRET}
    grant_types: [authorization_code, refresh_token]
    scopes: openid profile read
    redirect_uris: ["{redirect_uri}"]
  - id: {PUBLIC_ID}
    auth: none
    grant_types: [authorization_code]
    scopes: openid read
    redirect_uris: ["{redirect_uri}"]
"""
    )
    yield server
    server.stop()


def metadata(server):
    document = requests.get(server.base_url + "/.well-known/openid-configuration", timeout=10).json()
    assert document["issuer"] == server.base_url
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["authorization_response_iss_parameter_supported"] is True
    return document


def session(server, redirect_uri, public=False):
    from authlib.integrations.requests_client import OAuth2Session

    if public:
        return OAuth2Session(PUBLIC_ID, redirect_uri=redirect_uri, scope="openid read", code_challenge_method="S256", token_endpoint_auth_method="none")
    return OAuth2Session(
        CLIENT_ID,
        CLIENT_SECRET,
        redirect_uri=redirect_uri,
        scope="openid profile read",
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )


def browse_and_approve(server, browser, url, redirect_uri, name, expect_consent=None, signed_in=False):
    """The person: opens the authorization URL, signs in, approves; returns the callback URL.
    A consent remembered from an earlier approval skips the consent page: `expect_consent` True or
    False asserts which happened (None accepts either, so each test also runs alone)."""
    from selenium.webdriver.common.by import By

    if not signed_in:
        browser.delete_all_cookies()
    browser.get(url)
    if not signed_in:
        assert "Sign in" in browser.title, page_text(browser)
        shot(browser, f"authcode-{name}-01-sign-in")
        browser.find_element(By.ID, "username").send_keys(USER)
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        click_and_wait(browser, "sign-in")
    asked = not browser.current_url.startswith(redirect_uri)
    if expect_consent is not None:
        assert asked == expect_consent, page_text(browser) if asked else browser.current_url
    if asked:
        assert "Allow access?" in browser.title, page_text(browser)
        page = browser.find_element(By.TAG_NAME, "main").text
        assert "openid" in page and "read" in page
        shot(browser, f"authcode-{name}-02-consent")
        click_and_wait(browser, "approve")
    deadline = time.time() + 10
    while not browser.current_url.startswith(redirect_uri) and time.time() < deadline:
        time.sleep(0.1)
    assert browser.current_url.startswith(redirect_uri), browser.current_url
    shot(browser, f"authcode-{name}-03-back-at-client")
    return browser.current_url


def validate_id_token(server, id_token, client_id, nonce):
    from joserfc import jwt
    from joserfc.jwk import KeySet
    from joserfc.jwt import JWTClaimsRegistry

    keys = KeySet.import_key_set(requests.get(server.base_url + "/jwks", timeout=10).json())
    token = jwt.decode(id_token, keys, algorithms=["ES256", "ES384", "RS256", "PS256", "EdDSA"])
    registry = JWTClaimsRegistry(
        iss={"essential": True, "value": server.base_url},
        aud={"essential": True, "value": client_id},
        sub={"essential": True, "value": USER},
        nonce={"essential": True, "value": nonce},
        azp={"essential": True, "value": client_id},
        auth_time={"essential": True},
    )
    registry.validate(token.claims)
    assert token.claims["exp"] > time.time()
    return token.claims


def test_authorization_code_with_pkce_in_the_browser(server, browser, redirect_uri):
    document = metadata(server)
    client = session(server, redirect_uri)
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = client.create_authorization_url(document["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    assert "code_challenge_method=S256" in url
    back = browse_and_approve(server, browser, url, redirect_uri, "direct", expect_consent=True)
    query = parse_qs(urlparse(back).query)
    assert query["state"] == [state]
    assert query["iss"] == [server.base_url], "RFC 9207: the response names its issuer"
    token = client.fetch_token(document["token_endpoint"], authorization_response=back, code_verifier=verifier)
    assert token["token_type"] == "Bearer" and token["refresh_token"]
    claims = validate_id_token(server, token["id_token"], CLIENT_ID, nonce)
    assert claims["sub"] == USER

    info = client.get(document["userinfo_endpoint"])
    assert info.status_code == 200, info.text
    assert info.json() == {"sub": USER, "preferred_username": USER, "name": "Dana"}

    # The code is single use: Authlib replaying it gets invalid_grant.
    replay = requests.post(
        document["token_endpoint"],
        data={"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect_uri, "code_verifier": verifier},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # ... and the tokens it issued are revoked.
    assert client.get(document["userinfo_endpoint"]).status_code == 401


def test_authorization_code_with_par_for_a_public_client(server, browser, redirect_uri):
    document = metadata(server)
    client = session(server, redirect_uri, public=True)
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    # Authlib builds the request; its query goes to the PAR endpoint instead of the browser.
    url, state = client.create_authorization_url(document["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    pushed = requests.post(
        document["pushed_authorization_request_endpoint"], data=dict(parse_qs(urlparse(url).query, keep_blank_values=False)), timeout=10
    )
    assert pushed.status_code == 201, pushed.text
    request_uri = pushed.json()["request_uri"]
    browser_url = document["authorization_endpoint"] + "?" + urlencode({"client_id": PUBLIC_ID, "request_uri": request_uri})
    back = browse_and_approve(server, browser, browser_url, redirect_uri, "par")
    query = parse_qs(urlparse(back).query)
    assert query["state"] == [state] and query["iss"] == [server.base_url]
    token = client.fetch_token(document["token_endpoint"], authorization_response=back, code_verifier=verifier)
    validate_id_token(server, token["id_token"], PUBLIC_ID, nonce)

    # The request_uri was used once; a second visit is an error page, not a redirect.
    again = requests.get(browser_url, allow_redirects=False, timeout=10)
    assert again.status_code == 400 and "location" not in {name.lower() for name in again.headers}


def test_a_wrong_verifier_is_refused(server, browser, redirect_uri):
    document = metadata(server)
    client = session(server, redirect_uri)
    verifier = secrets.token_urlsafe(48)
    url, _ = client.create_authorization_url(document["authorization_endpoint"], code_verifier=verifier, nonce="n")
    back = browse_and_approve(server, browser, url, redirect_uri, "wrong-verifier")
    code = parse_qs(urlparse(back).query)["code"][0]
    refused = requests.post(
        document["token_endpoint"],
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": secrets.token_urlsafe(48)},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_an_id_token_from_this_flow_is_a_subject_token_in_another_domain(server, browser, redirect_uri):
    """The seeds' enterprise-SSO case: Tessera as the identity provider, another Tessera trusting its
    ID tokens (`chaining.subject_token_issuers`, keys from its jwks_uri) exchanges one for its own
    access token (RFC 8693, `urn:ietf:params:oauth:token-type:id_token`)."""
    app_domain = TesseraServer(
        f"""
clients:
  - id: {CLIENT_ID}
    auth: client_secret_basic
    secret: {CLIENT_SECRET}
    grant_types: ["urn:ietf:params:oauth:grant-type:token-exchange"]
    scopes: read
chaining:
  subject_token_issuers:
    - issuer: {server.base_url}
      jwks_uri: {server.base_url}/jwks
      audiences: [{CLIENT_ID}]
"""
    )
    try:
        document = metadata(server)
        client = session(server, redirect_uri)
        verifier = secrets.token_urlsafe(48)
        url, _ = client.create_authorization_url(document["authorization_endpoint"], code_verifier=verifier, nonce="sso")
        back = browse_and_approve(server, browser, url, redirect_uri, "sso")
        id_token = client.fetch_token(document["token_endpoint"], authorization_response=back, code_verifier=verifier)["id_token"]
        exchange = {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": id_token,
            "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        }
        exchanged = requests.post(app_domain.base_url + "/token", data=exchange, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
        assert exchanged.status_code == 200, exchanged.text
        from joserfc import jwt
        from joserfc.jwk import KeySet

        keys = KeySet.import_key_set(requests.get(app_domain.base_url + "/jwks", timeout=10).json())
        claims = jwt.decode(exchanged.json()["access_token"], keys, algorithms=["ES256"]).claims
        assert claims["sub"] == USER and claims["iss"] == app_domain.base_url
        # An ID token carries identity, not scope: asking for scope on top is down-scoping's refusal.
        widened = requests.post(app_domain.base_url + "/token", data=dict(exchange, scope="read"), auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
        assert widened.status_code == 400 and widened.json()["error"] == "invalid_scope"

        # A tampered ID token is refused.
        tampered = dict(exchange, subject_token=id_token[:-4] + ("AAAA" if not id_token.endswith("AAAA") else "BBBB"))
        refused = requests.post(app_domain.base_url + "/token", data=tampered, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"
    finally:
        app_domain.stop()


def test_the_account_page_withdraws_a_remembered_consent_and_revokes_its_tokens(server, browser, redirect_uri):
    """Consent is remembered per person, client and access: the same request again goes straight
    back to the client; withdrawing it on /account revokes the tokens issued under it (UserInfo 401,
    refresh refused) and the next request asks again."""
    from selenium.webdriver.common.by import By

    document = metadata(server)

    def authorize(name, expect_consent, signed_in):
        client = session(server, redirect_uri)
        verifier = secrets.token_urlsafe(48)
        url, _ = client.create_authorization_url(document["authorization_endpoint"], code_verifier=verifier, nonce=name)
        back = browse_and_approve(server, browser, url, redirect_uri, name, expect_consent=expect_consent, signed_in=signed_in)
        return client, client.fetch_token(document["token_endpoint"], authorization_response=back, code_verifier=verifier)

    authorize("account-first", None, signed_in=False)
    client, token = authorize("account-remembered", False, signed_in=True)
    assert client.get(document["userinfo_endpoint"]).status_code == 200

    browser.get(server.base_url + "/account")
    assert "Your account" in browser.title, page_text(browser)
    entry = browser.find_element(By.XPATH, f"//div[contains(@class, 'consent')][.//dd[text()='{CLIENT_ID}']]")
    assert "openid profile read" in entry.text
    shot(browser, "authcode-account-01-consents")
    click_and_wait(browser, entry.find_element(By.CLASS_NAME, "withdraw").get_attribute("id"))
    assert "Access withdrawn" in browser.find_element(By.ID, "notice").text, page_text(browser)
    assert CLIENT_ID not in [dd.text for dd in browser.find_elements(By.XPATH, "//div[contains(@class, 'consent')]//dd")]
    shot(browser, "authcode-account-02-withdrawn")

    assert client.get(document["userinfo_endpoint"]).status_code == 401
    refreshed = requests.post(
        document["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    authorize("account-asked-again", True, signed_in=True)
