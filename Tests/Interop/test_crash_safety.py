"""Crash safety: `tessera serve` is killed with SIGKILL in the middle of token traffic from concurrent clients, several
times, and restarted on the same data directory. Every token whose response reached a client must still be valid
afterwards: the access token introspects active and the refresh token rotates. A chain whose last request was in
flight at the kill is excluded from the refresh check (the server may have committed a rotation the client never saw;
its older refresh token then counts as used, which RFC 9700 §4.14.2 requires), but its last acknowledged access token
must still be active.

Uses TESSERA_RELEASE_BIN when set (scripts/bench builds one), else the binary the other suites use.
docs/ROBUSTNESS.md records the rounds.
"""
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import tessera_binary

SECRET = "crash-secret-crash-secret-0123456789abcd"
ROUNDS = int(os.environ.get("TESSERA_CRASH_ROUNDS", "4"))
WORKERS = 6
ROTATIONS_PER_CHAIN = 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class KillableServer:
    def __init__(self):
        self.directory = tempfile.mkdtemp(prefix="tessera-crash-")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.config = Path(self.directory) / "tessera.yaml"
        self.config.write_text(
            f"""
issuer: {self.base_url}
clients:
  - id: crash-client
    auth: client_secret_basic
    secret: {SECRET}
    grant_types: [client_credentials, refresh_token]
    scopes: read
"""
        )
        self.process = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log_path = Path(self.directory) / f"server-{self.starts}.log"
        log = open(log_path, "w")
        binary = self.binary()
        self.process = subprocess.Popen(
            [binary, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--config", str(self.config), "--data-dir", self.directory],
            stdout=log,
            stderr=log,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if re.search(r"listening on http://", log_path.read_text()):
                return
            assert self.process.poll() is None, "tessera exited on restart:\n" + log_path.read_text()
            time.sleep(0.05)
        raise AssertionError("tessera did not start:\n" + log_path.read_text())

    @staticmethod
    def binary():
        return os.environ.get("TESSERA_RELEASE_BIN") or tessera_binary()

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Chain:
    """One client's token chain: the last pair the server acknowledged, and whether a request was in flight."""

    def __init__(self, access, refresh):
        self.access = access
        self.refresh = refresh
        self.in_flight = False
        self.rotations = 0


def test_acknowledged_tokens_survive_sigkill_under_load():
    server = KillableServer()
    auth = ("crash-client", SECRET)
    chains: list[Chain] = []
    lock = threading.Lock()
    acknowledged = 0
    try:
        server.start()
        for _ in range(ROUNDS):
            stop = threading.Event()

            def worker():
                nonlocal acknowledged
                session = requests.Session()
                mine = None
                while not stop.is_set():
                    try:
                        # Each chain is rotated a few times and then left alone, so most chains are settled
                        # (nothing in flight) when the kill comes.
                        if mine is None or mine.rotations >= ROTATIONS_PER_CHAIN:
                            response = session.post(server.base_url + "/token", data={"grant_type": "client_credentials"}, auth=auth, timeout=5)
                            if response.status_code == 200:
                                body = response.json()
                                mine = Chain(body["access_token"], body["refresh_token"])
                                with lock:
                                    chains.append(mine)
                                    acknowledged += 1
                        else:
                            mine.in_flight = True
                            response = session.post(
                                server.base_url + "/token", data={"grant_type": "refresh_token", "refresh_token": mine.refresh}, auth=auth, timeout=5
                            )
                            assert response.status_code == 200, response.text
                            body = response.json()
                            mine.access, mine.refresh, mine.in_flight = body["access_token"], body["refresh_token"], False
                            mine.rotations += 1
                            with lock:
                                acknowledged += 1
                    except (requests.ConnectionError, requests.Timeout):
                        return  # the server died under us; whatever was in flight stays marked

            threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
            for thread in threads:
                thread.start()
            time.sleep(1.5)
            server.kill()
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
            server.start()

        assert acknowledged > ROUNDS * WORKERS, acknowledged
        assert len([chain for chain in chains if not chain.in_flight]) > ROUNDS * WORKERS
        settled = [chain for chain in chains if not chain.in_flight]
        for chain in chains:
            response = requests.post(server.base_url + "/introspect", data={"token": chain.access}, auth=auth, timeout=10)
            assert response.status_code == 200 and response.json()["active"] is True, ("acknowledged access token lost", response.text)
        for chain in settled:
            response = requests.post(
                server.base_url + "/token", data={"grant_type": "refresh_token", "refresh_token": chain.refresh}, auth=auth, timeout=10
            )
            assert response.status_code == 200, ("acknowledged refresh token lost", response.text)
        print(f"crash safety: {ROUNDS} SIGKILL rounds, {acknowledged} acknowledged responses, {len(chains)} chains, "
              f"{len(settled)} settled, 0 lost")
    finally:
        server.stop()


def test_sigterm_under_load_finishes_in_flight_requests_and_exits_cleanly():
    """Graceful shutdown: SIGTERM during token traffic. Every response that arrives is a complete 200 (no 5xx, no
    truncated body), the process exits 0, and the tokens it handed out are valid after a restart."""
    server = KillableServer()
    auth = ("crash-client", SECRET)
    issued: list[dict] = []
    failures: list[str] = []
    lock = threading.Lock()
    try:
        server.start()
        stop = threading.Event()

        def worker():
            session = requests.Session()
            while not stop.is_set():
                try:
                    response = session.post(server.base_url + "/token", data={"grant_type": "client_credentials"}, auth=auth, timeout=10)
                except (requests.ConnectionError, requests.Timeout):
                    return  # refused or closed: the clean way to turn a client away
                try:
                    body = response.json()
                except ValueError:
                    body = None
                with lock:
                    if response.status_code == 200 and body and "access_token" in body:
                        issued.append(body)
                    else:
                        failures.append(f"{response.status_code} {response.text[:200]}")

        threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        before = len(issued)
        server.process.send_signal(signal.SIGTERM)
        exit_code = server.process.wait(timeout=30)
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        assert exit_code == 0, exit_code
        assert failures == [], failures[:5]
        assert before > 0 and len(issued) >= before
        with pytest.raises(requests.ConnectionError):
            requests.post(server.base_url + "/token", data={"grant_type": "client_credentials"}, auth=auth, timeout=5)

        server.start()
        for body in issued:
            response = requests.post(server.base_url + "/introspect", data={"token": body["access_token"]}, auth=auth, timeout=10)
            assert response.json()["active"] is True, "a token issued during shutdown was lost"
        print(f"sigterm: {len(issued)} tokens issued around the SIGTERM, all active after restart; exit code {exit_code}")
    finally:
        server.stop()


def test_acknowledged_gnap_grants_survive_sigkill_under_load():
    """The GNAP half: concurrent signed grant requests from a registered instance, SIGKILL mid-load, restart. Every
    grant whose response arrived still has its tokens: each `photos` token introspects active at /gnap/introspect
    (RFC 9767 §3.3, by the registered RS) and its management URI rotates it (RFC 9635 §6.1)."""
    from test_gnap_interop import Client, grant_body, send

    agent, rs = Client("crash-agent-1"), Client("crash-rs-1")
    server = KillableServer()
    server.config.write_text(
        f"""
issuer: {server.base_url}
gnap:
  continuation_wait: 0
  instances:
    - id: crash-agent
      key: {{"proof": "httpsig", "jwk": {json.dumps(agent.jwk)}}}
      allowed_access: [photo-api, billing]
  resource_servers:
    - id: crash-rs
      key: {{"proof": "httpsig", "jwk": {json.dumps(rs.jwk)}}}
      audiences: ["https://rs.example/"]
"""
    )
    grants: list[dict] = []
    lock = threading.Lock()
    try:
        server.start()
        for _ in range(max(2, ROUNDS // 2)):
            stop = threading.Event()

            def worker():
                while not stop.is_set():
                    try:
                        response = send(agent.signed("POST", server.base_url + "/gnap", grant_body(agent)))
                    except (requests.ConnectionError, requests.Timeout):
                        return
                    assert response.status_code == 200, response.text
                    with lock:
                        grants.append(response.json())

            threads = [threading.Thread(target=worker) for _ in range(4)]
            for thread in threads:
                thread.start()
            time.sleep(1.5)
            server.kill()
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
            server.start()

        assert len(grants) > 4, len(grants)
        for grant in grants:
            photos = next(token for token in grant["access_token"] if token["label"] == "photos")
            body = json.dumps({"access_token": photos["value"], "resource_server": "crash-rs"}).encode()
            introspection = send(rs.signed("POST", server.base_url + "/gnap/introspect", body))
            assert introspection.status_code == 200 and introspection.json()["active"] is True, ("acknowledged GNAP token lost", introspection.text)
        for grant in grants[:: max(1, len(grants) // 50)]:
            manage = next(token for token in grant["access_token"] if token["label"] == "photos")["manage"]
            rotated = send(agent.signed("POST", manage["uri"], token=manage["access_token"]["value"]))
            assert rotated.status_code == 200, ("acknowledged management token lost", rotated.text)
        print(f"gnap crash safety: {max(2, ROUNDS // 2)} SIGKILL rounds, {len(grants)} acknowledged grants, 0 lost")
    finally:
        server.stop()
