"""Consent integrity in GNAP (issue 18), attacked through a real `tessera serve`: a grant never holds
more than a person approved. The person's side is driven with `requests` like a browser (one cookie
jar, the consent form posted with exactly the fields the page carries), the client's side with the
signed Python GNAP client of test_gnap_interop.

- RFC 9635 §5.3: a modification (PATCH) of an approved grant that asks for more than was approved
  (more actions, new locations, omitted members, other identifiers, privileges, subject information,
  a wider Cedar policy set) is not approved by the old approval.
- RFC 9635 §4 / §5.3: what the person approves is what the page showed: the form is bound to a digest
  of the shown rights, and a modification while the page is open cancels that interaction.
- RFC 9635 §1.4 (the resource owner is not the client operator): configured resource owners win over
  the client's `user` / `subject` hints, and a request spanning two owners is refused.
- The Cedar consent form with 1, 2 and 10 policies: approve all, approve some, deny.
"""

import base64
import json
import os
import re
from html import unescape
from urllib.parse import urlencode

import pytest
import requests
from conftest import REPO_ROOT, TesseraServer, tessera_binary
from test_gnap_interop import Client, send

pytestmark = pytest.mark.skipif(not os.path.exists(tessera_binary()), reason=f"tessera not built ({tessera_binary()})")

EXAMPLE = REPO_ROOT / "Examples" / "BankAPI"
ALICE, BOB, MALLORY = ("alice", "alice-password-1"), ("bob", "bob-password-22"), ("mallory", "mallory-password-3")
PHOTOS_A = "https://photos-a.example/"
PHOTOS_B = "https://photos-b.example/"
READ_A = {"type": "photo-api", "actions": ["read"], "locations": [PHOTOS_A], "datatypes": ["image"], "identifier": "album-1"}
AGENT = Client("consent-agent")  # registered as instance "fintech": the bank's delegation policies name it


@pytest.fixture(scope="module")
def server():
    server = TesseraServer(
        f"""
users:
  - username: {ALICE[0]}
    password: {ALICE[1]}
  - username: {BOB[0]}
    password: {BOB[1]}
  - username: {MALLORY[0]}
    password: {MALLORY[1]}
gnap:
  continuation_wait: 0
  interaction:
    resource_owners: {{payroll-api: alice, hr-api: bob}}
  instances:
    - id: fintech
      display_name: Fintech agent
      key: {{"proof": "httpsig", "jwk": {json.dumps(AGENT.jwk)}}}
      allowed_access: [metrics]
authorization_details_types:
  - type: payment_initiation
    cedar:
      schema_file: {EXAMPLE / "bank.cedarschema"}
      policy_file: {EXAMPLE / "delegation.cedar"}
"""
    )
    yield server
    server.stop()


# ---------------------------------------------------------------------------------------------------------------
# The client's side


def gnap_error(response, status, code):
    assert response.status_code == status, (response.status_code, response.text)
    assert response.json()["error"]["code"] == code, response.text


def request_grant(server, client, tokens, interact=None, user=None, subject=None, key=True):
    body = {"access_token": tokens, "client": {"key": {"proof": "httpsig", "jwk": client.jwk}} if key else client}
    if interact is not None:
        body["interact"] = interact
    if user:
        body["user"] = {"sub_ids": [{"format": "opaque", "id": user}]}
    if subject:
        body["subject"] = subject
    return send(client.signed("POST", server.base_url + "/gnap", json.dumps(body).encode()))


def continue_grant(client, granted, body=None, method="POST"):
    payload = json.dumps(body).encode() if body is not None else None
    return send(client.signed(method, granted["continue"]["uri"], payload, token=granted["continue"]["access_token"]["value"]))


def modify(client, granted, body):
    return continue_grant(client, granted, body, method="PATCH")


def tokens_of(body):
    tokens = body.get("access_token")
    if tokens is None:
        return []
    return tokens if isinstance(tokens, list) else [tokens]


def claims(value):
    payload = value.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


# ---------------------------------------------------------------------------------------------------------------
# The person's side: a browser that posts exactly what the page's form holds


class Person:
    def __init__(self, server, who):
        self.base = server.base_url
        self.session = requests.Session()
        page = self.session.get(self.base + "/signin", timeout=10)
        response = self.session.post(
            self.base + "/signin",
            data={"csrf": hidden(page.text, "csrf"), "next": "/device", "username": who[0], "password": who[1]},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 303, response.text

    def open(self, url):
        """The consent page as the browser shows it: status, text and the form's fields."""
        return ConsentPage(self.session.get(self.base + path_of(url), timeout=10), path_of(url))

    def submit(self, page, decision, untick=()):
        """Posts the page's form as a browser does: its hidden fields, every still-ticked box, the button."""
        data = [(name, value) for name, value in page.hidden]
        data += [(name, value) for name, value in page.boxes if value not in untick]
        data.append(("decision", decision))
        return self.session.post(self.base + page.path, data=data, allow_redirects=False, timeout=10)


class ConsentPage:
    def __init__(self, response, path):
        self.response, self.status, self.text, self.path = response, response.status_code, response.text, path
        form = self.text.split('<form method="post" action="/interact/', 1)[-1].split("</form>", 1)[0]
        self.hidden = [(n, unescape(v)) for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)]
        self.boxes = [(n, unescape(v)) for n, v in re.findall(r'<input type="checkbox" name="([^"]+)" value="([^"]*)"[^>]*checked', form)]


def hidden(html, name):
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    return match.group(1) if match else ""


def path_of(url):
    return "/" + url.split("/", 3)[3]


def approved_token(server, client, granted, person, decision="approve_all", untick=(), latest=None):
    """Has `person` approve the grant's interaction on its page and returns the poll's answer
    (continuing with `latest`, the last answer carrying the continuation, when the client polled since)."""
    page = person.open(granted["interact"]["redirect"])
    assert page.status == 200, page.text
    decided = person.submit(page, decision, untick)
    assert decided.status_code == 200 and "Done" in decided.text, (decided.status_code, decided.text[:400])
    polled = continue_grant(client, latest or granted)
    assert polled.status_code == 200, polled.text
    return polled.json()


# ---------------------------------------------------------------------------------------------------------------
# 1. RFC 9635 §5.3: a modification never widens an approved grant


WIDER = [
    pytest.param({**READ_A, "actions": ["read", "delete"]}, id="more-actions"),
    pytest.param({**READ_A, "locations": [PHOTOS_A, PHOTOS_B]}, id="new-location"),
    pytest.param({**READ_A, "locations": [PHOTOS_B]}, id="other-location"),
    pytest.param({k: v for k, v in READ_A.items() if k != "actions"}, id="actions-omitted"),
    pytest.param({k: v for k, v in READ_A.items() if k != "locations"}, id="locations-omitted"),
    pytest.param({k: v for k, v in READ_A.items() if k != "identifier"}, id="identifier-omitted"),
    pytest.param({**READ_A, "identifier": "album-2"}, id="other-identifier"),
    pytest.param({**READ_A, "datatypes": ["image", "metadata"]}, id="more-datatypes"),
    pytest.param({**READ_A, "privileges": ["admin"]}, id="privileges"),
    pytest.param({**READ_A, "scope": "everything"}, id="unknown-member"),
]


@pytest.mark.parametrize("wider", WIDER)
def test_modify_cannot_widen_an_approved_grant(server, wider):
    client = Client("consent-widen")
    granted = request_grant(server, client, {"access": [READ_A]}, interact={"start": ["redirect"]}).json()
    approved = approved_token(server, client, granted, Person(server, ALICE))
    [token] = tokens_of(approved)
    assert token["access"] == [READ_A] and claims(token["value"])["aud"] == PHOTOS_A

    widened = modify(client, approved, {"access_token": {"access": [wider]}})
    gnap_error(widened, 403, "request_denied")
    # The grant is as it was: its continuation still mints only what was approved, bound to the key.
    again = continue_grant(client, approved)
    assert again.status_code == 200, again.text
    for issued in tokens_of(again.json()):
        assert issued["access"] == [READ_A], issued
        assert claims(issued["value"])["cnf"]["jkt"] and claims(issued["value"])["aud"] == PHOTOS_A


def test_modify_adding_a_right_or_subject_information_is_refused(server):
    client = Client("consent-add")
    granted = request_grant(server, client, {"access": [READ_A]}, interact={"start": ["redirect"]}).json()
    approved = approved_token(server, client, granted, Person(server, ALICE))
    gnap_error(modify(client, approved, {"access_token": {"access": [READ_A, "photo-admin"]}}), 403, "request_denied")
    gnap_error(modify(client, approved, {"subject": {"sub_id_formats": ["opaque"]}}), 403, "request_denied")


def test_modify_that_narrows_stays_approved_and_rotation_keeps_the_rights_and_key(server):
    client = Client("consent-narrow")
    wide = {**READ_A, "actions": ["read", "write"], "locations": [PHOTOS_A, PHOTOS_B]}
    granted = request_grant(server, client, {"access": [wide]}, interact={"start": ["redirect"]}).json()
    approved = approved_token(server, client, granted, Person(server, ALICE))
    narrowed = modify(client, approved, {"access_token": {"access": [READ_A]}})
    assert narrowed.status_code == 200, narrowed.text
    [token] = tokens_of(narrowed.json())
    assert token["access"] == [READ_A] and claims(token["value"])["aud"] == PHOTOS_A
    jkt = claims(token["value"])["cnf"]["jkt"]
    rotated = send(client.signed("POST", token["manage"]["uri"], None, token=token["manage"]["access_token"]["value"]))
    assert rotated.status_code == 200, rotated.text
    [again] = tokens_of(rotated.json())
    assert again["access"] == [READ_A] and claims(again["value"])["cnf"]["jkt"] == jkt


def test_modify_widening_with_interact_goes_back_to_a_person(server):
    client = Client("consent-reapprove")
    granted = request_grant(server, client, {"access": [READ_A]}, interact={"start": ["redirect"]}).json()
    alice = Person(server, ALICE)
    approved = approved_token(server, client, granted, alice)
    wider = {**READ_A, "actions": ["read", "delete"]}
    pending = modify(client, approved, {"access_token": {"access": [wider]}, "interact": {"start": ["redirect"]}})
    assert pending.status_code == 200, pending.text
    body = pending.json()
    assert "access_token" not in body and "redirect" in body["interact"], body
    # Nothing more until the person approves the wider request on a new page.
    polled = continue_grant(client, body)
    assert polled.status_code == 200 and "access_token" not in polled.json(), polled.text
    page = alice.open(body["interact"]["redirect"])
    assert page.status == 200 and "delete" in page.text
    decided = alice.submit(page, "approve_all")
    assert decided.status_code == 200, decided.text
    final = continue_grant(client, polled.json())
    [token] = tokens_of(final.json())
    assert token["access"] == [wider]


CEDAR_STATUS = 'permit (principal, action == BankA::Action::"status", resource is Creditor);'
CEDAR_INITIATE = 'permit (principal, action == BankA::Action::"initiate", resource is Creditor);'
CEDAR_PAYMENTS = 'permit (principal, action == BankA::Action::"initiate", resource == Creditor::"https://example.com/payments");'
CEDAR_NOT_OTHER = 'forbid (principal, action == BankA::Action::"initiate", resource == Creditor::"https://example.com/other");'


def cedar(policy_set):
    return {"type": "payment_initiation", "rarFormat": "cedar", "policySet": policy_set}


@pytest.mark.parametrize(
    "approved_set,wider_set",
    [
        pytest.param(CEDAR_STATUS, CEDAR_STATUS + "\n" + CEDAR_INITIATE, id="added-permit"),
        pytest.param(CEDAR_PAYMENTS, CEDAR_INITIATE, id="wider-permit"),
        pytest.param(CEDAR_INITIATE + "\n" + CEDAR_NOT_OTHER, CEDAR_INITIATE, id="dropped-forbid"),
    ],
)
def test_modify_cannot_widen_a_cedar_right(server, approved_set, wider_set):
    granted = request_grant(server, AGENT, {"access": [cedar(approved_set)]}, interact={"start": ["redirect"]}, user="alice").json()
    approved = approved_token(server, AGENT, granted, Person(server, ALICE))
    assert tokens_of(approved), approved
    gnap_error(modify(AGENT, approved, {"access_token": {"access": [cedar(wider_set)]}}), 403, "request_denied")


def test_modify_to_a_cedar_subset_stays_approved(server):
    both = CEDAR_STATUS + "\n" + CEDAR_INITIATE
    granted = request_grant(server, AGENT, {"access": [cedar(both)]}, interact={"start": ["redirect"]}, user="alice").json()
    approved = approved_token(server, AGENT, granted, Person(server, ALICE))
    narrowed = modify(AGENT, approved, {"access_token": {"access": [cedar(CEDAR_STATUS)]}})
    assert narrowed.status_code == 200, narrowed.text
    [token] = tokens_of(narrowed.json())
    assert "status" in token["access"][0]["policySet"] and "initiate" not in token["access"][0]["policySet"]


# ---------------------------------------------------------------------------------------------------------------
# 2. What the person approves is what the page showed


def test_patch_while_the_page_is_open_cannot_slip_rights_into_the_approval(server):
    client = Client("consent-slip")
    granted = request_grant(server, client, {"access": [READ_A]}, interact={"start": ["redirect"]}).json()
    alice = Person(server, ALICE)
    page = alice.open(granted["interact"]["redirect"])
    assert page.status == 200 and "delete" not in page.text
    # While the page is open, the client asks for more.
    slipped = {**READ_A, "actions": ["read", "delete"]}
    patched = modify(client, granted, {"access_token": {"access": [slipped]}})
    assert patched.status_code == 200, patched.text
    assert "access_token" not in patched.json()
    decided = alice.submit(page, "approve_all")
    assert decided.status_code in (404, 409), (decided.status_code, decided.text[:300])
    polled = continue_grant(client, patched.json())
    assert polled.status_code == 200, polled.text
    for token in tokens_of(polled.json()):
        assert "delete" not in json.dumps(token["access"]), token


def test_a_decision_without_the_shown_digest_or_with_another_is_refused(server):
    client = Client("consent-digest")
    granted = request_grant(server, client, {"access": [READ_A]}, interact={"start": ["redirect"]}).json()
    alice = Person(server, ALICE)
    page = alice.open(granted["interact"]["redirect"])
    assert any(name == "rights_digest" for name, _ in page.hidden), "the form carries the digest of what it shows"
    for forged in ("", "x" * 43):
        data = [(n, v) for n, v in page.hidden if n != "rights_digest"] + [("rights_digest", forged), ("decision", "approve_all")]
        refused = alice.session.post(alice.base + page.path, data=data, allow_redirects=False, timeout=10)
        assert refused.status_code == 409 and "changed" in refused.text, (refused.status_code, refused.text[:300])
    assert "access_token" not in continue_grant(client, granted).json()
    # The untouched form still works.
    assert alice.submit(page, "approve_all").status_code == 200


def test_patch_to_another_owners_type_is_not_approved_by_whoever_has_the_page(server):
    client = Client("consent-reroute")
    granted = request_grant(server, client, {"access": [READ_A]}, interact={"start": ["redirect"]}).json()
    mallory = Person(server, MALLORY)
    page = mallory.open(granted["interact"]["redirect"])
    assert page.status == 200, "photo-api has no configured owner: any signed-in person may answer"
    patched = modify(client, granted, {"access_token": {"access": [{"type": "payroll-api", "actions": ["read"]}]},
                                       "interact": {"start": ["redirect"]}})
    assert patched.status_code == 200, patched.text
    assert mallory.submit(page, "approve_all").status_code in (404, 409)
    # The new interaction is alice's: mallory can neither see nor answer it.
    fresh = mallory.open(patched.json()["interact"]["redirect"])
    assert fresh.status == 403
    assert "access_token" not in continue_grant(client, patched.json()).json()


# ---------------------------------------------------------------------------------------------------------------
# 3. Resource-owner routing: configuration wins over the client's hints


@pytest.mark.parametrize("hint", ["user", "subject"])
def test_a_client_hint_cannot_route_alices_payroll_to_mallory(server, hint):
    client = Client("consent-hint")
    payroll = {"type": "payroll-api", "actions": ["read"]}
    kwargs = {"user": "mallory"} if hint == "user" else {"subject": {"sub_ids": [{"format": "opaque", "id": "mallory"}]}}
    granted = request_grant(server, client, {"access": [payroll]}, interact={"start": ["redirect"]}, **kwargs).json()
    mallory = Person(server, MALLORY)
    page = mallory.open(granted["interact"]["redirect"])
    assert page.status == 403 and "another person" in page.text, (page.status, page.text[:300])
    forced = mallory.session.post(
        mallory.base + page.path,
        data={"csrf": hidden(mallory.session.get(mallory.base + "/device", timeout=10).text, "csrf"), "decision": "approve_all"},
        allow_redirects=False, timeout=10,
    )
    assert forced.status_code == 403
    polled = continue_grant(client, granted)
    assert polled.status_code == 200 and "access_token" not in polled.json(), polled.text
    # alice, the configured owner, decides.
    assert tokens_of(approved_token(server, client, granted, Person(server, ALICE), latest=polled.json()))


def test_a_request_spanning_two_owners_is_refused(server):
    client = Client("consent-mixed")
    rights = [{"type": "payroll-api", "actions": ["read"]}, {"type": "hr-api", "actions": ["read"]}]
    gnap_error(request_grant(server, client, {"access": rights}, interact={"start": ["redirect"]}), 403, "request_denied")
    gnap_error(request_grant(server, client, [{"label": "a", "access": rights[:1]}, {"label": "b", "access": rights[1:]}],
                             interact={"start": ["redirect"]}), 403, "request_denied")
    # One owner's rights plus rights nobody owns: that owner decides.
    single = request_grant(server, client, {"access": [rights[0], READ_A]}, interact={"start": ["redirect"]})
    assert single.status_code == 200, single.text
    assert Person(server, BOB).open(single.json()["interact"]["redirect"]).status == 403


def test_patch_into_a_second_owner_is_refused(server):
    client = Client("consent-mixed-patch")
    granted = request_grant(server, client, {"access": [{"type": "payroll-api", "actions": ["read"]}]},
                            interact={"start": ["redirect"]}).json()
    approved = approved_token(server, client, granted, Person(server, ALICE))
    both = [{"type": "payroll-api", "actions": ["read"]}, {"type": "hr-api", "actions": ["read"]}]
    gnap_error(modify(client, approved, {"access_token": {"access": both}, "interact": {"start": ["redirect"]}}), 403, "request_denied")


# ---------------------------------------------------------------------------------------------------------------
# 4. The Cedar consent form with several policies


def policies(count):
    return [f'permit (principal, action == BankA::Action::"initiate", resource == Creditor::"https://example.com/c{index}");'
            for index in range(count)]


@pytest.mark.parametrize("count", [1, 2, 10])
@pytest.mark.parametrize("decision", ["approve_all", "approve", "approve_some", "deny"])
def test_cedar_consent_form_with_several_policies(server, count, decision):
    texts = policies(count)
    granted = request_grant(server, AGENT, {"access": [cedar("\n".join(texts))]}, interact={"start": ["redirect"]},
                            user="alice").json()
    alice = Person(server, ALICE)
    page = alice.open(granted["interact"]["redirect"])
    assert page.status == 200, page.text
    policy_boxes = [value for name, value in page.boxes if name == "policy"]
    assert len(policy_boxes) == count
    kept = list(range(count))
    untick = ()
    if decision == "approve_some":
        kept = [index for index in range(count) if index % 2 == 0]
        untick = tuple(box for index, box in enumerate(policy_boxes) if index not in kept)
    decided = alice.submit(page, "deny" if decision == "deny" else ("approve" if decision == "approve_some" else decision), untick)
    assert decided.status_code == 200, (decided.status_code, decided.text[:400])
    polled = continue_grant(AGENT, granted)
    if decision == "deny":
        gnap_error(polled, 403, "user_denied")
        return
    assert polled.status_code == 200, polled.text
    [token] = tokens_of(polled.json())
    granted_set = token["access"][0]["policySet"]
    for index in range(count):
        assert (f'"https://example.com/c{index}"' in granted_set) == (index in kept), (index, granted_set)
