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
import subprocess
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
        self.server_nonce = response["interact"].get("finish")  # the AS nonce of a redirect finish (RFC 9635 §3.3.5)
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
  interaction:
    lifetime: 86400   # long runs (TESSERA_CRASH_ROUNDS) still approve grants left pending at the first kill
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
        prepared = client.signed("POST", server.base_url + "/gnap", json.dumps(body).encode())
        response = send(prepared)
        assert response.status_code == 200 and "continue" in response.json(), response.text
        grant = PendingGrant(kind, response.json())
        grant.nonce, grant.client, grant.signed_request = nonce, client, prepared  # continuing needs the creating key
        return grant

    def approve(person, grant):
        grant.in_flight = "approve"
        # The form carries the digest of the rights its page showed; a decision is about those rights.
        shown = re.search(r'name="rights_digest" value="([^"]+)"', person.get(grant.interaction).text)
        decided = person.post(grant.interaction, {"decision": "approve_all", "rights_digest": shown.group(1) if shown else ""})
        if grant.kind == "finish":
            assert decided.status_code == 303, (decided.status_code, decided.text[:300])
            returned = parse_qs(urlparse(decided.headers["Location"]).query)
            grant.interact_ref = returned["interact_ref"][0]
            # The client checks the hash before it continues (RFC 9635 §4.2.3).
            hashed = "\n".join([grant.nonce, grant.server_nonce, grant.interact_ref, server.base_url + "/gnap"])
            assert returned["hash"][0] == b64u(hashlib.sha256(hashed.encode()).digest()), returned
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
        # Pending at the kill: the interaction page still decides it, the continuation still collects. A few polled
        # grants are approved out of band instead, with `tessera gnap approve` on the same database.
        out_of_band = [grant for grant in pending if grant.kind == "poll"][:5]
        for grant in pending:
            if grant.kind == "poll":
                poll_pending(grant.client, grant)
            if grant in out_of_band:
                grant_id = grant.continue_uri.rstrip("/").rsplit("/", 1)[1]
                # The approval names the request as listed (its digest), as the consent page's form does.
                listing = subprocess.run(
                    [server.binary(), "gnap", "grants", "--state", "pending", "--data-dir", server.directory],
                    capture_output=True, text=True, timeout=60, check=True,
                ).stdout
                line = next(line for line in listing.splitlines() if line.startswith(grant_id + "\t"))
                digest = next(field for field in line.split("\t") if field.startswith("digest="))[len("digest="):]
                approved_by_cli = subprocess.run(
                    [server.binary(), "gnap", "approve", "--config", str(server.config), "--data-dir", server.directory, grant_id,
                     "--subject", ALICE[0], "--digest", digest],
                    capture_output=True, text=True, timeout=60,
                )
                assert approved_by_cli.returncode == 0, approved_by_cli.stderr
            else:
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
        # A signed request the server answered stays answered: its signature nonce is refused after the restart.
        for grant in grants[:: max(1, len(grants) // 50)]:
            replay = send(grant.signed_request)
            assert replay.status_code == 401 and error_code(replay) == "invalid_client", ("signed request replayed", replay.text)
            assert "nonce was already used" in replay.text, replay.text
        # An interact_ref already used stays used: a replay is refused and finalizes the grant (RFC 9635 §5.1).
        for grant in done + approved + pending:
            if grant.kind == "finish":
                replay = continue_grant(grant.client, grant, {"interact_ref": grant.interact_ref})
                assert error_code(replay) == "too_many_attempts", ("interact_ref accepted twice", replay.text)
        print(
            f"gnap interaction crash safety: {FLOW_ROUNDS} SIGKILL rounds, {len(grants)} grants, {len(done)} collected before a kill, "
            f"{len(approved)} approved and uncollected, {len(pending)} pending ({len(out_of_band)} then approved with `tessera gnap approve`), {len(in_flight)} in flight ({stats['in_flight_retried']} continued on retry, {stats['in_flight_committed']} committed), {stats['polls']} rotating polls, "
            f"{sum(len(g.spent) for g in grants)} spent continuation tokens refused, "
            f"{len(grants[:: max(1, len(grants) // 50)])} signed requests refused on replay (nonce), 0 lost"
        )
    finally:
        server.stop()


# --------------------------------------------------------------------------------------------------------------------
# 2. Authorization code + PKCE (RFC 6749 §4.1, RFC 7636; docs/authorization-code.md)

CODE_CLIENT, CODE_SECRET = "crash-web", "crash-web-secret-0123456789-abcdefghijkl"
CODE_REDIRECT = "http://127.0.0.1:9/cb"  # never contacted: the client reads the code from the Location header
CODE_LIFETIME = 60


class IssuedCode:
    def __init__(self, code, verifier):
        self.code, self.verifier, self.issued_at = code, verifier, time.time()
        self.tokens = None  # the acknowledged token response
        self.in_flight = False


def test_authorization_codes_survive_sigkill_and_stay_single_use():
    """Codes issued under load (the redirect carrying the code reached the client) and then SIGKILL: a code not yet
    redeemed still redeems once after the restart; a code redeemed before the kill stays spent (a replay is refused
    with invalid_grant and, as RFC 6749 §4.1.2 asks, revokes the tokens issued from it); every acknowledged access and
    refresh token is active until then."""
    server = KillableServer()
    server.config.write_text(
        f"""
issuer: {server.base_url}
users:
  - username: {ALICE[0]}
    password: {ALICE[1]}
clients:
  - id: {CODE_CLIENT}
    auth: client_secret_basic
    secret: {CODE_SECRET}
    grant_types: [authorization_code, refresh_token]
    scopes: read write
    redirect_uris: ["{CODE_REDIRECT}"]
"""
    )
    auth = (CODE_CLIENT, CODE_SECRET)
    codes: list[IssuedCode] = []
    errors: list[str] = []
    lock = threading.Lock()

    def issue(person):
        verifier = b64u(os.urandom(32))
        query = {
            "response_type": "code", "client_id": CODE_CLIENT, "redirect_uri": CODE_REDIRECT, "scope": "read",
            "state": b64u(os.urandom(8)), "code_challenge": b64u(hashlib.sha256(verifier.encode()).digest()), "code_challenge_method": "S256",
        }
        held = person.get("/authorize?" + urlencode(query))
        assert held.status_code == 303 and held.headers["Location"].startswith("/authorize/"), (held.status_code, held.text[:300])
        page = person.get(held.headers["Location"])
        if page.status_code == 200:  # no remembered consent yet: the consent page
            page = person.post(held.headers["Location"], {"decision": "approve_all"})
        assert page.status_code == 303 and page.headers["Location"].startswith(CODE_REDIRECT), (page.status_code, page.text[:300])
        parameters = parse_qs(urlparse(page.headers["Location"]).query)
        assert parameters["state"] == [query["state"]], parameters
        return IssuedCode(parameters["code"][0], verifier)

    def redeem(issued):
        form = {"grant_type": "authorization_code", "code": issued.code, "redirect_uri": CODE_REDIRECT, "code_verifier": issued.verifier}
        return requests.post(server.base_url + "/token", data=form, auth=auth, timeout=10)

    def introspect(token):
        return requests.post(server.base_url + "/introspect", data={"token": token}, auth=auth, timeout=10).json()

    try:
        server.start()
        people = [Person(server.base_url, *ALICE) for _ in range(4)]

        def work(stop, index):
            rng = random.Random(index * 104729 + len(codes))
            while not stop.is_set():
                issued = issue(people[index])
                with lock:
                    codes.append(issued)
                if rng.random() < 0.4:
                    continue  # held back: redeemed only after the restart
                issued.in_flight = True
                response = redeem(issued)
                assert response.status_code == 200, response.text
                issued.tokens, issued.in_flight = response.json(), False

        run_rounds(server, FLOW_ROUNDS, len(people), work, errors)
        redeemed = [issued for issued in codes if issued.tokens is not None]
        held = [issued for issued in codes if issued.tokens is None and not issued.in_flight]
        in_flight = [issued for issued in codes if issued.in_flight]
        assert len(redeemed) > FLOW_ROUNDS and len(held) > FLOW_ROUNDS, (len(redeemed), len(held))

        for issued in redeemed:
            for kind in ("access_token", "refresh_token"):
                assert introspect(issued.tokens[kind])["active"] is True, ("acknowledged token lost", kind)
        fresh = 0
        for issued in held:
            response = redeem(issued)
            if time.time() - issued.issued_at < CODE_LIFETIME - 5:
                assert response.status_code == 200, ("acknowledged code lost", response.text)
                issued.tokens = response.json()
                assert introspect(issued.tokens["access_token"])["active"] is True
                fresh += 1
            else:  # a long run (many rounds) outlived the code: it must then be refused, never half-accepted
                assert response.status_code == 400 and response.json()["error"] == "invalid_grant", response.text
        for issued in in_flight:
            # The redemption may have committed with its response lost: refused as a replay then, else redeemed now.
            response = redeem(issued)
            assert response.status_code == 200 or response.json()["error"] == "invalid_grant", response.text
        # Single use survives the crash: every redeemed code is refused again, and the replay revokes its tokens.
        for issued in redeemed + [issued for issued in held if issued.tokens is not None]:
            replay = redeem(issued)
            assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant", ("code redeemed twice", replay.text)
            assert introspect(issued.tokens["access_token"])["active"] is False, "a replayed code's access token stayed active"
            assert introspect(issued.tokens["refresh_token"])["active"] is False, "a replayed code's refresh token stayed active"
        print(
            f"authorization code crash safety: {FLOW_ROUNDS} SIGKILL rounds, {len(codes)} codes issued, {len(redeemed)} redeemed before a kill "
            f"(tokens active, replay refused), {fresh} held across a kill and redeemed once after, {len(in_flight)} in flight, 0 lost"
        )
    finally:
        server.stop()


# --------------------------------------------------------------------------------------------------------------------
# 3. Chaining: token exchange (RFC 8693) and the jwt-bearer grant (RFC 7523 §2.1; docs/chaining.md)

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
PEER_ISSUER = "https://peer-as.crash"
CHAIN_CLIENT, CHAIN_SECRET = "crash-chain", "crash-chain-secret-0123456789-abcdefghij"


def test_chained_tokens_survive_sigkill_and_jwt_grants_stay_single_use():
    """Token exchange and jwt-bearer redemption under load, SIGKILL, restart: every token whose response arrived
    (the client-credentials subject token, the exchanged token, the token a JWT grant was redeemed for) introspects
    active, and every JWT grant redeemed before a kill is refused again afterwards (its `jti` stays used)."""
    from joserfc import jwt
    from joserfc.jwk import ECKey

    peer_key = ECKey.generate_key("P-256", parameters={"kid": "peer-1", "alg": "ES256"}, private=True)
    server = KillableServer()
    server.config.write_text(
        f"""
issuer: {server.base_url}
clients:
  - id: {CHAIN_CLIENT}
    auth: client_secret_basic
    secret: {CHAIN_SECRET}
    grant_types: [client_credentials, "{EXCHANGE}", "{JWT_BEARER}"]
    scopes: read write
chaining:
  maximum_grant_lifetime: 3600   # long runs replay grants well inside their lifetime, so a refusal is for the jti
  peers:
    - name: peer
      issuer: {PEER_ISSUER}
      jwks: '{json.dumps({"keys": [peer_key.as_dict(private=False)]})}'
      algorithms: [ES256]
      scopes: read
"""
    )
    auth = (CHAIN_CLIENT, CHAIN_SECRET)
    tokens: list[str] = []
    redeemed: list[str] = []  # JWT grants whose redemption was acknowledged
    in_flight: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()

    def post(**form):
        return requests.post(server.base_url + "/token", data=form, auth=auth, timeout=10)

    def peer_grant():
        now = int(time.time())
        claims = {"iss": PEER_ISSUER, "sub": f"user-{uuid.uuid4().hex[:8]}", "aud": server.base_url, "iat": now, "exp": now + 3000,
                  "jti": str(uuid.uuid4()), "scope": "read"}
        return jwt.encode({"alg": "ES256", "kid": "peer-1", "typ": "JWT"}, claims, peer_key)

    def introspect(token):
        return requests.post(server.base_url + "/introspect", data={"token": token}, auth=auth, timeout=10).json()

    try:
        server.start()

        def work(stop, index):
            while not stop.is_set():
                subject = post(grant_type="client_credentials", scope="read write")
                assert subject.status_code == 200, subject.text
                with lock:
                    tokens.append(subject.json()["access_token"])
                exchanged = post(grant_type=EXCHANGE, subject_token=subject.json()["access_token"], subject_token_type=ACCESS_TOKEN_TYPE,
                                 scope="read", requested_token_type=ACCESS_TOKEN_TYPE)
                assert exchanged.status_code == 200, exchanged.text
                with lock:
                    tokens.append(exchanged.json()["access_token"])
                grant = peer_grant()
                with lock:
                    in_flight.append(grant)
                response = post(grant_type=JWT_BEARER, assertion=grant)
                assert response.status_code == 200, response.text
                with lock:
                    in_flight.remove(grant)
                    redeemed.append(grant)
                    tokens.append(response.json()["access_token"])

        run_rounds(server, FLOW_ROUNDS, 4, work, errors)
        assert len(redeemed) > FLOW_ROUNDS, len(redeemed)
        for token in tokens:
            assert introspect(token)["active"] is True, "acknowledged chained token lost"
        for grant in redeemed:
            replay = post(grant_type=JWT_BEARER, assertion=grant)
            assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant", ("JWT grant redeemed twice", replay.text)
            assert "already used" in replay.json()["error_description"], replay.text
        for grant in in_flight:
            # Redeemed or only spent before the kill (the response never arrived): refused as used; else redeemed now.
            retry = post(grant_type=JWT_BEARER, assertion=grant)
            assert retry.status_code == 200 or retry.json()["error"] == "invalid_grant", retry.text
        fresh = post(grant_type=JWT_BEARER, assertion=peer_grant())
        assert fresh.status_code == 200, fresh.text  # the refusals above are about the jti, not the peer or its key
        print(
            f"chaining crash safety: {FLOW_ROUNDS} SIGKILL rounds, {len(tokens)} acknowledged tokens active "
            f"(client credentials, exchanged, jwt-bearer), {len(redeemed)} redeemed JWT grants refused on replay, {len(in_flight)} in flight, 0 lost"
        )
    finally:
        server.stop()


# --------------------------------------------------------------------------------------------------------------------
# 4. Client challenges (draft-kahrer-oauth-client-challenge-protocol; docs/client-challenge.md) and DPoP proofs
#    (RFC 9449 §11.1: a proof's jti is accepted once within its window)

CHALLENGE_ISSUER = "https://as.crash-challenge.interop"
ATTESTATION = "urn:tessera:params:client-challenge:client-attestation"


def test_challenge_sessions_and_dpop_proofs_stay_single_use_across_sigkill():
    """Agents known by their Client ID Metadata Document are challenged for an attestation on every token request,
    each request proven with DPoP. Under load and SIGKILL: a challenge session whose 403 reached the agent and was
    not yet answered is answered once after the restart (a second answer is refused); a session answered before the
    kill stays used; every DPoP proof whose request was answered (200 or the 403 challenge) is refused as a replay
    after the restart (`proof_window` 600 s, so the refusal is for the `jti`, not the age); every acknowledged token is
    active and DPoP-bound."""
    from joserfc import jwt
    from joserfc.jwk import ECKey
    from test_client_challenge_interop import ASSERTION_TYPE, DocumentServer
    from test_dpop_interop import proof

    documents = DocumentServer()
    server = KillableServer()
    token_endpoint = CHALLENGE_ISSUER + "/token"  # the htu every proof must carry: derived from the issuer
    server.config.write_text(
        f"""
issuer: {CHALLENGE_ISSUER}
outbound_network:
  allowed_networks: ["127.0.0.1/32"]
client_id_metadata_documents:
  enabled: true
  allow_http: true
  allowed_grant_types: [client_credentials]
  allowed_scopes: [payments]
dpop:
  proof_window: 600
client_challenges:
  session_lifetime: 3600
  policy: |
    @challenge("{ATTESTATION}")
    forbid(principal, action, resource) when {{ context.metadata_document_client && context.client_age_seconds < 86400 }};
"""
    )

    class Agent:
        def __init__(self, index):
            self.key = ECKey.generate_key("P-256", parameters={"kid": "agent-1", "alg": "ES256"}, private=True)
            self.dpop = ECKey.generate_key("P-256", private=True)
            self.id = documents.base + f"/crash-agents/{index}.json"
            documents.put(f"/crash-agents/{index}.json", {
                "client_id": self.id, "client_name": f"crash agent {index}", "token_endpoint_auth_method": "private_key_jwt",
                "grant_types": ["client_credentials"], "scope": "payments", "jwks": {"keys": [self.key.as_dict(private=False)]},
                "insufficient_client_authorization_supported": True,
            })

        def signed(self, **claims):
            now = int(time.time())
            return jwt.encode({"alg": "ES256", "kid": "agent-1"},
                              {"iss": self.id, "sub": self.id, "aud": CHALLENGE_ISSUER, "jti": str(uuid.uuid4()), "iat": now, "exp": now + 60, **claims},
                              self.key)

        def token(self, dpop_proof=None, endpoint="/token", **extra):
            form = {"grant_type": "client_credentials", "scope": "payments", "client_id": self.id,
                    "client_assertion_type": ASSERTION_TYPE, "client_assertion": self.signed(), **extra}
            dpop_proof = dpop_proof or proof(self.dpop, "POST", token_endpoint)
            return dpop_proof, requests.post(server.base_url + endpoint, data=form, headers={"DPoP": dpop_proof}, timeout=10)

        def answer(self, challenge, dpop_proof=None):
            evidence = self.signed(nonce=challenge["authorization_requirement"]["nonce"])
            return self.token(dpop_proof, challenge_session=challenge["challenge_session"], challenge_evidence=evidence)

        def introspect(self, token):
            form = {"token": token, "client_id": self.id, "client_assertion_type": ASSERTION_TYPE,
                    "client_assertion": jwt.encode({"alg": "ES256", "kid": "agent-1"}, {
                        "iss": self.id, "sub": self.id, "aud": CHALLENGE_ISSUER, "jti": str(uuid.uuid4()),
                        "iat": int(time.time()), "exp": int(time.time()) + 60}, self.key)}
            return requests.post(server.base_url + "/introspect", data=form, timeout=10)

    agents = [Agent(index) for index in range(4)]
    held: list[tuple] = []  # (agent, challenge) acknowledged, not answered before the kill
    used: list[tuple] = []  # (agent, challenge) answered with an acknowledged 200
    in_flight: list[tuple] = []
    proofs: list[tuple] = []  # (agent, proof, sent at) whose request was answered
    tokens: list[tuple] = []  # (agent, access token)
    errors: list[str] = []
    lock = threading.Lock()

    try:
        server.start()

        def work(stop, index):
            agent = agents[index]
            rng = random.Random(index * 31337 + len(proofs))
            while not stop.is_set():
                sent, challenged = agent.token()
                assert challenged.status_code == 403 and challenged.json()["error"] == "insufficient_client_authorization", challenged.text
                challenge = challenged.json()
                with lock:
                    proofs.append((agent, sent, time.time()))
                if rng.random() < 0.4:
                    with lock:
                        held.append((agent, challenge))
                    continue
                with lock:
                    in_flight.append((agent, challenge))
                sent, answered = agent.answer(challenge)
                assert answered.status_code == 200 and answered.json()["token_type"] == "DPoP", answered.text
                with lock:
                    in_flight.remove((agent, challenge))
                    used.append((agent, challenge))
                    proofs.append((agent, sent, time.time()))
                    tokens.append((agent, answered.json()["access_token"]))

        run_rounds(server, FLOW_ROUNDS, len(agents), work, errors)
        assert len(held) > FLOW_ROUNDS and len(used) > FLOW_ROUNDS, (len(held), len(used))

        for agent, token in tokens:
            introspection = agent.introspect(token)
            assert introspection.status_code == 200, introspection.text
            assert introspection.json()["active"] is True and introspection.json()["cnf"]["jkt"], ("acknowledged token lost", introspection.text)
        for agent, sent, at in proofs:
            _, replay = agent.token(dpop_proof=sent)
            assert replay.status_code == 400 and replay.json()["error"] == "invalid_dpop_proof", ("DPoP proof accepted twice", replay.text)
            if time.time() - at < 590:  # inside proof_window: refused for its jti, not its age
                assert "already used" in replay.json()["error_description"], replay.text
        for agent, challenge in used:
            _, replay = agent.answer(challenge)
            assert replay.status_code == 400 and replay.json()["error"] == "unauthorized_client", ("challenge session used twice", replay.text)
            assert "already used" in replay.json()["error_description"], replay.text
        for agent, challenge in held:
            _, answered = agent.answer(challenge)
            assert answered.status_code == 200 and answered.json()["token_type"] == "DPoP", ("acknowledged challenge session lost", answered.text)
            assert agent.introspect(answered.json()["access_token"]).json()["active"] is True
            _, again = agent.answer(challenge)
            assert again.status_code == 400 and "already used" in again.json()["error_description"], again.text
        for agent, challenge in in_flight:
            _, retry = agent.answer(challenge)
            assert retry.status_code == 200 or retry.json()["error"] == "unauthorized_client", retry.text
        print(
            f"challenge/DPoP crash safety: {FLOW_ROUNDS} SIGKILL rounds, {len(held)} sessions held across a kill and answered once after, "
            f"{len(used)} used sessions refused again, {len(proofs)} acknowledged DPoP proofs refused on replay, {len(tokens)} DPoP-bound tokens active, "
            f"{len(in_flight)} in flight, 0 lost"
        )
    finally:
        server.stop()
        documents.stop()


def test_dpop_server_nonces_across_sigkill():
    """DPoP server nonces (RFC 9449 §8) are stateless HMACs. With `dpop.nonce_secret` configured, a nonce handed out
    before a SIGKILL is still accepted after the restart; without it (a random secret per process) the old nonce is
    answered with `use_dpop_nonce` and a fresh `DPoP-Nonce`, with which the client's retry succeeds: a round trip,
    never a lost request."""
    from joserfc.jwk import ECKey
    from test_dpop_interop import proof

    key = ECKey.generate_key("P-256", private=True)
    secret = b64u(os.urandom(32))
    for configured in (True, False):
        server = KillableServer()
        server.config.write_text(
            f"""
issuer: {server.base_url}
clients:
  - id: crash-dpop
    auth: client_secret_basic
    secret: {CHAIN_SECRET}
    grant_types: [client_credentials]
    scopes: read
dpop:
  require_nonce: true
"""
            + (f"  nonce_secret: \"{secret}\"\n" if configured else "")
        )
        url = server.base_url + "/token"

        def token(nonce=None):
            return requests.post(url, data={"grant_type": "client_credentials", "scope": "read"}, auth=("crash-dpop", CHAIN_SECRET),
                                 headers={"DPoP": proof(key, "POST", url, nonce=nonce)}, timeout=10)

        try:
            server.start()
            first = token()
            assert first.status_code == 400 and first.json()["error"] == "use_dpop_nonce", first.text
            nonce = first.headers["DPoP-Nonce"]
            assert token(nonce).status_code == 200
            server.kill()
            server.start()
            after = token(nonce)
            if configured:
                assert after.status_code == 200, after.text
            else:
                assert after.status_code == 400 and after.json()["error"] == "use_dpop_nonce", after.text
                retry = token(after.headers["DPoP-Nonce"])
                assert retry.status_code == 200 and retry.json()["token_type"] == "DPoP", retry.text
        finally:
            server.stop()
