"""Differential test: the Swift Cedar engine (through `tessera cedar test`) must agree with the
reference engine (cedarpy 4.12.2) on decision, reasons and erroring policies.

Runs a bounded number of random cases (3 x 800 = 2,400 requests through both engines, each also via
the JSON policy format). The `tessera` binary comes from $TESSERA_BIN (set by scripts/test),
falling back to .build/debug/tessera. A longer run: scripts/cedar-difftest --cases 20000.
"""
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

cedarpy = pytest.importorskip("cedarpy")


def _tessera():
    path = os.environ.get("TESSERA_BIN") or os.path.join(ROOT, ".build", "debug", "tessera")
    if not os.path.exists(path):
        pytest.skip("no tessera binary at %s (build first or set TESSERA_BIN)" % path)
    probe = subprocess.run([path, "cedar", "--help"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("%s has no `cedar` subcommand" % path)
    return path


def test_cedarpy_is_the_pinned_reference():
    from importlib.metadata import version

    assert version("cedarpy") == "4.12.2"


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_swift_engine_agrees_with_reference(seed, tmp_path):
    import cedar_difftest

    compared, disagreements, failures, stderr = cedar_difftest.run(
        _tessera(), cases=100, per_case=8, seed=seed, keep=str(tmp_path), verbose=False
    )
    assert compared >= 1500, "too few requests compared: %d" % compared
    assert disagreements == 0, "disagreements with cedarpy (cases kept in %s):\n%s\n%s" % (
        tmp_path, "\n".join(failures[:20]), stderr)


def test_parser_accepts_and_rejects_what_the_reference_does(tmp_path):
    import cedar_difftest

    count, bad = cedar_difftest.syntax_run(_tessera(), 1500, seed=21, workdir=str(tmp_path), verbose=False)
    assert count == 1500
    assert not bad, "syntax disagreements: %s" % bad[:20]


def test_extension_constructors_agree_with_reference(tmp_path):
    import cedar_difftest

    count, bad = cedar_difftest.ext_run(_tessera(), 600, seed=22, workdir=str(tmp_path), verbose=False)
    assert count > 6000
    assert not bad, "extension disagreements: %s" % bad[:20]


def test_entity_json_agrees_with_reference(tmp_path):
    import cedar_difftest

    count, bad = cedar_difftest.entity_run(_tessera(), 300, seed=23, workdir=str(tmp_path), verbose=False)
    assert count == 300
    assert not bad, "entity JSON disagreements: %s" % bad[:20]


def test_json_policy_format_strictness_agrees_with_reference(tmp_path):
    import cedar_difftest

    count, bad = cedar_difftest.est_run(_tessera(), 800, seed=24, workdir=str(tmp_path), verbose=False)
    assert count > 700
    assert not bad, "JSON policy disagreements: %s" % bad[:20]


def test_request_contexts_agree_with_reference(tmp_path):
    import cedar_difftest

    count, bad = cedar_difftest.context_run(_tessera(), 300, seed=25, workdir=str(tmp_path), verbose=False)
    assert count == 300
    assert not bad, "context disagreements: %s" % bad[:20]
