#!/usr/bin/env python3
"""Differential tester for the Cedar validator: `tessera cedar validate` against cedarpy's
`validate_policies` (cedarpy 4.12.2, strict mode) on random schemas and policies.

Schemas are generated over the entity types and attributes the policy generator of
scripts/cedar_difftest.py uses (half in .cedarschema syntax, half in the JSON schema format),
with random attribute types, optional attributes, tags, action groups and appliesTo lists.
Every policy's verdict (valid / invalid) must agree.

    scripts/cedar_validate_difftest.py --tessera .build/debug/tessera --cases 500 --seed 1 [--keep DIR]

Exit status 0 when there is no disagreement.
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cedar_difftest import Gen, cedarpy  # noqa: E402

ATTR_TYPES = {
    "level": ["Long"], "n": ["Long"], "name": ["String"], "s": ["String"], "flag": ["Bool"],
    "manager": ["User"], "owner": ["User"], "roles": ["Set<String>"], "list": ["Set<Long>"],
    "addr": ["{ city?: String, zip?: String, street?: String }", "{ city: String }"],
    "rec": ["{ level?: Long, name?: String }", "{}"], "ip": ["ipaddr"], "dt": ["datetime"],
    "dec": ["decimal"], "dur": ["duration"], "who": ["User"],
}
OTHER_TYPES = ["Long", "String", "Bool", "Set<Long>", "ipaddr", "User", "Group"]


def to_json_type(t):
    t = t.strip()
    if t.startswith("Set<"):
        return {"type": "Set", "element": to_json_type(t[4:-1])}
    if t.startswith("{"):
        attrs = {}
        body = t[1:-1].strip()
        for part in [p.strip() for p in body.split(",") if p.strip()]:
            name, ty = [x.strip() for x in part.split(":", 1)]
            a = to_json_type(ty)
            if name.endswith("?"):
                name = name[:-1]
                a["required"] = False
            attrs[name] = a
        return {"type": "Record", "attributes": attrs}
    if t in ("Long", "String"):
        return {"type": t}
    if t == "Bool":
        return {"type": "Boolean"}
    if t in ("ipaddr", "decimal", "datetime", "duration"):
        return {"type": "Extension", "name": t}
    return {"type": "Entity", "name": t}


class SchemaGen:
    def __init__(self, rng):
        self.r = rng

    def attrs(self, names, p=0.6):
        out = []
        for n in names:
            if self.r.random() < p:
                ty = self.r.choice(ATTR_TYPES[n]) if self.r.random() < 0.9 else self.r.choice(OTHER_TYPES)
                out.append((n, self.r.random() < 0.25, ty))
        return out

    def schema(self):
        r = self.r
        ents = {
            "User": {"in": ["Group"] if r.random() < 0.8 else [], "attrs": self.attrs([a for a in ATTR_TYPES if a != "who"]),
                     "tags": r.choice([None, None, "String", "Long", "Set<String>"])},
            "Group": {"in": ["Group"] if r.random() < 0.3 else [], "attrs": self.attrs(["name", "level", "flag"], 0.3), "tags": None},
            "Doc": {"in": ["Folder"] if r.random() < 0.8 else [], "attrs": self.attrs([a for a in ATTR_TYPES if a != "who"]),
                    "tags": r.choice([None, "String"])},
            "Folder": {"in": ["Group"] if r.random() < 0.3 else [], "attrs": [], "tags": None},
        }
        ns_user = r.random() < 0.1  # NS::User shadows User: the reference rejects such schemas
        actions = {}
        for a in ["read", "view", "edit", "delete"]:
            actions[a] = {
                "in": ["read"] if a in ("view", "edit") and r.random() < 0.8 else [],
                "principals": r.sample(["User", "Group"], r.randint(0, 2)) if r.random() < 0.9 else ["User"],
                "resources": r.sample(["Doc", "Folder", "Group", "User"], r.randint(0, 3)),
                "context": self.attrs(["n", "s", "flag", "list", "rec", "ip", "dt", "dec", "dur", "who"], 0.5),
            }
            if not actions[a]["principals"] or not actions[a]["resources"]:
                actions[a]["principals"], actions[a]["resources"] = ["User"], ["Doc"]
        return ents, ns_user, actions

    @staticmethod
    def text(ents, ns_user, actions):
        def rec(attrs):
            return "{" + ", ".join("%s%s: %s" % (n, "?" if opt else "", ty) for n, opt, ty in attrs) + "}"
        out = []
        for name, e in ents.items():
            line = "entity %s" % name
            if e["in"]:
                line += " in [%s]" % ", ".join(e["in"])
            line += " " + rec(e["attrs"])
            if e["tags"]:
                line += " tags " + e["tags"]
            out.append(line + ";")
        for name, a in actions.items():
            line = "action %s" % name
            if a["in"]:
                line += " in [%s]" % ", ".join(a["in"])
            line += " appliesTo { principal: [%s], resource: [%s], context: %s };" % (
                ", ".join(a["principals"]), ", ".join(a["resources"]), rec(a["context"]))
            out.append(line)
        if ns_user:
            out.append("namespace NS { entity User; }")
        return "\n".join(out) + "\n"

    @staticmethod
    def json(ents, ns_user, actions):
        def rec(attrs):
            d = {}
            for n, opt, ty in attrs:
                t = to_json_type(ty)
                if opt:
                    t["required"] = False
                d[n] = t
            return {"type": "Record", "attributes": d}
        et = {}
        for name, e in ents.items():
            d = {"memberOfTypes": e["in"], "shape": rec(e["attrs"])}
            if e["tags"]:
                d["tags"] = to_json_type(e["tags"])
            et[name] = d
        ac = {}
        for name, a in actions.items():
            ac[name] = {"memberOf": [{"id": m} for m in a["in"]],
                        "appliesTo": {"principalTypes": a["principals"], "resourceTypes": a["resources"], "context": rec(a["context"])}}
        doc = {"": {"entityTypes": et, "actions": ac}}
        if ns_user:
            doc["NS"] = {"entityTypes": {"User": {}}, "actions": {}}
        return json.dumps(doc, indent=1)


def tessera_verdicts(tessera, schema_path, policies_path):
    proc = subprocess.run([tessera, "cedar", "validate", "--schema", schema_path, "--policies", policies_path],
                          capture_output=True, text=True)
    got = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"^(policy\d+): (valid|INVALID)$", line)
        if m:
            got[m.group(1)] = m.group(2) == "valid"
    return got, proc.stdout + proc.stderr


def run(tessera, cases, per_case, seed, keep=None, verbose=True):
    rng = random.Random(seed)
    workdir = keep or tempfile.mkdtemp(prefix="cedar-validate-")
    os.makedirs(workdir, exist_ok=True)
    disagreements = []
    checked = 0
    invalid = 0
    for c in range(cases):
        gen = Gen(rng)
        sg = SchemaGen(rng)
        parts = sg.schema()
        use_json = rng.random() < 0.5
        schema_text = SchemaGen.json(*parts) if use_json else SchemaGen.text(*parts)
        # cedarpy names a policy by its @id annotation, so annotations are dropped to keep ids positional.
        policies = [re.sub(r'^(@\w+(\("(?:[^"\\]|\\.)*"\))?\s*)+', "", gen.policy()) for _ in range(per_case)]
        # Conditions on the request's action (decided per request environment by the validator).
        for i, p in enumerate(policies):
            if rng.random() < 0.25:
                guard = rng.choice(["action == Action::%s" % '"%s"' % rng.choice(gen.actions),
                                    "action in [Action::%s]" % '"%s"' % rng.choice(gen.actions),
                                    "action != Action::%s" % '"%s"' % rng.choice(gen.actions)])
                policies[i] = p[:-1] + " when { %s %s %s };" % (guard, rng.choice(["&&", "||"]), gen.gen("bool", 2))
        text = "\n".join(policies) + "\n"
        try:
            res = cedarpy.validate_policies(text, schema_text)
        except Exception:  # the reference rejects the schema or the policies outright
            continue
        schema_rejected = any(e.policy_id == "" for e in res.errors)
        want = {"policy%d" % i: True for i in range(len(policies))}
        for e in res.errors:
            if e.policy_id in want:
                want[e.policy_id] = False
        base = os.path.join(workdir, "case%04d" % c)
        schema_path = base + (".cedarschema.json" if use_json else ".cedarschema")
        with open(schema_path, "w") as f:
            f.write(schema_text)
        with open(base + ".cedar", "w") as f:
            f.write(text)
        got, output = tessera_verdicts(tessera, schema_path, base + ".cedar")
        if schema_rejected:
            checked += 1
            if got:
                disagreements.append((base, "schema", False, True, [e.error for e in res.errors]))
                if verbose:
                    print("DISAGREE %s: cedarpy rejects the schema (%s), tessera accepts it" % (base, res.errors[0].error))
            continue
        for pid, v in want.items():
            checked += 1
            invalid += 0 if v else 1
            if got.get(pid) != v:
                msgs = [e.error for e in res.errors if e.policy_id == pid]
                disagreements.append((base, pid, v, got.get(pid), msgs))
                if verbose:
                    print("DISAGREE %s %s: cedarpy %s, tessera %s\n  %s\n  cedarpy: %s" % (
                        base, pid, "valid" if v else "invalid", got.get(pid), policies[int(pid[6:])], msgs[:2]))
    if verbose:
        print("validator: %d policies (%d invalid per cedarpy), %d disagreements" % (checked, invalid, len(disagreements)))
    if not keep and not disagreements:
        shutil.rmtree(workdir, ignore_errors=True)
    return checked, disagreements


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tessera", default=os.environ.get("TESSERA_BIN", ".build/debug/tessera"))
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--policies-per-case", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="write the generated cases here and keep them")
    a = ap.parse_args()
    _, d = run(a.tessera, a.cases, a.policies_per_case, a.seed, a.keep)
    return 1 if d else 0


if __name__ == "__main__":
    sys.exit(main())
