"""The interaction pages of an issuer with a path (`http://127.0.0.1:PORT/tenant1`) stay below that path.

Every endpoint of such an issuer lives below its path (RFC 8414 §2, §3.1; docs/mcp.md, "Issuers
with a path"): a deployment that puts several issuers behind one host routes by that path, so a
page that links to `/signin`, posts to `/authorize/ID` or loads `/assets/tessera.css` at the root
sends the person to another tenant (or nowhere). This walks a person through every page the way a
browser does — sign-in, OAuth consent, approval, the user-code page, a GNAP interaction, the
account page and both withdraw buttons, sign-out — and checks every `href`, `action`, `src` and
every `Location` that is not the client's own redirect URI.
"""

import base64
import hashlib
import json
import os
import re
import secrets
import socket
from urllib.parse import urlencode, urlparse

import pytest
import requests
from conftest import TesseraServer, tessera_binary
from test_gnap_interop import Client, send

pytestmark = pytest.mark.skipif(not os.path.exists(tessera_binary()), reason=f"tessera not built ({tessera_binary()})")

TENANT = "/tenant1"
USER, PASSWORD = "mona", "mona-password-1"
CLIENT_ID = "page-links-client"
REDIRECT_URI = "http://127.0.0.1:33419/callback"
LINK = re.compile(r'\b(?:href|action|src)="([^"]*)"')


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def tenant():
    port = free_port()
    issuer = f"http://127.0.0.1:{port}{TENANT}"
    server = TesseraServer(
        f"""
issuer: {issuer}
users:
  - {{username: {USER}, password: {PASSWORD}, display_name: Mona}}
clients:
  - id: {CLIENT_ID}
    auth: none
    grant_types: [authorization_code]
    scopes: read
    redirect_uris: ["{REDIRECT_URI}"]
gnap:
  continuation_wait: 0
""",
        port=port,
    )
    server.issuer = issuer
    yield server
    server.stop()


def csrf(html):
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


class Browser:
    """One cookie jar, redirects not followed; every page and every redirect is checked as it arrives."""

    def __init__(self, tenant):
        self.origin = tenant.base_url
        self.session = requests.Session()
        self.seen = []

    def url(self, target):
        return target if "://" in target else self.origin + target

    def check(self, response):
        if response.status_code in (302, 303):
            location = response.headers["Location"]
            if not location.startswith(REDIRECT_URI):
                self.seen.append(("Location", location))
                assert location.startswith(TENANT + "/"), (response.request.url, location)
        if response.headers.get("Content-Type", "").startswith("text/html"):
            links = LINK.findall(response.text)
            self.seen.extend((response.request.url, link) for link in links)
            outside = [link for link in links if not link.startswith(TENANT + "/")]
            assert not outside, (response.request.url, outside)
        return response

    def get(self, target):
        return self.check(self.session.get(self.url(target), allow_redirects=False, timeout=10))

    def post(self, target, data):
        return self.check(self.session.post(self.url(target), data=data, allow_redirects=False, timeout=10))

    @staticmethod
    def action(html, prefix):
        """The action of the form whose action starts with `prefix` (below the tenant)."""
        match = re.search(r'action="(' + re.escape(TENANT + prefix) + r'[^"]*)"', html)
        assert match, html
        return match.group(1)


def authorization_url(tenant):
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "read",
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return tenant.issuer + "/authorize?" + urlencode(query)


def test_every_link_and_redirect_of_the_pages_stays_below_the_issuer_path(tenant):
    browser = Browser(tenant)
    # OAuth: the authorization endpoint below the path holds the request and sends the person to sign in.
    held = browser.get(authorization_url(tenant))
    assert held.status_code == 303, held.text
    to_sign_in = browser.get(held.headers["Location"])
    assert to_sign_in.status_code == 303, to_sign_in.text
    sign_in = browser.get(to_sign_in.headers["Location"])
    assert sign_in.status_code == 200, sign_in.text
    form = dict(re.findall(r'name="(next|csrf)" value="([^"]*)"', sign_in.text))
    signed_in = browser.post(
        browser.action(sign_in.text, "/signin"), {**form, "username": USER, "password": PASSWORD}
    )
    assert signed_in.status_code == 303, signed_in.text
    consent = browser.get(signed_in.headers["Location"])
    assert consent.status_code == 200, consent.text
    approved = browser.post(browser.action(consent.text, "/authorize/"), {"csrf": csrf(consent.text), "decision": "approve_all"})
    assert approved.status_code == 303 and approved.headers["Location"].startswith(REDIRECT_URI), approved.text
    assert f"iss={requests.utils.quote(tenant.issuer, safe='')}" in approved.headers["Location"]

    # GNAP: the interaction URL and the user-code page of the grant response are below the path too.
    client = Client("page-links-instance")
    body = {
        "access_token": {"access": [{"type": "photo-api", "actions": ["read"]}]},
        "client": {"key": {"proof": "httpsig", "jwk": client.jwk}},
        "interact": {"start": ["redirect", "user_code_uri"]},
    }
    granted = send(client.signed("POST", tenant.issuer + "/gnap", json.dumps(body).encode()))
    assert granted.status_code == 200, granted.text
    interact = granted.json()["interact"]
    assert interact["redirect"].startswith(tenant.issuer + "/"), interact
    assert interact["user_code_uri"]["uri"].startswith(tenant.issuer + "/"), interact
    device = browser.get(urlparse(interact["user_code_uri"]["uri"]).path)
    assert device.status_code == 200, device.text
    entered = browser.post(browser.action(device.text, "/device"), {"csrf": csrf(device.text), "user_code": interact["user_code_uri"]["code"]})
    assert entered.status_code == 303, entered.text
    gnap_consent = browser.get(entered.headers["Location"])
    assert gnap_consent.status_code == 200, gnap_consent.text
    digest = re.search(r'name="rights_digest" value="([^"]+)"', gnap_consent.text).group(1)
    decided = browser.post(
        browser.action(gnap_consent.text, "/interact/"),
        {"csrf": csrf(gnap_consent.text), "decision": "approve_all", "rights_digest": digest},
    )
    assert decided.status_code == 200, decided.text

    # A person who is not signed in yet, sent to the interaction URL, is sent to the sign-in page below the path.
    stranger = Browser(tenant)
    held_interaction = stranger.get(urlparse(interact["redirect"]).path)
    assert held_interaction.status_code == 303, held_interaction.text
    assert held_interaction.headers["Location"].startswith(TENANT + "/signin?next="), held_interaction.headers

    # The account page lists the OAuth consent and the GNAP grant; both withdraw buttons stay below the path.
    account = browser.get(TENANT + "/account")
    assert account.status_code == 200, account.text
    withdrawn = browser.post(browser.action(account.text, "/account/consents/"), {"csrf": csrf(account.text)})
    assert withdrawn.status_code == 200, withdrawn.text
    withdrawn = browser.post(browser.action(withdrawn.text, "/account/grants/"), {"csrf": csrf(withdrawn.text)})
    assert withdrawn.status_code == 200, withdrawn.text

    # The stylesheet the pages name is served where they name it; signing out lands on the sign-in page below the path.
    stylesheet = [link for _, link in browser.seen if link.endswith(".css")]
    assert stylesheet and browser.session.get(browser.origin + stylesheet[0], timeout=10).status_code == 200
    signed_out = browser.post(browser.action(withdrawn.text, "/signout"), {"csrf": csrf(withdrawn.text)})
    assert signed_out.status_code == 303, signed_out.text
    # Every kind of link was seen, so the checks above had something to check.
    assert {"/signin", "/authorize/", "/device", "/interact/", "/account", "/signout"} <= {
        kind for kind in ("/signin", "/authorize/", "/device", "/interact/", "/account", "/signout") if any(kind in link for _, link in browser.seen)
    }
