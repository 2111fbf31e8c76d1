#!/usr/bin/env python3
"""Differential tester: Tessera's Swift Cedar engine against the reference (cedarpy 4.12.2).

Generates random-but-valid policy sets, entity stores and requests, asks cedarpy for the
answers, writes them as Cedar integration-format test files (expected = cedarpy's answer) and
runs them through `tessera cedar test`. Every request whose decision, reason set or
erroring-policy set differs is a disagreement. Each case is also run a second time through
the JSON policy format (EST, as produced by cedarpy), and policy texts cedarpy rejects must be
rejected by `tessera cedar check` too.

    scripts/cedar-difftest --tessera .build/debug/tessera --cases 2000 --seed 7 [--keep DIR]

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

try:
    import cedarpy
except ImportError:  # pragma: no cover
    sys.exit("cedarpy is not installed: pip install cedarpy==4.12.2")

ATTRS = ["level", "name", "flag", "manager", "owner", "roles", "addr", "n", "s", "list", "rec", "ip", "dt", "dec", "dur"]
ODD_KEYS = ["\u00e9", "e\u0301", "has space", "if", ""]
STRINGS = ["", "a", "abc", "\u00e9", "e\u0301", "a*b", 'x"y', "\\", "ham and eggs", "\u65e5\u672c", "blue", "secret", "a\nb"]
LONGS = [0, 1, -1, 2, 7, 42, 100, 9223372036854775807, -9223372036854775808, 4611686018427387904, -3, 3037000500]
IPS = ["10.0.0.1", "10.0.0.0/8", "192.168.1.1/24", "127.0.0.1", "::1", "ff02::1", "2001:db8::/32", "224.0.0.1",
       "1.2.3.4/33", "010.0.0.1", "::ffff:7f00:1", "1:2:3:4:5:6:7::", "0.0.0.0/0", "::/0", "127.0.0.1/7"]
DECIMALS = ["1.0", "1.00", "-0.5", "2.5", "922337203685477.5807", "1.23456", "1", "0.0001", "-922337203685477.5808"]
DATETIMES = ["2024-10-15", "2024-10-15T11:38:02Z", "2024-10-15T11:38:02.123Z", "2024-10-15T11:38:02+0100",
             "2024-02-30", "1969-12-31T23:00:00Z", "2024-10-15T24:00:00Z", "9999-12-31T23:59:59.999-2359", "2024-10-15T11:38Z"]
DURATIONS = ["1h", "60m", "1d2h3m4s5ms", "-1d1h", "-90s", "36h", "0ms", "1m1h", "", "9223372036854775807ms", "1.5h"]
PATTERNS = ["*", "a*", "*b*", "ham*", "\\*", "a\\*b", "", "?", "*\u00e9*", "a**c", "e\u0301"]


def q(s):
    out = []
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) > 127 and random.random() < 0.3:
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


class Gen:
    def __init__(self, rng):
        self.r = rng
        self.users = ["alice", "bob", "carol", "ghost", "\u00e9", "e\u0301"]
        self.groups = ["g0", "g1", "g2", "g3"]
        self.docs = ["d0", "d1", "d2"]
        self.actions = ["view", "edit", "delete", "read"]

    def pick(self, xs):
        return self.r.choice(xs)

    # ---------- entities ----------
    def uid(self, t, i):
        return {"type": t, "id": i}

    def value_json(self, depth=0):
        r = self.r.random()
        if depth > 2 or r < 0.2:
            return self.pick(LONGS)
        if r < 0.35:
            return self.pick(STRINGS)
        if r < 0.45:
            return self.r.random() < 0.5
        if r < 0.55:
            return {"__entity": self.uid("User", self.pick(self.users))}
        if r < 0.65:
            return [self.value_json(depth + 1) for _ in range(self.r.randint(0, 3))]
        if r < 0.75:
            return {k: self.value_json(depth + 1) for k in self.r.sample(ATTRS[:8] + ODD_KEYS[:3], self.r.randint(0, 3))}
        if r < 0.8:
            return {"__extn": {"fn": "ip", "arg": self.pick(IPS[:8])}}
        if r < 0.85:
            return {"__extn": {"fn": "decimal", "arg": self.pick(DECIMALS[:5])}}
        if r < 0.9:
            return {"__extn": {"fn": "datetime", "arg": self.pick(DATETIMES[:4])}}
        return {"__extn": {"fn": "duration", "arg": self.pick(DURATIONS[:7])}}

    def typed_attr_value(self, name):
        r = self.r
        table = {
            "level": lambda: self.pick(LONGS), "n": lambda: self.pick(LONGS),
            "name": lambda: self.pick(STRINGS), "s": lambda: self.pick(STRINGS),
            "flag": lambda: r.random() < 0.5,
            "manager": lambda: {"__entity": self.uid("User", self.pick(self.users))},
            "owner": lambda: {"__entity": self.uid("User", self.pick(self.users))},
            "roles": lambda: r.sample(STRINGS, r.randint(0, 3)),
            "list": lambda: [self.pick(LONGS) for _ in range(r.randint(0, 3))],
            "addr": lambda: {k: self.pick(STRINGS) for k in r.sample(["city", "zip", "street"], r.randint(0, 3))},
            "rec": lambda: {k: self.value_json(1) for k in r.sample(ATTRS[:6], r.randint(0, 3))},
            "ip": lambda: {"__extn": {"fn": "ip", "arg": self.pick(IPS[:8])}},
            "dt": lambda: {"__extn": {"fn": "datetime", "arg": self.pick(DATETIMES[:4])}},
            "dec": lambda: {"__extn": {"fn": "decimal", "arg": self.pick(DECIMALS[:5])}},
            "dur": lambda: {"__extn": {"fn": "duration", "arg": self.pick(DURATIONS[:7])}},
        }
        if r.random() < 0.1:
            return self.value_json()
        return table.get(name, self.value_json)()

    def attrs(self):
        names = self.r.sample(ATTRS, self.r.randint(0, 8))
        if self.r.random() < 0.2:
            names.append(self.pick(ODD_KEYS))
        return {n: self.typed_attr_value(n) for n in names}

    def entities(self):
        ents = []
        for i, g in enumerate(self.groups):
            parents = [self.uid("Group", p) for p in self.groups[i + 1:] if self.r.random() < 0.4]
            ents.append({"uid": self.uid("Group", g), "attrs": self.attrs() if self.r.random() < 0.3 else {}, "parents": parents})
        for u in self.users:
            if u == "ghost" or (u == "carol" and self.r.random() < 0.5):
                continue
            parents = [self.uid("Group", g) for g in self.groups if self.r.random() < 0.3]
            e = {"uid": self.uid("User", u), "attrs": self.attrs(), "parents": parents}
            if self.r.random() < 0.5:
                e["tags"] = {k: self.typed_attr_value(k) for k in self.r.sample(["team", "level", "flag", "\u00e9"], self.r.randint(0, 3))}
            ents.append(e)
        for d in self.docs:
            parents = [self.uid("Folder", "f0")] if self.r.random() < 0.6 else []
            ents.append({"uid": self.uid("Doc", d), "attrs": self.attrs(), "parents": parents})
        ents.append({"uid": self.uid("Folder", "f0"), "attrs": {}, "parents": [self.uid("Group", "g0")] if self.r.random() < 0.3 else []})
        ents.append({"uid": self.uid("Action", "read"), "attrs": {}, "parents": []})
        for a in ["view", "edit"]:
            ents.append({"uid": self.uid("Action", a), "attrs": {}, "parents": [self.uid("Action", "read")]})
        ents.append({"uid": self.uid("Action", "delete"), "attrs": {}, "parents": []})
        self.r.shuffle(ents)
        return ents

    # ---------- expressions ----------
    def entity_lit(self):
        t = self.r.random()
        if t < 0.4:
            return "User::" + q(self.pick(self.users))
        if t < 0.6:
            return "Group::" + q(self.pick(self.groups))
        if t < 0.75:
            return "Doc::" + q(self.pick(self.docs))
        if t < 0.85:
            return "Action::" + q(self.pick(self.actions))
        if t < 0.9:
            return "Folder::\"f0\""
        return "NS::User::" + q(self.pick(self.users))

    def attr_ref(self):
        name = self.pick(ATTRS) if self.r.random() < 0.9 else self.pick(ODD_KEYS)
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name not in ("if", "in", "has", "like", "is", "then", "else", "true", "false"):
            return "." + name if self.r.random() < 0.8 else "[" + q(name) + "]"
        return "[" + q(name) + "]"

    def has_ref(self):
        name = self.pick(ATTRS) if self.r.random() < 0.85 else self.pick(ODD_KEYS)
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name not in ("if", "in", "has", "like", "is", "then", "else", "true", "false"):
            if self.r.random() < 0.3:
                return name + "." + self.pick(["city", "zip", "level", "name", "flag"])
            return name
        return q(name)

    def var_entity(self):
        return self.pick(["principal", "resource", "action", "principal.manager", "resource.owner", "context.who"])

    def gen(self, kind, d):
        r = self.r
        if d <= 0 or r.random() < 0.15:
            return self.leaf(kind)
        if r.random() < 0.08:
            kind = self.pick(["bool", "long", "string", "entity", "set", "record", "ext"])
        if r.random() < 0.06:
            return "(if %s then %s else %s)" % (self.gen("bool", d - 1), self.gen(kind, d - 1), self.gen(kind, d - 1))
        if kind == "bool":
            c = r.randint(0, 21)
            if c == 0:
                return "%s %s %s" % (self.gen("long", d - 1), self.pick(["<", "<=", ">", ">="]), self.gen("long", d - 1))
            if c == 1:
                k = self.pick(["long", "string", "entity", "set", "record", "ext", "bool"])
                return "%s %s %s" % (self.paren(self.gen(k, d - 1)), self.pick(["==", "!="]), self.paren(self.gen(k, d - 1)))
            if c == 2:
                return "%s %s %s" % (self.paren(self.gen("bool", d - 1)), self.pick(["&&", "||"]), self.paren(self.gen("bool", d - 1)))
            if c == 3:
                return "!" + self.paren(self.gen("bool", d - 1))
            if c == 4:
                rhs = self.gen("entity", d - 1) if r.random() < 0.6 else "[" + ", ".join(self.gen("entity", 0) for _ in range(r.randint(0, 3))) + "]"
                return "%s in %s" % (self.paren(self.gen("entity", d - 1)), self.paren(rhs))
            if c == 5:
                return "%s has %s" % (self.paren(self.pick([self.gen("entity", d - 1), self.gen("record", d - 1)])), self.has_ref())
            if c == 6:
                return "%s like %s" % (self.paren(self.gen("string", d - 1)), q(self.pick(PATTERNS)).replace("\\\\*", "\\*"))
            if c == 7:
                t = self.pick(["User", "Group", "Doc", "Action", "NS::User"])
                if r.random() < 0.3:
                    return "%s is %s in %s" % (self.paren(self.gen("entity", d - 1)), t, self.paren(self.gen("entity", d - 1)))
                return "%s is %s" % (self.paren(self.gen("entity", d - 1)), t)
            if c == 8:
                return "%s.contains(%s)" % (self.post(self.gen("set", d - 1)), self.gen(self.pick(["long", "string", "entity"]), d - 1))
            if c == 9:
                return "%s.%s(%s)" % (self.post(self.gen("set", d - 1)), self.pick(["containsAll", "containsAny"]), self.gen("set", d - 1))
            if c == 10:
                return "%s.isEmpty()" % self.post(self.gen("set", d - 1))
            if c == 11:
                return "%s.hasTag(%s)" % (self.post(self.gen("entity", d - 1)), q(self.pick(["team", "level", "flag", "nope", "\u00e9"])))
            if c == 12:
                return "decimal(%s).%s(decimal(%s))" % (q(self.pick(DECIMALS)), self.pick(["lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual"]), q(self.pick(DECIMALS)))
            if c == 13:
                m = self.pick(["isIpv4()", "isIpv6()", "isLoopback()", "isMulticast()", "isInRange(ip(%s))" % q(self.pick(IPS))])
                return "%s.%s" % (self.post(self.gen("ext", d - 1) if r.random() < 0.3 else "ip(%s)" % q(self.pick(IPS))), m)
            if c == 14:
                a = "datetime(%s)" % q(self.pick(DATETIMES))
                b = self.pick(["datetime(%s)" % q(self.pick(DATETIMES)), "context.dt", "principal.dt"])
                if r.random() < 0.5:
                    b = "%s.offset(duration(%s))" % (self.post(b), q(self.pick(DURATIONS)))
                return "%s %s %s" % (a, self.pick(["<", "<=", ">", ">=", "==", "!="]), b)
            if c == 15:
                return "duration(%s) %s duration(%s)" % (q(self.pick(DURATIONS)), self.pick(["<", "<=", ">", ">=", "=="]), q(self.pick(DURATIONS)))
            if c == 16:
                return self.pick(["principal", "resource", "context"]) + self.pick([".flag", ".level > 5", " has flag && principal.flag"]) if r.random() < 0.5 else self.leaf("bool")
            if c == 17:
                return "%s.getTag(%s) == %s" % (self.post(self.gen("entity", d - 1)), q(self.pick(["team", "level", "flag", "nope"])), self.gen(self.pick(["string", "long", "bool"]), 0))
            if c == 18:
                # The 4.12 subset: no range (an arity error in every version) or one. Several ranges are
                # Cedar 4.13+'s variadic isInRange, which the cedarpy 4.12 oracle answers with an arity
                # error; it is checked by hand-written vectors (EvaluatorTests, SchemaTests) instead.
                return "ip(%s).isInRange(%s)" % (q(self.pick(IPS)), ", ".join("ip(%s)" % q(self.pick(IPS)) for _ in range(r.choice([0, 1, 1, 1, 1]))))
            if c == 19:
                return "%s has %s" % (self.paren(self.gen("record", d - 1)), self.has_ref())
            if c == 20:
                return "%s == %s" % (self.paren(self.gen("long", d - 1)), self.paren(self.gen("long", d - 1)))
            return self.leaf("bool")
        if kind == "long":
            c = r.randint(0, 6)
            if c == 0:
                return "%s %s %s" % (self.paren(self.gen("long", d - 1)), self.pick(["+", "-"]), self.paren(self.gen("long", d - 1)))
            if c == 1:
                return "%s * %s" % (self.paren(self.gen("long", d - 1)), self.paren(self.gen("long", d - 1)))
            if c == 2:
                return "-" + self.paren(self.gen("long", d - 1))
            if c == 3:
                return "%s.%s()" % (self.post("duration(%s)" % q(self.pick(DURATIONS))), self.pick(["toMilliseconds", "toSeconds", "toMinutes", "toHours", "toDays"]))
            if c == 4:
                return "%s.getTag(\"level\")" % self.post(self.gen("entity", d - 1))
            return self.leaf("long")
        if kind == "set":
            c = r.randint(0, 3)
            if c == 0:
                return "[" + ", ".join(self.gen(self.pick(["long", "string", "entity", "bool"]), d - 1) for _ in range(r.randint(0, 4))) + "]"
            return self.leaf("set")
        if kind == "record":
            if r.random() < 0.4:
                keys = r.sample(["a", "b", "level", "name", "flag", "\"\u00e9\"", "\"x y\""], r.randint(0, 3))
                return "{" + ", ".join("%s: %s" % (k, self.gen(self.pick(["long", "string", "bool", "record"]), d - 1)) for k in keys) + "}"
            return self.leaf("record")
        if kind == "entity":
            if r.random() < 0.3:
                return self.post(self.var_entity())
            return self.leaf("entity")
        if kind == "string":
            if r.random() < 0.3:
                return self.post(self.pick(["principal", "resource", "context"])) + self.pick([".name", ".s", "[\"name\"]"])
            return self.leaf("string")
        return self.leaf(kind)

    def leaf(self, kind):
        r = self.r
        if kind == "bool":
            return self.pick(["true", "false", "context.flag", "principal.flag", "resource.flag"])
        if kind == "long":
            v = self.pick(LONGS + [r.randint(-1000, 1000)])
            if r.random() < 0.3:
                return self.pick(["principal.level", "context.n", "resource.level", "principal.n"])
            return str(v)
        if kind == "string":
            return q(self.pick(STRINGS))
        if kind == "entity":
            return self.pick([self.entity_lit(), "principal", "resource", "action", "context.who"])
        if kind == "set":
            return self.pick(["principal.roles", "context.list", "[]", "[1, 2, 3]", "[\"a\", \"b\"]", "resource.roles", "[principal, resource]", "[[1], [2, 1]]"])
        if kind == "record":
            return self.pick(["context", "principal.addr", "context.rec", "{}", "{a: 1}", "principal.rec"])
        if kind == "ext":
            return self.pick(["ip(%s)" % q(self.pick(IPS)), "decimal(%s)" % q(self.pick(DECIMALS)), "context.ip", "principal.dec",
                              "datetime(%s)" % q(self.pick(DATETIMES)), "duration(%s)" % q(self.pick(DURATIONS))])
        return "true"

    def paren(self, e):
        return "(" + e + ")" if self.r.random() < 0.85 or " " in e else e

    def post(self, e):
        return e if re.fullmatch(r"[A-Za-z_:\"0-9.]+", e) and "::" not in e else "(" + e + ")"

    # ---------- policies ----------
    def scope(self, var):
        r = self.r.random()
        if var == "action":
            if r < 0.55:
                return "action"
            if r < 0.6:
                return "action == Action::" + q(self.pick(self.actions))
            if r < 0.75:
                return "action in Action::" + q(self.pick(self.actions))
            return "action in [" + ", ".join("Action::" + q(a) for a in self.r.sample(self.actions, self.r.randint(0, 3))) + "]"
        ent = lambda: (self.entity_lit() if self.r.random() < 0.7 else ("Group::" + q(self.pick(self.groups)) if var == "principal" else "Folder::\"f0\""))
        typ = "User" if var == "principal" else "Doc"
        if r < 0.5:
            return var
        if r < 0.62:
            return "%s == %s" % (var, ent())
        if r < 0.75:
            return "%s in %s" % (var, ent())
        if r < 0.87:
            return "%s is %s" % (var, self.pick([typ, "Group", "NS::User"]))
        return "%s is %s in %s" % (var, self.pick([typ, "Group"]), ent())

    def policy(self):
        ann = ""
        if self.r.random() < 0.2:
            ann = "@id(%s) @flag " % q("p%d" % self.r.randint(0, 99))
        effect = "permit" if self.r.random() < 0.65 else "forbid"
        conds = ""
        for _ in range(self.r.choice([0, 0, 1, 1, 1, 2, 3])):
            conds += " %s { %s }" % (self.pick(["when", "when", "unless"]), self.gen("bool", self.r.randint(1, 3)))
        return "%s%s(%s, %s, %s)%s;" % (ann, effect, self.scope("principal"), self.scope("action"), self.scope("resource"), conds)

    def template(self):
        while True:
            p = self.pick(["principal == ?principal", "principal in ?principal", "principal is User in ?principal", "principal",
                           "principal == User::\"alice\""])
            r = self.pick(["resource == ?resource", "resource in ?resource", "resource is Doc in ?resource", "resource"])
            if "?" in p + r:
                break
        conds = ""
        for _ in range(self.r.choice([0, 1, 1, 2])):
            conds += " %s { %s }" % (self.pick(["when", "unless"]), self.gen("bool", self.r.randint(1, 3)))
        return "%s(%s, %s, %s)%s;" % (self.pick(["permit", "permit", "forbid"]), p, self.scope("action"), r, conds)

    def slot_value(self, slot):
        if slot == "?principal":
            return self.pick([self.uid("User", self.pick(self.users)), self.uid("Group", self.pick(self.groups))])
        return self.pick([self.uid("Doc", self.pick(self.docs)), self.uid("Folder", "f0"), {"__entity": self.uid("Doc", "d0")}])

    def context(self):
        ctx = {}
        for k in self.r.sample(["n", "s", "flag", "list", "rec", "ip", "dt", "dec", "dur", "who"], self.r.randint(0, 8)):
            ctx[k] = self.typed_attr_value(k) if k != "who" else {"__entity": self.uid("User", self.pick(self.users))}
        return ctx

    def request(self):
        p = self.pick([("User", self.pick(self.users))] * 4 + [("Group", self.pick(self.groups)), ("NS::User", "alice")])
        res = self.pick([("Doc", self.pick(self.docs))] * 3 + [("User", self.pick(self.users)), ("Folder", "f0"), ("Doc", "missing")])
        return {"principal": self.uid(*p), "action": self.uid("Action", self.pick(self.actions)), "resource": self.uid(*res),
                "context": self.context()}


def linked_case(gen, rng, policies, entities, reqs, workdir, name):
    """Templates linked through the JSON policy format's templateLinks."""
    text = policies + "\n" + "\n".join(gen.template() for _ in range(rng.randint(1, 3)))
    try:
        est = json.loads(cedarpy.policies_to_json_str(text))
    except Exception:
        return 0
    links = []
    for tid, t in est.get("templates", {}).items():
        slots = [t[v]["slot"] for v in ("principal", "resource") if "slot" in t[v]]
        slots += [t[v]["in"]["slot"] for v in ("principal", "resource") if "slot" in t[v].get("in", {})]
        for k in range(rng.randint(0, 2)):
            links.append({"templateId": tid, "newId": "%s-link%d" % (tid, k), "values": {s: gen.slot_value(s) for s in slots}})
    est["templateLinks"] = links
    doc = json.dumps(est)
    try:
        pset = cedarpy.PolicySet.from_json_str(doc)
    except Exception:
        return 0
    ents = cedarpy.Entities.from_json_str(json.dumps(entities))
    test_reqs = []
    for i, (rq, res) in enumerate(zip(reqs, cedarpy.is_authorized_batch(reqs, pset, ents))):
        resp = res._authz_resp
        if resp.get("decision") not in ("Allow", "Deny"):
            continue
        t = dict(rq)
        t.update({"description": "%s linked request %d" % (name, i), "decision": resp["decision"].lower(),
                  "reason": sorted(resp["diagnostics"].get("reason", [])), "errors": sorted(_error_ids(resp))})
        test_reqs.append(t)
    with open(os.path.join(workdir, name + ".linked.json.txt"), "w") as f:
        f.write(doc)
    with open(os.path.join(workdir, name + "-linked.json"), "w") as f:
        json.dump({"policies": name + ".linked.json.txt", "policyFormat": "json", "entities": name + ".entities.json",
                   "schema": "none", "requests": test_reqs}, f, ensure_ascii=False, indent=1)
    return len(test_reqs)


def _error_ids(resp):
    ids = set()
    for e in resp.get("diagnostics", {}).get("errors", []) or []:
        m = re.match(r"^error while evaluating policy `(.+?)`", e)
        if m:
            ids.add(m.group(1))
    return ids


def oracle(requests, policies_text, entities):
    try:
        pset = cedarpy.PolicySet.from_str(policies_text)
    except Exception:
        return None
    ents = cedarpy.Entities.from_json_str(json.dumps(entities))
    out = []
    for res in cedarpy.is_authorized_batch(requests, pset, ents):
        resp = res._authz_resp
        out.append((resp.get("decision"), sorted(resp.get("diagnostics", {}).get("reason", []) or []), sorted(_error_ids(resp))))
    return out


def run(tessera, cases, per_case, seed, keep=None, est=True, verbose=True):
    rng = random.Random(seed)
    gen = Gen(rng)
    workdir = keep or tempfile.mkdtemp(prefix="cedar-difftest-")
    os.makedirs(workdir, exist_ok=True)
    compared = 0
    rejected_agree = 0
    parse_disagreements = []
    for c in range(cases):
        policies = "\n".join(gen.policy() for _ in range(rng.randint(1, 5)))
        if rng.random() < 0.05:
            policies += "\npermit(principal == ?principal, action, resource in ?resource);"
        entities = gen.entities()
        reqs = [gen.request() for _ in range(per_case)]
        answers = oracle(reqs, policies, entities)
        name = "case-%05d" % c
        with open(os.path.join(workdir, name + ".cedar"), "w") as f:
            f.write(policies + "\n")
        if answers is None:
            # The reference rejects the text: ours must reject it too.
            rc = subprocess.run([tessera, "cedar", "check", os.path.join(workdir, name + ".cedar")], capture_output=True).returncode
            if rc == 0:
                parse_disagreements.append(name)
            else:
                rejected_agree += 1
            continue
        with open(os.path.join(workdir, name + ".entities.json"), "w") as f:
            json.dump(entities, f, ensure_ascii=False)
        test_reqs = []
        for i, (rq, (dec, reasons, errors)) in enumerate(zip(reqs, answers)):
            if dec not in ("Allow", "Deny"):
                continue
            t = dict(rq)
            t.update({"description": "%s request %d" % (name, i), "decision": dec.lower(), "reason": reasons, "errors": errors})
            test_reqs.append(t)
        compared += len(test_reqs)
        test = {"policies": name + ".cedar", "entities": name + ".entities.json", "schema": "none", "shouldValidate": False,
                "requests": test_reqs}
        with open(os.path.join(workdir, name + ".json"), "w") as f:
            json.dump(test, f, ensure_ascii=False, indent=1)
        if est:
            with open(os.path.join(workdir, name + ".policy.json.txt"), "w") as f:
                f.write(cedarpy.policies_to_json_str(policies))
            test_json = dict(test, policies=name + ".policy.json.txt", policyFormat="json")
            with open(os.path.join(workdir, name + "-est.json"), "w") as f:
                json.dump(test_json, f, ensure_ascii=False, indent=1)
            compared += len(test_reqs)
        if est and rng.random() < 0.3:
            compared += linked_case(gen, rng, policies, entities, reqs, workdir, name)
    proc = subprocess.run([tessera, "cedar", "test", workdir], capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    summary = lines[-1] if lines else ""
    m = re.match(r"^(\d+) passed, (\d+) failed$", summary)
    failures = [l for l in lines if l.startswith("FAIL")]
    if verbose:
        for l in lines[:-1][:60]:
            print(l)
        for p in parse_disagreements:
            print("PARSE DISAGREEMENT (reference rejects, tessera accepts): %s" % os.path.join(workdir, p + ".cedar"))
    disagreements = (int(m.group(2)) if m else 1) + len(parse_disagreements)
    print("%d requests compared (%d policy texts rejected by both), %d disagreements; cases in %s"
          % (compared, rejected_agree, disagreements, workdir))
    if not keep and disagreements == 0:
        shutil.rmtree(workdir, ignore_errors=True)
    return compared, disagreements, failures, proc.stderr


TOKEN_RE = re.compile(r'"(?:\\.|[^"\\])*"|[A-Za-z_][A-Za-z0-9_]*|[0-9]+|::|==|!=|<=|>=|&&|\|\||\?[a-z]+|\S')
INSERTS = ["(", ")", ",", ";", "==", "in", "is", "has", "like", "if", "then", "else", "!", "-", "[", "]", "{", "}", ".", "::",
           "?principal", "?resource", "?x", "@a", "@b(\"v\")", "1", "9223372036854775808", '"s"', "when", "unless", "&&", "||",
           "<", "*", "/", "%", "=", ":", "__cedar", "principal", "action", "resource", "context", "true", "User", "Action",
           '"\\q"', '"\\u{110000}"', "isEmpty()", "contains", "ip", "decimal", "\u00e9", "e"]


def mutate(rng, text):
    toks = TOKEN_RE.findall(text)
    for _ in range(rng.choice([1, 1, 2, 3])):
        if not toks:
            break
        i = rng.randrange(len(toks))
        op = rng.randrange(4)
        if op == 0:
            del toks[i]
        elif op == 1:
            toks.insert(i, toks[i])
        elif op == 2 and i + 1 < len(toks):
            toks[i], toks[i + 1] = toks[i + 1], toks[i]
        else:
            toks.insert(i, rng.choice(INSERTS))
    return " ".join(toks)


def _check_files(tessera, files):
    """`tessera cedar check` on many files: {path: accepted}."""
    got = {}
    for i in range(0, len(files), 500):
        proc = subprocess.run([tessera, "cedar", "check"] + files[i:i + 500], capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            m = re.match(r"^(.*\.(?:cedar|json)): (OK|ERROR)", line)
            if m:
                got[m.group(1)] = m.group(2) == "OK"
    return got


def syntax_run(tessera, count, seed, workdir, verbose=True):
    """Mutated policy texts: both engines must agree on accept / reject."""
    rng = random.Random(seed)
    gen = Gen(rng)
    os.makedirs(workdir, exist_ok=True)
    files, expected = [], {}
    for c in range(count):
        text = mutate(rng, "\n".join(gen.policy() for _ in range(rng.randint(1, 2))))
        try:
            cedarpy.PolicySet.from_str(text)
            ok = True
        except Exception:
            ok = False
        path = os.path.join(workdir, "syntax-%05d.cedar" % c)
        with open(path, "w") as f:
            f.write(text)
        files.append(path)
        expected[path] = ok
    got = _check_files(tessera, files)
    bad = [f for f in files if got.get(f) != expected[f]]
    if verbose:
        for f in bad[:30]:
            print("SYNTAX DISAGREEMENT: reference %s, tessera %s: %s" % (
                "accepts" if expected[f] else "rejects", {True: "accepts", False: "rejects", None: "?"}[got.get(f)], f))
    accepted = sum(1 for f in files if expected[f])
    print("%d mutated policy texts compared (%d accepted by the reference), %d disagreements" % (len(files), accepted, len(bad)))
    return len(files), bad


EXT_SEEDS = {
    "ip": IPS + ["255.255.255.255/32", "1.2.3.4/0", "::", "1::", "::2:3", "a:b:c:d:e:f:0:1", "A:B::C/64", "1:2:3:4:5:6:7:8",
                 "fe80::1/10", "127.1.1.1/8"],
    "decimal": DECIMALS + ["0.0", "-1.2345", "12.34", "00.10", "-0.0001", "100.5"],
    "datetime": DATETIMES + ["2000-02-29", "1900-02-29", "2024-12-31T23:59:59Z", "0000-01-01", "2024-01-01T00:00:00.999+2359",
                             "2024-06-15T12:00:00-0130"],
    "duration": DURATIONS + ["1d", "2h30m", "-0ms", "100ms", "1s500ms", "24h", "-1ms", "5m5s", "1d1ms"],
}
EXT_CHARS = "0123456789.:-+TZ/abfxhmsd_ "
EXT_CHECKS = {
    "ip": ['%s == %s', '%s.isIpv4()', '%s.isIpv6()', '%s.isLoopback()', '%s.isMulticast()', '%s.isInRange(ip("10.0.0.0/8"))',
           '%s.isInRange(ip("0.0.0.0/0"))', '%s.isInRange(ip("::/0"))', '%s.isInRange(ip("1.2.3.0/24"))', '%s.isInRange(ip("a::/16"))',
           'ip("1.2.3.4").isInRange(%s)', 'ip("1.2.3.4/24").isInRange(%s)', 'ip("::1").isInRange(%s)', 'ip("a:b::1").isInRange(%s)',
           '%s == ip("1.2.3.4")', '%s == ip("::1")'],
    "decimal": ['%s == %s', '%s.lessThan(decimal("0.0"))', '%s.lessThan(decimal("1.0"))', '%s.lessThan(decimal("12.3400"))',
                '%s.greaterThan(decimal("-1.2345"))', '%s.lessThanOrEqual(decimal("0.0001"))', '%s.greaterThanOrEqual(decimal("100.5"))',
                '%s == decimal("1.0")', '%s == decimal("-0.5")', '%s.lessThan(decimal("922337203685477.5807"))',
                '%s.greaterThan(decimal("-922337203685477.5808"))'],
    "datetime": ['%s == %s', '%s < datetime("1970-01-01")', '%s < datetime("2024-10-15T11:38:02Z")', '%s <= datetime("2024-10-15")',
                 '%s.toTime() < duration("12h")', '%s.toTime() == duration("0ms")', '%s.toDate() == datetime("2024-10-15")',
                 '%s.offset(duration("1d")) > datetime("2024-10-15")', '%s.durationSince(datetime("2024-01-01")) < duration("100d")',
                 '%s.toTime().toMilliseconds() < 40000000', '%s.toTime().toSeconds() < 3600', '%s.toDate() < datetime("2000-01-01")'],
    "duration": ['%s == %s', '%s < duration("0ms")', '%s < duration("1h")', '%s.toMilliseconds() < 1000', '%s.toSeconds() == 0',
                 '%s.toMinutes() < 60', '%s.toHours() < 24', '%s.toDays() == 1', '%s == duration("24h")', '%s.toMilliseconds() == -1',
                 'datetime("2024-01-01").offset(%s) < datetime("2024-01-02")', '%s > duration("-1d")'],
}


def ext_run(tessera, count, seed, workdir, verbose=True):
    """Extension constructors on mutated strings: both engines must agree on the value or error."""
    rng = random.Random(seed)
    os.makedirs(workdir, exist_ok=True)
    compared = 0
    for c in range(count):
        fn = rng.choice(sorted(EXT_SEEDS))
        text = rng.choice(EXT_SEEDS[fn])
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            i = rng.randint(0, len(text))
            op = rng.randrange(3)
            if op == 0:
                text = text[:i] + rng.choice(EXT_CHARS) + text[i:]
            elif op == 1 and text:
                text = text[:i] + text[i + 1:]
            elif text:
                text = text[:i] + rng.choice(EXT_CHARS) + text[i + 1:]
        call = '%s("%s")' % (fn, text.replace("\\", "\\\\").replace('"', '\\"'))
        policies = "\n".join("permit(principal, action, resource) when { %s };" % (check.replace("%s", call))
                             for check in EXT_CHECKS[fn])
        req = {"principal": {"type": "User", "id": "a"}, "action": {"type": "Action", "id": "v"},
               "resource": {"type": "D", "id": "d"}, "context": {}}
        ((dec, reasons, errors),) = oracle([req], policies, [])
        name = "ext-%05d" % c
        with open(os.path.join(workdir, name + ".cedar"), "w") as f:
            f.write(policies + "\n")
        with open(os.path.join(workdir, name + ".entities.json"), "w") as f:
            f.write("[]")
        t = dict(req, description=call, decision=dec.lower(), reason=reasons, errors=errors)
        with open(os.path.join(workdir, name + ".json"), "w") as f:
            json.dump({"policies": name + ".cedar", "entities": name + ".entities.json", "schema": "none", "requests": [t]}, f)
        compared += len(EXT_CHECKS[fn])
    proc = subprocess.run([tessera, "cedar", "test", workdir], capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    failures = [l for l in lines if l.startswith("FAIL")]
    if verbose:
        for l in lines[:-1][:45]:
            print(l)
    print("%d extension-constructor checks compared (%d strings), %d disagreeing strings" % (compared, count, len(failures)))
    return compared, failures


WEIRD_VALUES = [
    '{"__entity": "User::\\"bob\\""}', '{"__extn": {"fn": "ip"}}', '{"__entity": {"type": "User", "id": "bob"}, "k": 1}',
    '{"__expr": 5}', '{"__expr": "1"}', '-0', '1.0', 'null', '{"__extn": {"fn": "decimal", "arg": "1.0", "args": []}}',
    '{"__extn": {"fn": "offset", "args": [{"__extn": {"fn": "datetime", "arg": "2024-01-01"}}, {"__extn": {"fn": "duration", "arg": "1h"}}]}}',
    '{"__extn": {"fn": "ip", "arg": {"__extn": {"fn": "ip", "arg": "1.2.3.4"}}}}', '{"__entity": {"type": "User", "id": "bob", "z": 1}}',
    '{"__entity": {"type": "User "}}', '{"__extn": "x"}', '{"__extn": {"fn": "nope", "arg": "x"}}', '{"__entity": {"type": "a__cedar", "id": "x"}}',
    '{"type": "User", "id": "bob"}', '[{"__entity": {"type": "User", "id": "bob"}}, 1, 1]', '{"a": {"__extn": {"fn": "ip", "args": ["1.2.3.4"]}}}',
    '9223372036854775807', '-9223372036854775808', '9223372036854775808', '1e2', '"\\u00e9"', '{"__entity": {"id": "x", "type": "User"}}',
    '{"__extn": {"arg": "1.5", "fn": "decimal"}}', '{"__entity": {"type": "User", "id": 5}}', '{"__extn": {"fn": "ip", "arg": "1.2.3.4", "x": 1}}',
]
PROBES = ['principal.%s == principal.%s', 'principal.%s is User', 'principal.%s has __entity', 'principal.%s has __extn',
          'principal.%s.isEmpty()', 'principal.%s like "*"', 'principal.%s < 5', 'principal.%s.isIpv4()', 'principal.%s == User::"bob"',
          'principal.%s.lessThan(decimal("1.0"))', 'principal.%s has type', 'principal.%s.contains(1)']


def entity_run(tessera, count, seed, workdir, verbose=True):
    """Mutated entity JSON: both engines must agree on accept/reject and on what the values are."""
    rng = random.Random(seed)
    os.makedirs(workdir, exist_ok=True)
    names = ["w0", "w1", "w2"]
    policies = "\n".join("permit(principal, action, resource) when { %s };" % (p.replace("%s", n)) for n in names for p in PROBES)
    with open(os.path.join(workdir, "probes.cedar"), "w") as f:
        f.write(policies + "\n")
    compared, rejected, bad = 0, 0, []
    for c in range(count):
        attrs = ", ".join('"%s": %s' % (n, rng.choice(WEIRD_VALUES)) for n in names if rng.random() < 0.8)
        alice = '{"uid": {"type": "User", "id": "alice"}, "attrs": {%s}, "parents": []%s}' % (
            attrs, rng.choice(["", "", ', "tags": {}', ', "tags": null', ', "extra": 1', ', "parents": []']))
        others = ['{"uid": {"type": "User", "id": "bob"}, "attrs": {}, "parents": []}']
        if rng.random() < 0.1:
            others.append(rng.choice(['{"uid": {"type": "User", "id": "alice"}, "attrs": {}, "parents": []}',
                                      '{"uid": {"__entity": {"type": "G", "id": "g"}}, "attrs": {}, "parents": ["G::\\"h\\""]}',
                                      '{"uid": {"type": "G", "id": "g", "x": 1}, "attrs": {}, "parents": [{"__entity": {"type": "G", "id": "h"}}]}']))
        text = "[" + ", ".join([alice] + others) + "]"
        req = {"principal": {"type": "User", "id": "alice"}, "action": {"type": "Action", "id": "v"},
               "resource": {"type": "D", "id": "d"}, "context": {}}
        try:
            ents = cedarpy.Entities.from_json_str(text)
        except Exception:
            ents = None
        name = "ent-%05d" % c
        with open(os.path.join(workdir, name + ".entities.json"), "w") as f:
            f.write(text)
        if ents is None:
            rc = subprocess.run([tessera, "cedar", "authorize", "--policies", os.path.join(workdir, "probes.cedar"), "--entities",
                                 os.path.join(workdir, name + ".entities.json"), "--request", "/dev/stdin"],
                                input=json.dumps(req), capture_output=True, text=True).returncode
            if rc != 1:
                bad.append("reference rejects, tessera accepts: " + os.path.join(workdir, name + ".entities.json"))
            rejected += 1
            continue
        ((dec, reasons, errors),) = _oracle_handles([req], policies, ents)
        t = dict(req, description=name, decision=dec.lower(), reason=reasons, errors=errors)
        with open(os.path.join(workdir, name + ".json"), "w") as f:
            json.dump({"policies": "probes.cedar", "entities": name + ".entities.json", "schema": "none", "requests": [t]}, f)
        compared += 1
    proc = subprocess.run([tessera, "cedar", "test", workdir], capture_output=True, text=True)
    bad += [l for l in proc.stdout.splitlines() if l.startswith("FAIL")]
    if verbose:
        for l in bad[:30]:
            print(l)
    print("%d mutated entity files compared (%d rejected by the reference), %d disagreements" % (compared + rejected, rejected, len(bad)))
    return compared + rejected, bad


def context_run(tessera, count, seed, workdir, verbose=True):
    """Mutated request contexts: both engines must agree on accept/reject and on the values."""
    rng = random.Random(seed)
    os.makedirs(workdir, exist_ok=True)
    names = ["w0", "w1", "w2"]
    policies = "\n".join("permit(principal, action, resource) when { %s };" % (p.replace("principal.%s", "context.%s").replace("%s", n))
                         for n in names for p in PROBES)
    with open(os.path.join(workdir, "probes.cedar"), "w") as f:
        f.write(policies + "\n")
    with open(os.path.join(workdir, "entities.json"), "w") as f:
        f.write("[]")
    pset = cedarpy.PolicySet.from_str(policies)
    ents = cedarpy.Entities.from_json_str("[]")
    compared, rejected, bad = 0, 0, []
    for c in range(count):
        fields = ", ".join('"%s": %s' % (n, rng.choice(WEIRD_VALUES)) for n in names if rng.random() < 0.8)
        context_text = rng.choice(["{%s}" % fields] * 8 + ['{"__entity": {"type": "User", "id": "b"}}', "[]", "1", "null"])
        request_text = ('{"principal": {"type": "User", "id": "alice"}, "action": {"type": "Action", "id": "v"}, '
                        '"resource": {"type": "D", "id": "d"}, "context": %s}' % context_text)
        name = "ctx-%05d" % c
        req_path = os.path.join(workdir, name + ".request.json")
        with open(req_path, "w") as f:
            f.write(request_text)
        try:
            req = json.loads(request_text)
            res = cedarpy.is_authorized_batch([req], pset, ents)[0]._authz_resp
            dec = res.get("decision")
        except Exception:
            dec = None
        if dec not in ("Allow", "Deny"):
            rc = subprocess.run([tessera, "cedar", "authorize", "--policies", os.path.join(workdir, "probes.cedar"), "--entities",
                                 os.path.join(workdir, "entities.json"), "--request", req_path], capture_output=True).returncode
            if rc != 1:
                bad.append("reference rejects, tessera accepts: " + req_path)
            rejected += 1
            continue
        t = dict(req, description=name, decision=dec.lower(), reason=sorted(res["diagnostics"].get("reason", [])),
                 errors=sorted(_error_ids(res)))
        with open(os.path.join(workdir, name + ".json"), "w") as f:
            json.dump({"policies": "probes.cedar", "entities": "entities.json", "schema": "none", "requests": [t]}, f)
        compared += 1
    proc = subprocess.run([tessera, "cedar", "test", workdir], capture_output=True, text=True)
    bad += [l for l in proc.stdout.splitlines() if l.startswith("FAIL")]
    if verbose:
        for l in bad[:30]:
            print(l)
    print("%d mutated request contexts compared (%d rejected by the reference), %d disagreements" % (compared + rejected, rejected, len(bad)))
    return compared + rejected, bad


def _oracle_handles(requests, policies_text, ents):
    pset = cedarpy.PolicySet.from_str(policies_text)
    out = []
    for res in cedarpy.is_authorized_batch(requests, pset, ents):
        resp = res._authz_resp
        out.append((resp.get("decision"), sorted(resp.get("diagnostics", {}).get("reason", []) or []), sorted(_error_ids(resp))))
    return out


EST_KEYS = ["effect", "principal", "action", "resource", "conditions", "annotations", "op", "entity", "entities", "slot",
            "entity_type", "in", "kind", "body", "left", "right", "arg", "attr", "pattern", "Value", "Var", "Slot", "if", "then",
            "else", "Set", "Record", "extra", "Literal", "Wildcard", "==", "&&", "!", "neg", "has", "like", "is", "isEmpty",
            "getTag", "ip", "decimal", "isInRange"]
EST_VALUES = [None, 1, "x", [], {}, "principal", "All", "==", "in", "?principal", "?resource", {"type": "User", "id": "a"},
              ["a", "b"], "Wildcard", {"entity": {"type": "User", "id": "a"}}, {"slot": "?principal"}]


def _mutate_json(rng, o):
    if isinstance(o, dict) and o:
        k = rng.choice(list(o.keys()))
        op = rng.randrange(6)
        if op == 0:
            del o[k]
        elif op == 1:
            o[rng.choice(EST_KEYS)] = json.loads(json.dumps(o[k]))
        elif op == 2:
            o[rng.choice(EST_KEYS)] = o.pop(k)
        elif op == 3:
            o[k] = rng.choice(EST_VALUES)
        else:
            _mutate_json(rng, o[k])
    elif isinstance(o, list) and o:
        i = rng.randrange(len(o))
        r = rng.random()
        if r < 0.3:
            del o[i]
        elif r < 0.5:
            o.append(json.loads(json.dumps(o[i])))
        elif isinstance(o[i], (dict, list)):
            _mutate_json(rng, o[i])
        else:
            o[i] = rng.choice([None, 1, "x", {"Literal": "a"}, "Wildcard", {}])


def est_run(tessera, count, seed, workdir, verbose=True):
    """Mutated JSON policies (EST): both engines must agree on accept / reject."""
    rng = random.Random(seed)
    gen = Gen(rng)
    os.makedirs(workdir, exist_ok=True)
    files, expected = [], {}
    for c in range(count):
        try:
            est = json.loads(cedarpy.policies_to_json_str("\n".join(gen.policy() for _ in range(rng.randint(1, 2)))))
        except Exception:
            continue
        doc = json.loads(json.dumps(rng.choice(list(est["staticPolicies"].values()))))
        for _ in range(rng.choice([1, 1, 2])):
            _mutate_json(rng, doc)
        text = json.dumps({"staticPolicies": {"p": doc}, "templates": {}, "templateLinks": []})
        try:
            cedarpy.PolicySet.from_json_str(text)
            ok = True
        except Exception:
            ok = False
        path = os.path.join(workdir, "est-%05d.json" % c)
        with open(path, "w") as f:
            f.write(text)
        files.append(path)
        expected[path] = ok
    got = _check_files(tessera, files)
    bad = [f for f in files if got.get(f) != expected[f]]
    if verbose:
        for f in bad[:30]:
            print("EST DISAGREEMENT: reference %s: %s" % ("accepts" if expected[f] else "rejects", f))
    print("%d mutated JSON policies compared (%d accepted by the reference), %d disagreements"
          % (len(files), sum(expected.values()), len(bad)))
    return len(files), bad


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tessera", default=os.environ.get("TESSERA_BIN", ".build/debug/tessera"))
    ap.add_argument("--cases", type=int, default=500)
    ap.add_argument("--requests-per-case", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="write the generated cases here and keep them")
    ap.add_argument("--no-est", action="store_true", help="skip the JSON-policy-format pass")
    ap.add_argument("--syntax", type=int, default=1000, help="mutated policy texts for the accept/reject comparison")
    ap.add_argument("--ext", type=int, default=1000, help="mutated extension-constructor strings")
    ap.add_argument("--entities", type=int, default=300, help="mutated entity JSON files")
    ap.add_argument("--est", type=int, default=1000, help="mutated JSON policies (accept/reject)")
    ap.add_argument("--contexts", type=int, default=300, help="mutated request contexts")
    a = ap.parse_args()
    _, disagreements, _, _ = run(a.tessera, a.cases, a.requests_per_case, a.seed, a.keep, est=not a.no_est)
    syntax_dir = os.path.join(a.keep, "syntax") if a.keep else tempfile.mkdtemp(prefix="cedar-syntax-")
    _, bad = syntax_run(a.tessera, a.syntax, a.seed, syntax_dir)
    if not a.keep and not bad:
        shutil.rmtree(syntax_dir, ignore_errors=True)
    ext_dir = os.path.join(a.keep, "ext") if a.keep else tempfile.mkdtemp(prefix="cedar-ext-")
    _, ext_bad = ext_run(a.tessera, a.ext, a.seed, ext_dir)
    if not a.keep and not ext_bad:
        shutil.rmtree(ext_dir, ignore_errors=True)
    ent_dir = os.path.join(a.keep, "entities") if a.keep else tempfile.mkdtemp(prefix="cedar-entities-")
    _, ent_bad = entity_run(a.tessera, a.entities, a.seed, ent_dir)
    if not a.keep and not ent_bad:
        shutil.rmtree(ent_dir, ignore_errors=True)
    est_dir = os.path.join(a.keep, "est") if a.keep else tempfile.mkdtemp(prefix="cedar-est-")
    _, est_bad = est_run(a.tessera, a.est, a.seed, est_dir)
    if not a.keep and not est_bad:
        shutil.rmtree(est_dir, ignore_errors=True)
    ctx_dir = os.path.join(a.keep, "contexts") if a.keep else tempfile.mkdtemp(prefix="cedar-contexts-")
    _, ctx_bad = context_run(a.tessera, a.contexts, a.seed, ctx_dir)
    if not a.keep and not ctx_bad:
        shutil.rmtree(ctx_dir, ignore_errors=True)
    return 1 if disagreements or bad or ext_bad or ent_bad or est_bad or ctx_bad else 0


if __name__ == "__main__":
    sys.exit(main())
