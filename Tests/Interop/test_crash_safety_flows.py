"""Crash safety for the flows that keep state between requests: GNAP continuation and interaction, the
authorization code flow with PKCE, chaining (token exchange, jwt-bearer), client challenges and DPoP proofs.

Same method as test_crash_safety.py: a real `tessera serve` on a SQLite data directory, concurrent client threads,
SIGKILL after a short burst of load, restart on the same directory, repeated; then every item whose response reached
a client is checked. A step whose request was in flight at a kill is excluded from the strict checks (the server may
have committed it and lost only the response) but must leave the grant, code or session in a correct final state.
Single-use values the server acknowledged (continuation tokens, interact_refs, codes, JWT grant `jti`s, challenge
sessions, DPoP proof `jti`s) must stay used after the restart.

Rounds: TESSERA_CRASH_ROUNDS (default 4; each test here runs half of them, at least 2). docs/ROBUSTNESS.md records
the figures.
"""
import base64
import hashlib
import json
import os
import random
import re
import threading
import time
import uuid
from urllib.parse import parse_qs, urlencode, urlparse

import requests

from test_crash_safety import ROUNDS, KillableServer

FLOW_ROUNDS = max(2, ROUNDS // 2)
LOAD_SECONDS = 1.5
TRANSPORT_ERRORS = (requests.ConnectionError, requests.Timeout)


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def error_code(response) -> str:
    try:
        error = response.json().get("error")
    except ValueError:
        return f"HTTP {response.status_code} (not JSON)"
    return error.get("code") if isinstance(error, dict) else error


def run_rounds(server, rounds, workers, work, errors):
    """`rounds` times: start `workers` threads running `work(stop, index)`, SIGKILL the server after LOAD_SECONDS,
    restart it on the same directory. `work` returns when the server dies under it."""
    for _ in range(rounds):
        stop = threading.Event()

        def guarded(index):
            try:
                work(stop, index)
            except TRANSPORT_ERRORS:
                pass  # the server died under us; whatever was in flight stays marked
            except Exception as error:  # an assertion in a worker must fail the test, not vanish with the thread
                errors.append(repr(error))

        threads = [threading.Thread(target=guarded, args=(index,)) for index in range(workers)]
        for thread in threads:
            thread.start()
        time.sleep(LOAD_SECONDS)
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        server.start()
    assert errors == [], errors[:5]


class Person:
    """A browser signed in once: the session row is durable, so its cookie keeps working across restarts."""

    def __init__(self, base_url, username, password):
        self.base = base_url
        session = requests.Session()
        page = session.get(self.base + "/signin", timeout=10)
        response = session.post(
            self.base + "/signin",
            data={"csrf": csrf_of(page.text), "next": "/device", "username": username, "password": password},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 303, response.text
        self.cookies = session.cookies.get_dict()
        self.csrf = csrf_of(session.get(self.base + "/device", timeout=10).text)

    def get(self, path_or_url, **kwargs):
        return requests.get(self.url(path_or_url), cookies=self.cookies, allow_redirects=False, timeout=10, **kwargs)

    def post(self, path_or_url, data, **kwargs):
        return requests.post(self.url(path_or_url), data={"csrf": self.csrf, **data}, cookies=self.cookies, allow_redirects=False, timeout=10, **kwargs)

    def url(self, path_or_url):
        return path_or_url if path_or_url.startswith("http") else self.base + path_or_url


# --------------------------------------------------------------------------------------------------------------------
# 1. GNAP continuation and interaction (RFC 9635 §4, §5)

GNAP_RIGHT = {"type": "photo-api", "actions": ["read"], "locations": ["https://rs.example/"]}
FINISH_URI = "https://client.example/finished"
ALICE = ("alice", "alice-crash-password-1")


class PendingGrant:
    """One interactive grant as its client knows it: the last continuation the server acknowledged, the tokens it
    handed over, the continuation tokens it replaced (spent), and the step in flight, if any."""

    def __init__(self, kind, response):
        self.kind = kind  # "finish": redirect finish + interact_ref; "poll": no finish, the client polls
        self.continue_uri = response["continue"]["uri"]
        self.continuation = response["continue"]["access_token"]["value"]
        self.interaction = response["interact"]["redirect"]
        self.nonce = None
        self.stage = "pending"  # → "approved" (the person's decision acknowledged) → "done" (tokens acknowledged)
        self.interact_ref = None
        self.spent: list[str] = []
        self.tokens: list[str] = []
        self.in_flight = None  # "approve" | "continue"
        self.collected_with = None  # the continuation token spent by the call that returned the tokens

    def rotate(self, body):
        self.spent.append(self.continuation)
        self.continuation = body["continue"]["access_token"]["value"]
        self.continue_uri = body["continue"]["uri"]


def gnap_tokens(body):
    tokens = body.get("access_token")
    if tokens is None:
        return []
    return [token["value"] for token in (tokens if isinstance(tokens, list) else [tokens])]


def test_pending_gnap_grants_survive_sigkill_between_approval_and_collection():
    """Interactive GNAP grants under load: created pending, approved on the interaction pages, collected with the
    interact_ref (redirect finish) or by polling (no finish, the continuation token rotating on every poll). After
    each SIGKILL and restart: every acknowledged token is active at /gnap/introspect, every acknowledged continuation
    token still continues (a pending grant can still be approved and collected, an approved one collected), every
    replaced continuation token stays spent, and an interact_ref already used stays used."""
    from test_gnap_interop import Client, send

    rs = Client("crash-flows-rs")
    server = KillableServer()
    server.config.write_text(
        f"""
issuer: {server.base_url}
users:
  - username: {ALICE[0]}
    password: {ALICE[1]}
gnap:
  continuation_wait: 0
  resource_servers:
    - id: crash-rs
      key: {{"proof": "httpsig", "jwk": {json.dumps(rs.jwk)}}}
      audiences: ["https://rs.example/"]
"""
    )
    grants: list[PendingGrant] = []
    errors: list[str] = []
    lock = threading.Lock()
    stats = {"polls": 0, "in_flight_retried": 0, "in_flight_committed": 0}
    clients = [Client(f"crash-flows-agent-{index}") for index in range(4)]

    def create(client, kind):
        interact = {"start": ["redirect"]}
        nonce = b64u(os.urandom(12))
        if kind == "finish":
            interact["finish"] = {"method": "redirect", "uri": FINISH_URI, "nonce": nonce}
        body = {"access_token": {"access": [GNAP_RIGHT]}, "client": {"key": {"proof": "httpsig", "jwk": client.jwk}}, "interact": interact}
        response = send(client.signed("POST", server.base_url + "/gnap", json.dumps(body).encode()))
        assert response.status_code == 200 and "continue" in response.json(), response.text
        grant = PendingGrant(kind, response.json())
        grant.nonce, grant.client = nonce, client  # continuing needs the key that created the grant
        return grant

    def approve(person, grant):
        grant.in_flight = "approve"
        decided = person.post(grant.interaction, {"decision": "approve_all"})
        if grant.kind == "finish":
            assert decided.status_code == 303, (decided.status_code, decided.text[:300])
            grant.interact_ref = parse_qs(urlparse(decided.headers["Location"]).query)["interact_ref"][0]
        else:
            assert decided.status_code == 200 and "Done" in decided.text, (decided.status_code, decided.text[:300])
        grant.stage, grant.in_flight = "approved", None

    def continue_grant(client, grant, body=None):
        payload = json.dumps(body).encode() if body is not None else None
        return send(client.signed("POST", grant.continue_uri, payload, token=grant.continuation))

    def collect(client, grant):
        grant.in_flight = "continue"
        presented = grant.continuation
        response = continue_grant(client, grant, {"interact_ref": grant.interact_ref} if grant.kind == "finish" else None)
        assert response.status_code == 200, response.text
        body = response.json()
        assert gnap_tokens(body), body
        grant.rotate(body)
        grant.tokens, grant.collected_with, grant.stage, grant.in_flight = gnap_tokens(body), presented, "done", None

    def poll_pending(client, grant):
        grant.in_flight = "continue"
        response = continue_grant(client, grant)
        assert response.status_code == 200 and "access_token" not in response.json(), response.text
        grant.rotate(response.json())
        grant.in_flight = None
        with lock:
            stats["polls"] += 1

    try:
        server.start()
        people = [Person(server.base_url, *ALICE) for _ in clients]

        def work(stop, index):
            client, person = clients[index], people[index]
            rng = random.Random(index * 7919 + len(grants))
            while not stop.is_set():
                kind = "finish" if rng.random() < 0.5 else "poll"
                grant = create(client, kind)
                with lock:
                    grants.append(grant)
                if rng.random() < 0.15:
                    continue  # left pending: approved only after the restart
                if kind == "poll":
                    for _ in range(rng.randint(1, 2)):
                        poll_pending(client, grant)
                approve(person, grant)
                if rng.random() < 0.25:
                    continue  # approved, never collected before the kill: the case the restart must not lose
                collect(client, grant)

        run_rounds(server, FLOW_ROUNDS, len(clients), work, errors)
        # The sessions signed in before the kills still work (their rows are durable).

        def introspect(token):
            body = json.dumps({"access_token": token, "resource_server": "crash-rs"}).encode()
            return send(rs.signed("POST", server.base_url + "/gnap/introspect", body))

        done = [grant for grant in grants if grant.stage == "done" and grant.in_flight is None]
        approved = [grant for grant in grants if grant.stage == "approved" and grant.in_flight is None]
        pending = [grant for grant in grants if grant.stage == "pending" and grant.in_flight is None]
        in_flight = [grant for grant in grants if grant.in_flight is not None]
        assert len(done) > FLOW_ROUNDS and len(approved) > 0 and len(pending) > 0, (len(done), len(approved), len(pending))

        # Every token a client received is active.
        for grant in done:
            for token in grant.tokens:
                introspection = introspect(token)
                assert introspection.status_code == 200 and introspection.json()["active"] is True, ("acknowledged GNAP token lost", introspection.text)
        # Every continuation token a later acknowledged response replaced stays spent.
        for grant in grants:
            for spent in grant.spent:
                replay = send(grant.client.signed("POST", grant.continue_uri, token=spent))
                assert replay.status_code in (400, 401) and error_code(replay) == "invalid_continuation", ("spent continuation token accepted", replay.text)
        # Approved before the kill, never collected: the acknowledged continuation token and interact_ref still work.
        for grant in approved:
            collect(grant.client, grant)
        # Pending at the kill: the interaction page still decides it, the continuation still collects.
        for grant in pending:
            if grant.kind == "poll":
                poll_pending(grant.client, grant)
            approve(people[0], grant)
            collect(grant.client, grant)
        for grant in approved + pending:
            for token in grant.tokens:
                assert introspect(token).json()["active"] is True
        # In flight at a kill: whatever the server committed, the grant answers from a correct state (never a 5xx).
        for grant in in_flight:
            if grant.in_flight == "approve":
                page = people[0].get(grant.interaction)
                assert page.status_code < 500, page.text[:300]
            else:
                retry = continue_grant(grant.client, grant, {"interact_ref": grant.interact_ref} if grant.interact_ref else None)
                if retry.status_code == 200:
                    stats["in_flight_retried"] += 1
                    for token in gnap_tokens(retry.json()):
                        assert introspect(token).json()["active"] is True
                else:
                    stats["in_flight_committed"] += 1
                    # Committed before the kill: the acknowledged token was rotated away by a response that was lost.
                    assert error_code(retry) == "invalid_continuation", ("half-written continuation", retry.status_code, retry.text)
        # An interact_ref already used stays used: a replay is refused and finalizes the grant (RFC 9635 §5.1).
        for grant in done + approved + pending:
            if grant.kind == "finish":
                replay = continue_grant(grant.client, grant, {"interact_ref": grant.interact_ref})
                assert error_code(replay) == "too_many_attempts", ("interact_ref accepted twice", replay.text)
        print(
            f"gnap interaction crash safety: {FLOW_ROUNDS} SIGKILL rounds, {len(grants)} grants, {len(done)} collected before a kill, "
            f"{len(approved)} approved and uncollected, {len(pending)} pending, {len(in_flight)} in flight ({stats['in_flight_retried']} continued on retry, {stats['in_flight_committed']} committed), {stats['polls']} rotating polls, "
            f"{sum(len(g.spent) for g in grants)} spent continuation tokens refused, 0 lost"
        )
    finally:
        server.stop()
