"""Accessibility of the interaction pages in headless Chromium (issue 21 item 4).

axe-core 4.9.1 (bundled by PyPI `axe-selenium-python-nhsuk`, pinned in requirements-dev.txt) audits every page
state — sign-in, a wrong password, GNAP consent with plain rights and with Cedar policies (the exact
policy disclosed), OAuth consent with scopes and with a Cedar RAR entry, the user-code page and its
error, the account page before and after a withdrawal, an error page, the error page with a link back that a
self-registered client gets instead of a redirect — in light AND dark mode
(`prefers-color-scheme` emulated with the DevTools protocol, `Emulation.setEmulatedMedia`). Any serious
or critical violation fails; the summary of every run is printed in the test output. A self-test
proves axe really ran: a missing `alt` and low-contrast text injected into a Tessera page are reported.

The keyboard test signs in, approves consent and withdraws it on the account page with Tab,
Shift+Tab, Space and Enter only, and checks that the focused control shows a visible focus ring.
"""

import base64
import hashlib
import json
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from conftest import TesseraServer, tessera_binary
from test_browser_interaction import (  # noqa: F401 (browser is a fixture)
    BILLING,
    EXAMPLE,
    PAYMENT,
    PHOTOS,
    CallbackServer,
    browser,
    click_and_wait,
    page_text,
    request_grant,
    shot,
)
from test_gnap_interop import Client, b64u

pytestmark = pytest.mark.skipif(not os.path.exists(tessera_binary()), reason=f"tessera not built ({tessera_binary()})")

USER, PASSWORD = "erin", "erin-password-1"
CLIENT_ID, CLIENT_SECRET = "a11y-web", "a11y-web-secret-0123456789-abcdefghijkl"
CLIENT_NAME = "Erin's Budget Planner"
BLOCKING = ("serious", "critical")
# A second policy for the same creditor: only checking the payment's status.
SECOND_POLICY = (
    'permit (principal == BankA::User::"696d28c8-8912-41d2-b182-aa7087323318", action == BankA::Action::"status", '
    'resource == Creditor::"https://example.com/payments");'
)


def axe_script():
    """The axe-core build that axe-selenium-python(-nhsuk) ships (checked to exist: no axe, no audit), or the
    build at $TESSERA_AXE_SCRIPT (to audit with a newer axe-core as well)."""
    import axe_selenium_python

    default = Path(axe_selenium_python.__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
    script = Path(os.environ.get("TESSERA_AXE_SCRIPT") or default)
    assert script.is_file(), f"axe-selenium-python does not bundle axe.min.js at {script}"
    return script


@pytest.fixture(scope="module")
def callback():
    server = CallbackServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def redirect_uri(callback):
    return f"http://127.0.0.1:{callback.port}/cb"


@pytest.fixture(scope="module")
def server(redirect_uri):
    server = TesseraServer(
        f"""
users:
  - username: {USER}
    password: {PASSWORD}
    display_name: Erin
clients:
  - id: {CLIENT_ID}
    client_name: {json.dumps(CLIENT_NAME)}
    auth: client_secret_basic
    secret: {CLIENT_SECRET}
    grant_types: [authorization_code]
    scopes: openid profile read
    redirect_uris: ["{redirect_uri}"]
registration: open
gnap:
  continuation_wait: 0
authorization_details_types:
  - type: payment_initiation
    cedar:
      schema_file: {EXAMPLE / "bank.cedarschema"}
      policies: |
        permit (principal, action in [BankA::Action::"initiate", BankA::Action::"status"], resource is Creditor);
      conditions:
        - 'context.instructedAmount.amount.lessThanOrEqual(decimal("1000.00"))'
      valid_for: 600
"""
    )
    yield server
    server.stop()


def emulate(browser, scheme):
    """Emulates `prefers-color-scheme: scheme` (None: the browser's own) via the DevTools protocol."""
    features = [{"name": "prefers-color-scheme", "value": scheme}] if scheme else []
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": features})


def run_axe(browser):
    from axe_selenium_python import Axe

    axe = Axe(browser, script_url=str(axe_script()))
    axe.inject()
    results = axe.run()
    results["version"] = browser.execute_script("return axe.version")
    return axe, results


class Audit:
    """Runs axe on each page state in light and dark mode; records every summary and every blocking
    violation, so one run shows all of them."""

    def __init__(self, browser, capsys):
        self.browser = browser
        self.capsys = capsys
        self.failures = []
        self.states = []

    def __call__(self, state):
        for scheme in ("light", "dark"):
            emulate(self.browser, scheme)
            dark = self.browser.execute_script("return matchMedia('(prefers-color-scheme: dark)').matches")
            assert dark == (scheme == "dark"), f"{state}: the {scheme} scheme was not emulated"
            axe, results = run_axe(self.browser)
            violations = results["violations"]
            blocking = [violation for violation in violations if violation.get("impact") in BLOCKING]
            reviewed = ", ".join(f"{item['id']} ({len(item['nodes'])})" for item in results["incomplete"]) or "none"
            listed = ", ".join(f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])})" for violation in violations) or "none"
            line = (
                f"axe-core {results['version']} · {state:<24} · {scheme:<5} · "
                f"{len(results['passes'])} rules passed, to review: {reviewed}, violations: {listed}"
            )
            with self.capsys.disabled():
                print(line)
            self.states.append((state, scheme))
            self.browser.execute_script("window.scrollTo(0, 0)")
            shot(self.browser, "a11y-" + "".join(c if c.isalnum() else "-" for c in state.lower()).strip("-") + "-" + scheme)
            if blocking:
                self.failures.append(f"{state} [{scheme}] at {self.browser.current_url}\n{axe.report(blocking)}")
        emulate(self.browser, None)

    def check(self):
        assert not self.failures, "\n".join(self.failures)


def sign_in_as(browser, password=PASSWORD):
    from selenium.webdriver.common.by import By

    browser.find_element(By.ID, "username").clear()
    browser.find_element(By.ID, "username").send_keys(USER)
    browser.find_element(By.ID, "password").send_keys(password)
    click_and_wait(browser, "sign-in")


def authorize_url(server, redirect_uri, **extra):
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": redirect_uri,
        "state": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return server.base_url + "/authorize?" + urlencode(query)


def wait_until_at(browser, prefix):
    deadline = time.time() + 10
    while not browser.current_url.startswith(prefix) and time.time() < deadline:
        time.sleep(0.1)
    assert browser.current_url.startswith(prefix), browser.current_url


def test_axe_really_runs_and_reports_a_known_violation(server, browser, capsys):
    """The self-test: an image without `alt` and grey-on-grey text, injected into Tessera's sign-in
    page, must be reported (image-alt, color-contrast) — otherwise a clean audit proves nothing."""
    browser.delete_all_cookies()
    browser.get(server.base_url + "/signin")
    browser.execute_script(
        """
        const image = document.createElement('img');
        image.src = '/assets/tessera.css';
        image.width = 10; image.height = 10;
        document.querySelector('main').appendChild(image);
        const faint = document.createElement('p');
        faint.id = 'faint';
        faint.textContent = 'Hard to read';
        faint.style.color = '#999'; faint.style.background = '#aaa';
        document.querySelector('main').appendChild(faint);
        """
    )
    _, results = run_axe(browser)
    found = {violation["id"]: violation for violation in results["violations"]}
    with capsys.disabled():
        print(f"axe-core {results['version']} self-test: reported {sorted(found)}")
    # The pinned axe-core, not the 2018 build (3.1.1) of the original axe-selenium-python: rules and
    # contrast maths changed since, and an old audit passing says little about today's pages.
    if not os.environ.get("TESSERA_AXE_SCRIPT"):
        assert tuple(int(part) for part in results["version"].split(".")[:2]) >= (4, 9), results["version"]
    assert "image-alt" in found and found["image-alt"]["impact"] == "critical", sorted(found)
    assert "color-contrast" in found and any("#faint" in node["target"] for node in found["color-contrast"]["nodes"]), sorted(found)


def test_every_page_state_passes_axe_in_light_and_dark_mode(server, browser, callback, redirect_uri, capsys):
    from selenium.webdriver.common.by import By

    audit = Audit(browser, capsys)
    finish = f"http://127.0.0.1:{callback.port}/return/"

    # GNAP: sign-in naming the application, a wrong password, consent with plain rights.
    client = Client("a11y-gnap")
    grant = request_grant(server, client, {"start": ["redirect"], "finish": {"method": "redirect", "uri": finish + "1", "nonce": b64u(os.urandom(16))}})
    browser.delete_all_cookies()
    browser.get(grant["interact"]["redirect"])
    assert "Sign in" in browser.title, page_text(browser)
    audit("sign-in")
    sign_in_as(browser, password="not-the-password")
    assert browser.find_elements(By.ID, "sign-in-error"), page_text(browser)
    audit("sign-in, wrong password")
    sign_in_as(browser)
    assert "Allow access?" in browser.title, page_text(browser)
    audit("GNAP consent")
    click_and_wait(browser, "approve")
    wait_until_at(browser, finish + "1")

    # GNAP consent with a Cedar policy (Figure 2), closed and with the exact policy disclosed.
    grant = request_grant(
        server, client, {"start": ["redirect"], "finish": {"method": "redirect", "uri": finish + "2", "nonce": b64u(os.urandom(16))}}, tokens={"access": [PAYMENT]}
    )
    browser.get(grant["interact"]["redirect"])
    assert "Allow access?" in browser.title, page_text(browser)
    audit("GNAP consent, Cedar")
    for summary in browser.find_elements(By.CSS_SELECTOR, "details.exact summary"):
        summary.click()
    audit("GNAP consent, Cedar open")
    click_and_wait(browser, "deny")
    wait_until_at(browser, finish + "2")

    # A Cedar right with two policies (two checkboxes of one group).
    two = {**PAYMENT, "policySet": PAYMENT["policySet"] + "\n" + SECOND_POLICY}
    grant = request_grant(
        server, client, {"start": ["redirect"], "finish": {"method": "redirect", "uri": finish + "3", "nonce": b64u(os.urandom(16))}}, tokens={"access": [two]}
    )
    browser.get(grant["interact"]["redirect"])
    assert len(browser.find_elements(By.CSS_SELECTOR, "input[name=policy]")) == 2, page_text(browser)
    audit("GNAP consent, 2 policies")
    click_and_wait(browser, "deny")
    wait_until_at(browser, finish + "3")

    # OAuth consent with scopes, then with a Cedar RAR entry.
    browser.get(authorize_url(server, redirect_uri, scope="openid profile read"))
    assert "Allow access?" in browser.title, page_text(browser)
    assert f"{CLIENT_NAME} asks for access on your behalf." in page_text(browser), "the operator's name for the client"
    assert browser.find_element(By.ID, "registered-by").text == "this server's operator"
    audit("OAuth consent, scopes")
    click_and_wait(browser, "approve")
    wait_until_at(browser, redirect_uri)
    details = json.dumps([PAYMENT])
    browser.get(authorize_url(server, redirect_uri, scope="read", authorization_details=details))
    assert "Allow access?" in browser.title, page_text(browser)
    audit("OAuth consent, RAR")
    click_and_wait(browser, "deny")
    wait_until_at(browser, redirect_uri)

    # The user-code page and a wrong code.
    browser.get(server.base_url + "/device")
    assert "Enter your code" in browser.title, page_text(browser)
    audit("user code")
    browser.find_element(By.ID, "user_code").send_keys("WRONG-CODE")
    click_and_wait(browser, "continue")
    audit("user code, wrong")

    # The account page: an OAuth consent and a GNAP grant; then after a withdrawal.
    browser.get(server.base_url + "/account")
    assert "Your account" in browser.title, page_text(browser)
    audit("account")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button.withdraw").get_attribute("id"))
    assert browser.find_elements(By.ID, "notice"), page_text(browser)
    audit("account, withdrawn")

    # An error page.
    browser.get(server.base_url + "/interact/no-such-request")
    assert "Unknown request" in page_text(browser)
    audit("error page")

    # The error page with a link back: a self-registered client's redirect URI is only its own word (K5).
    registered = requests.post(
        server.base_url + "/register",
        json={"client_name": "Self-made <App>", "application_type": "native", "redirect_uris": [redirect_uri]},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    browser.get(authorize_url(server, redirect_uri, client_id=registered.json()["client_id"], response_type="token"))
    assert browser.find_element(By.ID, "return").text == "Return to 127.0.0.1", page_text(browser)
    audit("error page, link back")

    # A page in German (the browser's Accept-Language): `lang` follows, and axe checks it as German.
    user_agent = browser.execute_script("return navigator.userAgent")
    browser.execute_cdp_cmd("Emulation.setUserAgentOverride", {"userAgent": user_agent, "acceptLanguage": "de-DE,de;q=0.9"})
    try:
        browser.get(authorize_url(server, redirect_uri, scope="openid read", authorization_details=json.dumps([PAYMENT])))
        assert "Zugriff erlauben?" in browser.title, page_text(browser)
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "de"
        audit("OAuth consent, RAR, German")
    finally:
        browser.execute_cdp_cmd("Emulation.setUserAgentOverride", {"userAgent": user_agent, "acceptLanguage": "en"})

    assert len(audit.states) == 2 * 15
    audit.check()


def press(browser, key, shift=False):
    """One key press, sent as keyboard input (DevTools `Input.dispatchKeyEvent`): no clicks."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    chain = ActionChains(browser)
    if shift:
        chain.key_down(Keys.SHIFT).send_keys(key).key_up(Keys.SHIFT)
    else:
        chain.send_keys(key)
    chain.perform()


def focused(browser):
    """The focused element's id, whether it shows as keyboard-focused, and its outline."""
    return browser.execute_script(
        """
        const element = document.activeElement;
        if (!element || element === document.body) return null;
        const style = getComputedStyle(element);
        return {id: element.id, visible: element.matches(':focus-visible'), outline: style.outlineStyle,
                width: parseFloat(style.outlineWidth), tag: element.tagName.toLowerCase()};
        """
    )


def tab_to(browser, element_id, limit=40):
    """Presses Tab until `element_id` has the focus; returns how many presses it took. Every control
    on the way must show a visible focus ring (WCAG 2.1 SC 2.4.7)."""
    from selenium.webdriver.common.keys import Keys

    for count in range(1, limit + 1):
        press(browser, Keys.TAB)
        state = focused(browser)
        if state is None:
            continue
        assert state["visible"] and state["outline"] != "none" and state["width"] >= 2, f"no visible focus on {state}"
        if state["id"] == element_id:
            return count
    raise AssertionError(f"{element_id} is not reachable with Tab within {limit} presses: {page_text(browser)}")


def type_text(browser, text):
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).send_keys(text).perform()


def enter_and_wait(browser):
    """Presses Enter on the focused control and waits until the next page replaced this one."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    html = browser.find_element(By.TAG_NAME, "html")
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 15, ignored_exceptions=(WebDriverException,)).until(expected_conditions.staleness_of(html))


def test_sign_in_consent_and_withdrawal_work_by_keyboard_alone(server, browser, callback):
    """Issue 21 item 4: Tab, Shift+Tab, Space and Enter only. Sign in (the username field is the first
    stop), untick one right with Space, reach the primary action, step back with Shift+Tab, approve with
    Enter; then withdraw the grant on the account page. Every focused control shows its focus ring."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from test_browser_interaction import continue_grant, interaction_hash
    from urllib.parse import parse_qs, urlparse

    client = Client("a11y-keyboard")
    nonce = b64u(os.urandom(16))
    finish = f"http://127.0.0.1:{callback.port}/return/keyboard"
    grant = request_grant(server, client, {"start": ["redirect"], "finish": {"method": "redirect", "uri": finish, "nonce": nonce}})
    browser.delete_all_cookies()
    browser.get(grant["interact"]["redirect"])
    assert "Sign in" in browser.title, page_text(browser)

    # Sign-in: the first Tab stop is the username, then the password, then the button.
    assert tab_to(browser, "username") == 1
    type_text(browser, USER)
    assert tab_to(browser, "password") == 1
    type_text(browser, PASSWORD)
    assert tab_to(browser, "sign-in") == 1
    enter_and_wait(browser)
    assert "Allow access?" in browser.title, page_text(browser)

    # Consent: the rights come first, in reading order; Space unticks the billing right.
    assert tab_to(browser, "t0r0") == 1, "the first right is the first stop"
    assert tab_to(browser, "t1r0") == 1
    press(browser, Keys.SPACE)
    assert not browser.find_element(By.ID, "t1r0").is_selected(), "Space unticks"
    presses = tab_to(browser, "approve")
    assert presses == 1, f"the primary action follows the rights ({presses} presses)"
    assert tab_to(browser, "deny") == 1
    press(browser, Keys.TAB, shift=True)
    state = focused(browser)
    assert state["id"] == "approve" and state["visible"], state
    shot(browser, "keyboard-consent-focus")
    enter_and_wait(browser)
    wait_until_at(browser, finish)
    query = parse_qs(urlparse(browser.current_url).query)
    assert query["hash"][0] == interaction_hash(nonce, grant["interact"]["finish"], query["interact_ref"][0], server.base_url + "/gnap")
    response = continue_grant(client, grant, {"interact_ref": query["interact_ref"][0]})
    assert response.status_code == 200, response.text
    tokens = response.json()["access_token"]
    assert [token["label"] for token in tokens] == ["photos"], "only what stayed ticked"

    # The account page: reach this grant's Withdraw button and press Enter.
    browser.get(server.base_url + "/account")
    grant_id = grant["continue"]["uri"].rstrip("/").split("/")[-1]
    tab_to(browser, f"withdraw-grant-{grant_id}")
    enter_and_wait(browser)
    assert "withdrawn" in browser.find_element(By.ID, "notice").text
    assert not browser.find_elements(By.ID, f"grant-{grant_id}")
