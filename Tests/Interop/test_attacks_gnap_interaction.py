"""Attacks on GNAP interaction (RFC 9635 §4, §11) against a real `tessera serve`: dangerous finish URIs,
SSRF through the push finish, forged and replayed interaction references, cross-site form posts,
open redirects after sign-in, approval by the wrong person, and sign-in with wrong credentials.
The person's side is driven with `requests` (one cookie jar, no redirects followed), the client's side
with the signed Python GNAP client of test_gnap_interop."""

import json
import os
import re

import pytest
import requests
from conftest import TesseraServer, tessera_binary
from test_gnap_interop import Client, b64u, send

pytestmark = pytest.mark.skipif(not os.path.exists(tessera_binary()), reason=f"tessera not built ({tessera_binary()})")

ALICE, BOB = ("alice", "alice-password-1"), ("bob", "bob-password-22")
RIGHT = {"type": "photo-api", "actions": ["read"]}


@pytest.fixture(scope="module")
def server():
    # No outbound_network.allowed_networks: every special-use address is off limits for the push finish.
    server = TesseraServer(
        f"""
users:
  - username: {ALICE[0]}
    password: {ALICE[1]}
  - username: {BOB[0]}
    password: {BOB[1]}
gnap:
  continuation_wait: 0
"""
    )
    yield server
    server.stop()


def gnap_error(response, status, code):
    assert response.status_code == status, (response.status_code, response.text)
    assert response.json()["error"]["code"] == code, response.text
    assert response.headers.get("Cache-Control") == "no-store"


def grant(server, client, interact, user=None):
    body = {"access_token": {"access": [RIGHT]}, "client": {"key": {"proof": "httpsig", "jwk": client.jwk}}, "interact": interact}
    if user:
        body["user"] = {"sub_ids": [{"format": "opaque", "id": user}]}
    return send(client.signed("POST", server.base_url + "/gnap", json.dumps(body).encode()))


def continue_with(client, granted, body=None):
    payload = json.dumps(body).encode() if body is not None else None
    return send(client.signed("POST", granted["continue"]["uri"], payload, token=granted["continue"]["access_token"]["value"]))


def csrf(html):
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    return match.group(1) if match else ""


class Person:
    """A browser: one cookie jar, forms posted with their CSRF token, redirects not followed."""

    def __init__(self, server, who):
        self.base = server.base_url
        self.session = requests.Session()
        page = self.session.get(self.base + "/signin", timeout=10)
        response = self.session.post(
            self.base + "/signin",
            data={"csrf": csrf(page.text), "next": "/device", "username": who[0], "password": who[1]},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 303, response.text

    def decide(self, url, decision="approve_all", token=True):
        path = "/" + url.split("/", 3)[3]
        page = self.session.get(self.base + path, timeout=10)
        data = {"decision": decision}
        shown = re.search(r'name="rights_digest" value="([^"]+)"', page.text)
        if shown:
            data["rights_digest"] = shown.group(1)
        if token:
            # The session's token, from this page or (when it has no form) from the code page.
            data["csrf"] = csrf(page.text) or csrf(self.session.get(self.base + "/device", timeout=10).text)
        return self.session.post(self.base + path, data=data, allow_redirects=False, timeout=10)


@pytest.mark.parametrize(
    "uri",
    [
        "javascript:alert(1)//x", "data:text/html,<script>x</script>", "file:///etc/passwd", "http://evil.example/cb",
        "https://cb.example/#frag", "intent://cb.example/x", "blob:https://cb.example/x", "myapp:/cb", "https:/no-host",
    ],
)
def test_dangerous_redirect_finish_uris_are_refused(server, uri):
    client = Client("attack-finish")
    response = grant(server, client, {"start": ["redirect"], "finish": {"method": "redirect", "uri": uri, "nonce": "n0nce-value-1"}})
    gnap_error(response, 400, "invalid_request")


def test_an_app_scheme_finish_uri_is_accepted(server):
    """RFC 9635 §2.5.2 allows an app-specific scheme; RFC 8252 §7.1 names it after a domain the app controls, reversed,
    with no host (`com.example.app:/cb`). It used to be refused for having no host, though docs/gnap-interaction.md
    promised it."""
    client = Client("app-finish")
    finish = {"method": "redirect", "uri": "com.example.app:/gnap/done", "nonce": "n0nce-value-app"}
    response = grant(server, client, {"start": ["redirect"], "finish": finish})
    assert response.status_code == 200, response.text
    assert "redirect" in response.json()["interact"]


def test_unknown_finish_method_and_hash_method_are_refused(server):
    client = Client("attack-methods")
    finish = {"method": "carrier-pigeon", "uri": "https://cb.example/", "nonce": "n0nce-value-2"}
    gnap_error(grant(server, client, {"start": ["redirect"], "finish": finish}), 400, "invalid_interaction")
    finish = {"method": "redirect", "uri": "https://cb.example/", "nonce": "n0nce-value-3", "hash_method": "md5"}
    gnap_error(grant(server, client, {"start": ["redirect"], "finish": finish}), 400, "invalid_request")


@pytest.mark.parametrize(
    "target",
    ["http://127.0.0.1:9/push", "http://localhost:9/push", "http://169.254.169.254/latest/meta-data/", "http://[::1]:9/push",
     "http://10.0.0.1/push", "http://[::ffff:127.0.0.1]:9/push", "https://127.0.0.1:9/push"],
)
def test_push_finish_to_special_use_addresses_is_never_sent(server, target):
    client = Client("attack-push")
    response = grant(server, client, {"start": ["redirect"], "finish": {"method": "push", "uri": target, "nonce": "n0nce-value-4"}})
    assert response.status_code == 200, response.text
    decided = Person(server, ALICE).decide(response.json()["interact"]["redirect"])
    assert decided.status_code == 502 and "could not be told" in decided.text


def test_forged_and_replayed_interaction_references_are_refused(server):
    client = Client("attack-ref")
    nonce = b64u(os.urandom(12))
    response = grant(server, client, {"start": ["redirect"], "finish": {"method": "redirect", "uri": "https://cb.example/r", "nonce": nonce}})
    granted = response.json()
    # Before any decision: a made-up reference.
    forged = continue_with(client, granted, {"interact_ref": "made-up-reference"})
    gnap_error(forged, 400, "invalid_interaction")
    decided = Person(server, ALICE).decide(granted["interact"]["redirect"])
    assert decided.status_code == 303
    reference = re.search(r"interact_ref=([^&]+)", decided.headers["Location"]).group(1)
    # A poll without the reference does not get the tokens: the client must have had the callback.
    gnap_error(continue_with(client, granted), 400, "invalid_interaction")
    approved = continue_with(client, granted, {"interact_ref": reference})
    assert approved.status_code == 200 and "access_token" in approved.json(), approved.text
    replay = continue_with(client, approved.json(), {"interact_ref": reference})
    gnap_error(replay, 400, "too_many_attempts")
    # The grant is finalized: its continuation is dead.
    gnap_error(continue_with(client, approved.json()), 400, "invalid_continuation")


def test_cross_site_form_posts_without_the_csrf_token_change_nothing(server):
    client = Client("attack-csrf")
    granted = grant(server, client, {"start": ["redirect"]}).json()
    person = Person(server, ALICE)
    refused = person.decide(granted["interact"]["redirect"], token=False)
    assert refused.status_code == 403 and "Form expired" in refused.text
    polled = continue_with(client, granted)
    assert polled.status_code == 200 and "access_token" not in polled.json()


def test_open_redirect_after_sign_in_is_refused(server):
    session = requests.Session()
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "/signin?x=https://evil.example"):
        page = session.get(server.base_url + "/signin", timeout=10)
        response = session.post(
            server.base_url + "/signin",
            data={"csrf": csrf(page.text), "next": target, "username": ALICE[0], "password": ALICE[1]},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 303 and response.headers["Location"] == "/device", (target, response.headers)
        session.post(server.base_url + "/signout", data={"csrf": csrf(session.get(server.base_url + "/device", timeout=10).text)}, timeout=10)


def test_a_grant_routed_to_bob_cannot_be_approved_by_alice(server):
    client = Client("attack-owner")
    granted = grant(server, client, {"start": ["redirect"]}, user=BOB[0]).json()
    refused = Person(server, ALICE).decide(granted["interact"]["redirect"])
    assert refused.status_code == 403 and "another person" in refused.text
    assert "access_token" not in continue_with(client, granted).json()


def test_wrong_passwords_and_unknown_users_do_not_sign_in(server):
    session = requests.Session()
    for username, password in ((ALICE[0], "wrong-password"), ("mallory", "whatever-password"), (ALICE[0], "")):
        page = session.get(server.base_url + "/signin", timeout=10)
        response = session.post(
            server.base_url + "/signin",
            data={"csrf": csrf(page.text), "next": "/device", "username": username, "password": password},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 401 and "Wrong username or password" in response.text
    assert session.get(server.base_url + "/device", allow_redirects=False, timeout=10).status_code == 303
