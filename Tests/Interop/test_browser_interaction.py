"""GNAP interaction in a real browser (RFC 9635 §4): headless Chromium, driven by Selenium (Debian
`chromium` + `chromium-driver`, Selenium pinned in requirements-dev.txt), signs in on Tessera's pages,
reads the consent page and approves part of a request, denies another, and enters a user code. The
client is the Python GNAP client of test_gnap_interop (http-message-signatures): it checks the
interaction hash (§4.2.3) itself and continues with the interact_ref. Screenshots of every page are
saved under .build/screenshots/ (or $TESSERA_SCREENSHOTS).
"""

import base64
import hashlib
import http.server
import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from conftest import REPO_ROOT, TesseraServer, tessera_binary
from test_gnap_interop import Client, b64u, send

pytestmark = pytest.mark.skipif(not os.path.exists(tessera_binary()), reason=f"tessera not built ({tessera_binary()})")

SCREENSHOTS = Path(os.environ.get("TESSERA_SCREENSHOTS") or REPO_ROOT / ".build" / "screenshots")
USER, PASSWORD = "carol", "carol-password-1"
PHOTOS = {"type": "photo-api", "actions": ["read", "write"], "locations": ["https://photos.example/"], "datatypes": ["image"]}
BILLING = {
    "type": "billing",
    "actions": ["read"],
    "locations": ["https://billing.example/"],
    "policySet": 'permit(principal, action == Action::"read", resource in Folder::"invoices");',
}


def chromium_driver_path():
    for candidate in ("/usr/bin/chromedriver", shutil.which("chromedriver") or ""):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    driver_path = chromium_driver_path()
    if driver_path is None:
        pytest.skip("chromium-driver is not installed (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    for binary in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(binary):
            options.binary_location = binary
            break
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=420,900"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


# The resource server that introspects GNAP tokens (RFC 9767) in the account-page test.
RS = Client("browser-rs")
EXAMPLE = REPO_ROOT / "Examples" / "BankAPI"
# Figure 2 of draft-cecchetti-oauth-rar-cedar: initiate, status and cancel one payment.
FIGURE2_POLICY = (
    'permit (principal == BankA::User::"696d28c8-8912-41d2-b182-aa7087323318", '
    'action in [BankA::Action::"initiate", BankA::Action::"status", BankA::Action::"cancel"], '
    'resource == Creditor::"https://example.com/payments") when { '
    'context.instructedAmount.currency == "EUR" && context.instructedAmount.amount == decimal("123.50") && '
    'resource.creditorName == "Merchant A" && resource.creditorAccount.iban == "DE02100100109307118603" && '
    'context.remittanceInformationUnstructured == "Ref Number Merchant" };'
)
PAYMENT = {"type": "payment_initiation", "rarFormat": "cedar", "policySet": FIGURE2_POLICY}


@pytest.fixture(scope="module")
def server():
    server = TesseraServer(
        f"""
users:
  - username: {USER}
    password: {PASSWORD}
    display_name: Carol
gnap:
  continuation_wait: 0
  resource_servers:
    - id: browser-rs
      key: {{"proof": "httpsig", "jwk": {json.dumps(RS.jwk)}}}
      audiences: ["https://photos.example/"]
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


class CallbackServer:
    """The client's redirect finish URI: a page on a loopback port that records the query it got."""

    def __init__(self):
        self.hits = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                body = b"<!doctype html><title>Client</title><h1>Back at the client</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def callback():
    server = CallbackServer()
    yield server
    server.stop()


def page_text(browser):
    """The page's visible text, for assertion messages (a failing run shows what the person saw)."""
    from selenium.webdriver.common.by import By

    shot(browser, "last-page-read")
    return browser.title + ": " + browser.find_element(By.TAG_NAME, "body").text


def shot(browser, name):
    browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def interaction_hash(client_nonce, server_nonce, interact_ref, grant_endpoint):
    base = "\n".join([client_nonce, server_nonce, interact_ref, grant_endpoint]).encode()
    return b64u(hashlib.sha256(base).digest())


def request_grant(server, client, interact, tokens=None):
    body = {
        "access_token": tokens
        or [{"label": "photos", "access": [PHOTOS]}, {"label": "billing", "access": [BILLING]}],
        "subject": {"sub_id_formats": ["opaque"]},
        "client": {"key": {"proof": "httpsig", "jwk": client.jwk}, "display": {"name": "Browser test client", "uri": "https://client.example/"}},
        "interact": interact,
    }
    response = send(client.signed("POST", server.base_url + "/gnap", json.dumps(body).encode()))
    assert response.status_code == 200, response.text
    grant = response.json()
    assert "interact" in grant and "access_token" not in grant
    return grant


def continue_grant(client, grant, body=None):
    payload = json.dumps(body).encode() if body is not None else None
    return send(client.signed("POST", grant["continue"]["uri"], payload, token=grant["continue"]["access_token"]["value"]))


def jwt_claims(value):
    payload = value.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def click_and_wait(browser, element_id):
    """Clicks a submit button and waits until the next page has replaced this one."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    button = browser.find_element(By.ID, element_id)
    button.click()
    # Mid-navigation chromedriver may answer "node does not belong to the document" instead of
    # "stale element": that is not the answer yet, so ask again.
    WebDriverWait(browser, 15, ignored_exceptions=(WebDriverException,)).until(expected_conditions.staleness_of(button))


def sign_in(browser):
    from selenium.webdriver.common.by import By

    assert "Sign in" in browser.title
    shot(browser, "01-sign-in")
    browser.find_element(By.ID, "username").send_keys(USER)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, "sign-in")


def sign_out(browser):
    from selenium.webdriver.common.by import By

    buttons = browser.find_elements(By.ID, "sign-out")
    if buttons:
        buttons[0].click()


def redirect_flow(server, browser, callback, client, decide, tokens=None):
    """Starts a redirect interaction, lets `decide(browser)` act on the consent page, and returns the
    grant, the client nonce and the parsed callback query."""
    nonce = b64u(os.urandom(16))
    finish_uri = f"http://127.0.0.1:{callback.port}/return/{b64u(os.urandom(6))}"
    grant = request_grant(server, client, {"start": ["redirect"], "finish": {"method": "redirect", "uri": finish_uri, "nonce": nonce}}, tokens=tokens)
    browser.delete_all_cookies()
    browser.get(grant["interact"]["redirect"])
    sign_in(browser)
    decide(browser)
    deadline = time.time() + 10
    while not browser.current_url.startswith(finish_uri) and time.time() < deadline:
        time.sleep(0.1)
    assert browser.current_url.startswith(finish_uri), browser.current_url
    query = parse_qs(urlparse(browser.current_url).query)
    return grant, nonce, query


def test_partial_approval_in_the_browser_issues_exactly_the_approved_rights(server, browser, callback):
    from selenium.webdriver.common.by import By

    client = Client("browser-client-1")

    def approve_photos_only(browser):
        assert "Allow access?" in browser.title
        page = browser.find_element(By.TAG_NAME, "main").text
        assert "Browser test client" in page and "https://client.example/" in page
        assert "photo-api" in page and "billing" in page and "read, write" in page and "https://photos.example/" in page
        assert "image" in page, "datatypes are shown"
        policy = browser.find_element(By.TAG_NAME, "pre").text
        assert 'resource in Folder::"invoices"' in policy, "the Cedar policy set is shown readably"
        assert "your account identifier" in page, "the subject information asked for is shown"
        shot(browser, "02-consent")
        billing_box = browser.find_element(By.ID, "t1r0")
        assert billing_box.is_selected()
        billing_box.click()
        click_and_wait(browser, "approve")

    grant, nonce, query = redirect_flow(server, browser, callback, client, approve_photos_only)
    shot(browser, "03-back-at-client")
    interact_ref, received_hash = query["interact_ref"][0], query["hash"][0]
    assert received_hash == interaction_hash(nonce, grant["interact"]["finish"], interact_ref, server.base_url + "/gnap")

    response = continue_grant(client, grant, {"interact_ref": interact_ref})
    assert response.status_code == 200, response.text
    tokens = response.json()["access_token"]
    assert [token["label"] for token in tokens] == ["photos"]
    assert tokens[0]["access"] == [PHOTOS]
    claims = jwt_claims(tokens[0]["value"])
    assert claims["access"] == [PHOTOS] and claims["sub"] == USER
    assert response.json()["subject"]["sub_ids"] == [{"format": "opaque", "id": USER}]


def test_deny_in_the_browser_ends_with_user_denied(server, browser, callback):
    from selenium.webdriver.common.by import By

    client = Client("browser-client-2")

    def deny(browser):
        assert "Allow access?" in browser.title
        click_and_wait(browser, "deny")

    grant, nonce, query = redirect_flow(server, browser, callback, client, deny)
    interact_ref = query["interact_ref"][0]
    assert query["hash"][0] == interaction_hash(nonce, grant["interact"]["finish"], interact_ref, server.base_url + "/gnap")
    response = continue_grant(client, grant, {"interact_ref": interact_ref})
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "user_denied"


def test_user_code_page_in_the_browser(server, browser):
    from selenium.webdriver.common.by import By

    client = Client("browser-client-3")
    grant = request_grant(server, client, {"start": ["user_code"]}, tokens={"access": [PHOTOS]})
    code = grant["interact"]["user_code"]
    browser.delete_all_cookies()
    browser.get(server.base_url + "/device")
    sign_in(browser)
    assert "Enter your code" in browser.title, page_text(browser)
    field = browser.find_element(By.ID, "user_code")
    field.send_keys("WRONG-CODE")
    click_and_wait(browser, "continue")
    assert "not valid" in page_text(browser)
    shot(browser, "04-user-code-wrong")
    field = browser.find_element(By.ID, "user_code")
    field.send_keys(code.lower().replace("-", " "))
    shot(browser, "05-user-code")
    click_and_wait(browser, "continue")
    assert "Allow access?" in browser.title, (code, page_text(browser))
    click_and_wait(browser, "approve")
    main = page_text(browser)
    assert "You approved the request" in main, main
    shot(browser, "06-done")

    response = continue_grant(client, grant)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert token["access"] == [PHOTOS] and jwt_claims(token["value"])["sub"] == USER

    # The same code again: already answered.
    browser.get(server.base_url + "/device")
    browser.find_element(By.ID, "user_code").send_keys(code)
    click_and_wait(browser, "continue")
    assert "Already answered" in browser.find_element(By.TAG_NAME, "main").text
    shot(browser, "07-already-used")


def test_rights_added_while_the_consent_page_is_open_are_never_approved(server, browser, callback):
    """Issue 18, RFC 9635 §5.3 and §4: the page shows `read`; while it is open the client PATCHes the
    grant to `read, delete`; the person clicks Approve on what they saw. The client must not get
    `delete` — the modification cancelled the page the person was looking at."""
    from selenium.webdriver.common.by import By

    client = Client("browser-client-slip")
    read = {"type": "photo-api", "actions": ["read"], "locations": ["https://photos.example/"]}
    nonce = b64u(os.urandom(16))
    finish_uri = f"http://127.0.0.1:{callback.port}/return/{b64u(os.urandom(6))}"
    grant = request_grant(
        server, client, {"start": ["redirect"], "finish": {"method": "redirect", "uri": finish_uri, "nonce": nonce}}, tokens={"access": [read]}
    )
    browser.delete_all_cookies()
    browser.get(grant["interact"]["redirect"])
    sign_in(browser)
    assert "Allow access?" in browser.title, page_text(browser)
    shown = browser.find_element(By.TAG_NAME, "main").text
    assert "read" in shown and "delete" not in shown
    shot(browser, "08-consent-before-patch")

    patch = json.dumps({"access_token": {"access": [{**read, "actions": ["read", "delete"]}]}}).encode()
    patched = send(client.signed("PATCH", grant["continue"]["uri"], patch, token=grant["continue"]["access_token"]["value"]))
    assert patched.status_code == 200, patched.text

    click_and_wait(browser, "approve")
    shot(browser, "09-after-stale-approve")
    if browser.current_url.startswith(finish_uri):
        # Sent back to the client: whatever it continues with must not carry `delete`.
        interact_ref = parse_qs(urlparse(browser.current_url).query)["interact_ref"][0]
        response = continue_grant(client, patched.json(), {"interact_ref": interact_ref})
    else:
        main = page_text(browser)
        assert "Unknown request" in main or "changed" in main, main
        response = continue_grant(client, patched.json())
    assert response.status_code == 200, response.text
    tokens = response.json().get("access_token", [])
    for token in tokens if isinstance(tokens, list) else [tokens]:
        assert "delete" not in json.dumps(token["access"]), token
        assert "delete" not in json.dumps(jwt_claims(token["value"]).get("access")), token


def test_cedar_consent_card_explains_the_policy_and_the_narrowing_before_approval(server, browser, callback):
    """Issue 21: the person reads Figure 2 in plain language (the example schema's display names), sees
    what the server will not grant and what it adds before approving, and finds the exact Cedar behind
    "Show the exact policy". The token then carries what the page said."""
    from selenium.webdriver.common.by import By

    client = Client("browser-client-cedar")

    def read_and_approve(browser):
        assert "Allow access?" in browser.title, page_text(browser)
        main = browser.find_element(By.TAG_NAME, "main")
        shown = main.text
        assert "may initiate the payment, check its status or cancel it" in shown, shown
        assert "the amount is exactly 123.50 EUR" in shown and "DE02 1001 0010 9307 1186 03" in shown, shown
        assert "rarFormat" not in browser.page_source
        narrowing = browser.find_element(By.ID, "narrowing-t0r0p0").text
        assert "cancel it" in narrowing and "the amount is at most 1000.00 EUR" in narrowing and "until" in narrowing, narrowing
        # The exact policy is behind the disclosure: not visible until the person opens it.
        assert "DE02100100109307118603" not in shown, shown
        shot(browser, "10-consent-cedar")
        details = browser.find_element(By.CSS_SELECTOR, "#card-t0r0p0 details")
        details.find_element(By.TAG_NAME, "summary").click()
        assert 'resource.creditorAccount.iban == "DE02100100109307118603"' in details.text, details.text
        browser.execute_script("arguments[0].scrollIntoView()", browser.find_element(By.ID, "narrowing-t0r0p0"))
        shot(browser, "11-consent-cedar-exact-policy")
        assert browser.find_element(By.ID, "t0r0p0").is_selected(), "each policy can still be unticked"
        assert "Carol" in shown, "the person is greeted by display name"
        click_and_wait(browser, "approve")

    grant, nonce, query = redirect_flow(server, browser, callback, client, read_and_approve, tokens={"access": [PAYMENT]})
    response = continue_grant(client, grant, {"interact_ref": query["interact_ref"][0]})
    assert response.status_code == 200, response.text
    granted = response.json()["access_token"]["access"][0]["policySet"]
    assert "cancel" not in granted and "1000.00" in granted and "context.now <" in granted, granted


def test_the_account_page_withdraws_a_gnap_grant_and_its_token_goes_inactive(server, browser, callback):
    """Issue 21: the account page lists the GNAP grant the person approved; withdrawing it finalizes the
    grant, and its token is inactive at introspection (RFC 9767) at once."""
    from selenium.webdriver.common.by import By

    client = Client("browser-client-account")
    read = {"type": "photo-api", "actions": ["read"], "locations": ["https://photos.example/"]}

    def approve(browser):
        click_and_wait(browser, "approve")

    grant, nonce, query = redirect_flow(server, browser, callback, client, approve, tokens={"access": [read]})
    response = continue_grant(client, grant, {"interact_ref": query["interact_ref"][0]})
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]["value"]

    def introspect():
        body = json.dumps({"access_token": token, "resource_server": "browser-rs"}).encode()
        answer = send(RS.signed("POST", server.base_url + "/gnap/introspect", body))
        assert answer.status_code == 200, answer.text
        return answer.json()["active"]

    assert introspect() is True
    browser.get(server.base_url + "/account")
    assert "Your account" in browser.title, page_text(browser)
    grant_id = grant["continue"]["uri"].rstrip("/").split("/")[-1]
    card = browser.find_element(By.ID, f"grant-{grant_id}")
    assert "Browser test client" in card.text and "as it names itself" in card.text and "photo-api" in card.text, card.text
    shot(browser, "12-account-gnap-grant")
    click_and_wait(browser, f"withdraw-grant-{grant_id}")
    assert "Access withdrawn" in page_text(browser)
    assert not browser.find_elements(By.ID, f"grant-{grant_id}")
    shot(browser, "13-account-withdrawn")
    assert introspect() is False


def test_sign_in_names_the_application_and_keeps_the_username_after_a_wrong_password(server, browser, callback):
    from selenium.webdriver.common.by import By

    client = Client("browser-client-signin")
    nonce = b64u(os.urandom(16))
    finish_uri = f"http://127.0.0.1:{callback.port}/return/{b64u(os.urandom(6))}"
    grant = request_grant(server, client, {"start": ["redirect"], "finish": {"method": "redirect", "uri": finish_uri, "nonce": nonce}}, tokens={"access": [PHOTOS]})
    browser.delete_all_cookies()
    browser.get(grant["interact"]["redirect"])
    assert "Browser test client" in browser.find_element(By.ID, "asking").text
    browser.find_element(By.ID, "username").send_keys(USER)
    browser.find_element(By.ID, "password").send_keys("not-the-password")
    click_and_wait(browser, "sign-in")
    assert "Wrong username or password" in browser.find_element(By.CSS_SELECTOR, "p.error").text
    assert browser.find_element(By.ID, "username").get_attribute("value") == USER
    shot(browser, "14-sign-in-wrong-password")


def contrast(foreground, background):
    """WCAG 2.1 contrast ratio of two sRGB colours given as (r, g, b) 0-255."""

    def luminance(rgb):
        def channel(c):
            c = c / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (channel(c) for c in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def rgb(css):
    inside = css[css.index("(") + 1 : css.index(")")]
    return tuple(int(float(part)) for part in inside.split(",")[:3])


@pytest.mark.parametrize("scheme,canvas", [("light", (255, 255, 255)), ("dark", (18, 18, 18))])
def test_grey_text_is_readable_in_light_and_dark_mode(server, browser, scheme, canvas):
    """Issue 21 item 4: the stylesheet opts into dark mode (`color-scheme: light dark`), where the grey
    text was 4.12:1 on Chromium's dark canvas (#121212). Every grey (muted) text must reach WCAG AA
    (4.5:1) on the page background in both schemes."""
    from selenium.webdriver.common.by import By

    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
    try:
        browser.delete_all_cookies()
        browser.get(server.base_url + "/signin")
        assert browser.execute_script("return matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
        background = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
        # A transparent body shows the browser's canvas: white, or #121212 in Chromium's dark scheme.
        base = canvas if background.replace(" ", "") == "rgba(0,0,0,0)" else rgb(background)
        for selector in (".brand", "label", "h1"):
            element = browser.find_element(By.CSS_SELECTOR, selector)
            color = rgb(element.value_of_css_property("color"))
            ratio = contrast(color, base)
            assert ratio >= 4.5, f"{selector} in {scheme} mode: {color} on {base} is {ratio:.2f}:1"
        shot(browser, f"15-sign-in-{scheme}")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
