"""Shared fixtures for the interop suites, and strictness: under scripts/test (TESSERA_STRICT=1)
a skipped test counts as a failure, because a skipped interop test proves nothing."""
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("TESSERA_STRICT") == "1" and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped under TESSERA_STRICT=1: {report.longrepr}"


def tessera_binary() -> str:
    return os.environ.get("TESSERA_BIN") or str(REPO_ROOT / ".build" / "debug" / "tessera")


class TesseraServer:
    """`tessera serve` on a free loopback port with a given YAML config, stopped by the test."""

    def __init__(self, config_yaml: str, port: int = 0):
        self.directory = tempfile.mkdtemp(prefix="tessera-interop-")
        config = Path(self.directory) / "tessera.yaml"
        config.write_text(config_yaml)
        self.log_path = Path(self.directory) / "server.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [tessera_binary(), "serve", "--host", "127.0.0.1", "--port", str(port), "--config", str(config), "--data-dir", self.directory],
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            match = re.search(r"listening on (https?://[0-9.]+:[0-9]+)", self.log_path.read_text())
            if match:
                self.base_url = match.group(1)
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("tessera did not start:\n" + self.log_path.read_text())

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
