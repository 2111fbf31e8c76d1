"""The interaction pages in the person's language (issue 21 item 4), through real HTTP against
`tessera serve`: the text comes from a message catalog (English shipped, German as the proof
language) chosen by `Accept-Language` (RFC 9110 §12.5.4: quality values, the "lookup" of RFC 4647
§3.4, English when nothing matches), with `lang` on <html>, `Content-Language` and
`Vary: Accept-Language`. A deployment adds a language with its own catalog file
(`message_catalogs:`): a missing message falls back to English with a warning at start; an unknown
message id or a changed placeholder refuses the start.
"""

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests
from conftest import TesseraServer, tessera_binary
from test_gnap_interop import Client, send

pytestmark = pytest.mark.skipif(not os.path.exists(tessera_binary()), reason=f"tessera not built ({tessera_binary()})")

USER, PASSWORD = "frieda", "frieda-password-1"
PHOTOS = {"type": "photo-api", "actions": ["read"], "locations": ["https://photos.example/"]}
FRENCH = {
    "sign_in.title": "Connexion",
    "sign_in.username": "Nom d'utilisateur",
    "consent.title": "Autoriser l'accès ?",
    "who.asks_on_your_behalf": "{who} demande un accès en votre nom.",
}


@pytest.fixture(scope="module")
def catalog_file():
    directory = tempfile.mkdtemp(prefix="tessera-catalog-")
    path = Path(directory) / "fr.json"
    path.write_text(json.dumps(FRENCH, ensure_ascii=False))
    return path


@pytest.fixture(scope="module")
def server(catalog_file):
    server = TesseraServer(
        f"""
users:
  - username: {USER}
    password: {PASSWORD}
    display_name: Frieda
gnap:
  continuation_wait: 0
message_catalogs:
  fr: {catalog_file}
"""
    )
    yield server
    server.stop()


def lang(body):
    match = re.search(r'<html lang="([^"]+)">', body)
    assert match, body[:200]
    return match.group(1)


def title(body):
    match = re.search(r"<title>(.*?)</title>", body)
    assert match, body[:300]
    return match.group(1)


def hidden(body, name):
    match = re.search(rf'name="{name}" value="([^"]*)"', body)
    assert match, body
    return match.group(1)


def page(server, path, language=None, session=None):
    headers = {} if language is None else {"Accept-Language": language}
    response = (session or requests).get(server.base_url + path, headers=headers, timeout=10, allow_redirects=True)
    assert response.status_code == 200, response.text
    return response


def signed_in(server, language):
    session = requests.Session()
    form = page(server, "/signin?next=/account", language, session).text
    response = session.post(
        server.base_url + "/signin",
        data={"csrf": hidden(form, "csrf"), "next": "/account", "username": USER, "password": PASSWORD},
        headers={"Accept-Language": language},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return session, response


def test_german_accept_language_gets_german_pages(server):
    response = page(server, "/signin", "de-DE,de;q=0.9,en;q=0.5")
    body = response.text
    assert lang(body) == "de" and response.headers["Content-Language"] == "de"
    assert "Accept-Language" in response.headers["Vary"]
    assert title(body) == "Anmelden · Tessera"
    assert '<label for="username">Benutzername</label>' in body and '<label for="password">Passwort</label>' in body
    assert "Sign in" not in body and "Username" not in body

    # Signed in (the account page follows the sign-in), then the GNAP consent page.
    session, account = signed_in(server, "de")
    assert lang(account.text) == "de" and "<h1>Ihr Konto</h1>" in account.text, account.text
    assert "Hallo, Frieda." in account.text and "Sie haben keiner Anwendung Zugriff erlaubt." in account.text

    client = Client("languages-client")
    grant_body = {
        "access_token": {"access": [PHOTOS]},
        "client": {"key": {"proof": "httpsig", "jwk": client.jwk}, "display": {"name": "Fotoalbum"}},
        "interact": {"start": ["redirect"]},
    }
    grant = send(client.signed("POST", server.base_url + "/gnap", json.dumps(grant_body).encode()))
    assert grant.status_code == 200, grant.text
    consent = session.get(grant.json()["interact"]["redirect"], headers={"Accept-Language": "de"}, timeout=10)
    assert consent.status_code == 200, consent.text
    body = consent.text
    assert lang(body) == "de" and title(body) == "Zugriff erlauben? · Tessera"
    assert "bittet in Ihrem Namen um Zugriff." in body and "so nennt sie sich selbst, nicht geprüft" in body
    assert ">Erlauben</button>" in body and ">Ablehnen</button>" in body
    # The client's own name and the right's type are the client's data: shown as given, the name isolated
    # (`<bdi>`) so that it cannot reorder the words around it.
    assert "“<bdi>Fotoalbum</bdi>”" in body and "photo-api" in body

    # The same consent page in English for an English reader.
    english = session.get(grant.json()["interact"]["redirect"], headers={"Accept-Language": "en"}, timeout=10).text
    assert lang(english) == "en" and "asks for access on your behalf." in english and ">Approve</button>" in english


@pytest.mark.parametrize(
    "header,expected",
    [
        ("de", "de"),
        ("de-CH", "de"),  # RFC 4647 §3.4: de-ch → de
        ("en;q=0.4, de;q=0.8", "de"),  # the higher weight wins, not the first listed
        ("de;q=0.4, en;q=0.8", "en"),
        ("fr-CA;q=0.9, de;q=0.5", "fr"),  # the deployment's catalog
        ("de;q=0, en;q=0.1", "en"),  # q=0 is "not acceptable"
        ("ja, ko;q=0.9", "en"),  # nothing the server has: English
        ("*", "en"),
        ("de;q=2, en;q=0.5", "en"),  # an invalid weight drops that member, not the page
        ("de;q=abc", "en"),
        ("d_e, de;q=0.3", "de"),  # a malformed range is ignored
        ("", "en"),
        (None, "en"),
    ],
)
def test_accept_language_weights_and_fallback(server, header, expected):
    response = page(server, "/signin", header)
    assert lang(response.text) == expected, (header, response.text[:200])
    assert response.headers["Content-Language"] == expected


def test_a_deployment_catalog_translates_and_falls_back_to_english_per_message(server):
    body = page(server, "/signin", "fr").text
    assert lang(body) == "fr" and title(body) == "Connexion · Tessera"
    assert "<label for=\"username\">Nom d&#39;utilisateur</label>" in body, body
    # Not in the file: English, per message.
    assert '<label for="password">Password</label>' in body
    log = server.log_path.read_text()
    warning = next(line for line in log.splitlines() if "message_catalogs.fr" in line)
    assert "shown in English" in warning and "sign_in.password" in warning, warning


def start_failure(config_yaml):
    """Runs `tessera serve` with a config that must be refused; returns its output."""
    directory = tempfile.mkdtemp(prefix="tessera-catalog-bad-")
    config = Path(directory) / "tessera.yaml"
    config.write_text(config_yaml)
    result = subprocess.run(
        [tessera_binary(), "serve", "--host", "127.0.0.1", "--port", "0", "--config", str(config), "--data-dir", directory],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0, result.stdout + result.stderr
    return result.stdout + result.stderr


@pytest.mark.parametrize(
    "entries,complaint",
    [
        ({"sign_in.titel": "Connexion"}, "'sign_in.titel'"),
        ({"who.asks_on_your_behalf": "Une application demande un accès."}, "{who}"),
        ({"sign_in.title": "Connexion {user}"}, "(none)"),
    ],
)
def test_a_catalog_with_an_unknown_id_or_changed_placeholders_refuses_the_start(entries, complaint):
    path = Path(tempfile.mkdtemp(prefix="tessera-catalog-")) / "fr.yaml"
    path.write_text("\n".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in entries.items()))
    output = start_failure(f"message_catalogs:\n  fr: {path}\n")
    assert "message_catalogs.fr" in output and complaint in output, output


def test_the_shipped_catalogs_and_the_documented_template_are_complete(server):
    """docs/messages.en.yaml (the template a deployment translates) names every message with English's
    placeholders: loaded as a catalog it gives no warning and no refusal; the shipped German catalog
    lacks nothing either (a gap would be warned about at start)."""
    log = server.log_path.read_text()
    assert "shipped 'de' catalog" not in log, log
    template = Path(__file__).resolve().parents[2] / "docs" / "messages.en.yaml"
    other = TesseraServer(f"message_catalogs:\n  en: {template}\n")
    try:
        body = page(other, "/signin", "en").text
        assert title(body) == "Sign in · Tessera"
        assert "message_catalogs" not in other.log_path.read_text(), other.log_path.read_text()
    finally:
        other.stop()


# ---------------------------------------------------------------------------------------------------------------
# Cedar policies explained in the page's language

EXAMPLE = Path(__file__).resolve().parents[2] / "Examples" / "BankAPI"
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
def bank_server():
    server = TesseraServer(
        f"""
users:
  - username: {USER}
    password: {PASSWORD}
    display_name: Frieda
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


def visible_text(body):
    """The page's text without markup (entities decoded), whitespace collapsed."""
    import html as html_module

    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_the_german_consent_page_explains_figure_2_in_german(bank_server):
    """Issue 21 item 4 for the Cedar cards: the seed's Figure 2 read on the GNAP consent page in German —
    the explainer's phrases from its German catalog, the names from the schema's `@label_de` — and the
    server's narrowing (the action it will not grant, the limit and expiry it adds) in German too. The same
    page in English is unchanged."""
    session, _ = signed_in(bank_server, "de")
    client = Client("languages-cedar-client")
    grant_body = {
        "access_token": {"access": [PAYMENT]},
        "client": {"key": {"proof": "httpsig", "jwk": client.jwk}, "display": {"name": "Zahlungs-App"}},
        "interact": {"start": ["redirect"]},
    }
    grant = send(client.signed("POST", bank_server.base_url + "/gnap", json.dumps(grant_body).encode()))
    assert grant.status_code == 200, grant.text
    redirect = grant.json()["interact"]["redirect"]

    german = session.get(redirect, headers={"Accept-Language": "de"}, timeout=10)
    assert german.status_code == 200, german.text
    assert lang(german.text) == "de"
    text = visible_text(german.text)
    user = '"696d28c8-8912-41d2-b182-aa7087323318"'
    assert (
        f'Benutzer {user} darf die Zahlung auslösen, ihren Status prüfen oder sie stornieren '
        '(Ressource: Gläubiger "https://example.com/payments")' in text
    ), text
    for clause in [
        "Betrag ist genau 123.50 EUR",
        'Gläubiger › Name ist "Merchant A"',
        "Gläubiger › Konto › IBAN ist DE02 1001 0010 9307 1186 03",
        'Verwendungszweck ist "Ref Number Merchant"',
    ]:
        assert clause in text, (clause, text)
    # The narrowing, before approval, in German as well.
    assert "sie stornieren" in text.split("Zahlung auslösen, ihren Status prüfen oder sie stornieren", 1)[1], text
    assert "Betrag ist höchstens 1000.00 EUR" in text, text
    assert re.search(r"Er fügt hinzu: bis \d{1,2}\. [A-Za-zä]+ \d{4}, \d\d:\d\d(:\d\d)? UTC", text), text
    assert "darf die Zahlung auslösen oder ihren Status prüfen" in text, text  # as granted
    for english in ["may initiate", "the amount is exactly", "only if all of these hold", "the IBAN of"]:
        assert english not in text, (english, text)
    # Every constant of the policy is still there, whatever the language (never less than the policy).
    for constant in ["123.50", "EUR", "Merchant A", "DE02 1001 0010 9307 1186 03", "Ref Number Merchant", "https://example.com/payments"]:
        assert constant in text, constant

    english = visible_text(session.get(redirect, headers={"Accept-Language": "en"}, timeout=10).text)
    assert "may initiate the payment, check its status or cancel it" in english, english
    assert "the IBAN of the account of the creditor is DE02 1001 0010 9307 1186 03" in english, english
    assert "darf" not in english and "Betrag" not in english, english


# A deployment's own language for the Cedar sentences too: `cedar.<phrase id>` entries in its catalog.
FRENCH_CEDAR = {
    **FRENCH,
    "cedar.sentence.permit": "{principal} peut {actions} sur {resource}",
    "cedar.actions.or": "{first} ou {last}",
    "cedar.quantity.eq": "{subject} vaut exactement {value}",
    "cedar.clause.is": "{subject} est {value}",
    "cedar.quantity.lessEq": "{subject} vaut au plus {value}",
}


@pytest.fixture(scope="module")
def french_bank_server():
    path = Path(tempfile.mkdtemp(prefix="tessera-catalog-")) / "fr.yaml"
    path.write_text("\n".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in FRENCH_CEDAR.items()))
    server = TesseraServer(
        f"""
users:
  - username: {USER}
    password: {PASSWORD}
    display_name: Frieda
gnap:
  continuation_wait: 0
message_catalogs:
  fr: {path}
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


def test_a_deployment_catalog_translates_the_cedar_sentences_phrase_by_phrase(french_bank_server):
    """Issue 21: a language added through `message_catalogs:` words the Cedar explanations on the
    consent page too (its `cedar.*` entries), each phrase it lacks in English; before, every
    language but English and German got English Cedar sentences."""
    session, _ = signed_in(french_bank_server, "fr")
    client = Client("languages-cedar-french-client")
    grant_body = {
        "access_token": {"access": [PAYMENT]},
        "client": {"key": {"proof": "httpsig", "jwk": client.jwk}, "display": {"name": "Paiements"}},
        "interact": {"start": ["redirect"]},
    }
    grant = send(client.signed("POST", french_bank_server.base_url + "/gnap", json.dumps(grant_body).encode()))
    assert grant.status_code == 200, grant.text
    redirect = grant.json()["interact"]["redirect"]

    french = session.get(redirect, headers={"Accept-Language": "fr-CA,fr;q=0.9"}, timeout=10)
    assert french.status_code == 200, french.text
    assert lang(french.text) == "fr"
    text = visible_text(french.text)
    user = '"696d28c8-8912-41d2-b182-aa7087323318"'
    # The catalog's phrases...
    assert f"{user} peut initiate the payment, check its status ou cancel it sur " in text, text
    assert "vaut exactement 123.50 EUR" in text, text
    assert 'est "Merchant A"' in text, text
    assert "the amount vaut au plus 1000.00 EUR" in text, text  # the narrowing the server adds, before approval
    # ... and English for each phrase it lacks (`subject.of`, `subject.attribute`).
    assert "the IBAN of the account of the creditor est DE02 1001 0010 9307 1186 03" in text, text
    for english in ["may initiate", "is exactly", "is at most", " or cancel it"]:
        assert english not in text, (english, text)
    for constant in ["123.50", "EUR", "Merchant A", "DE02 1001 0010 9307 1186 03", "Ref Number Merchant", "https://example.com/payments"]:
        assert constant in text, constant
    # English and German pages are unchanged.
    english = visible_text(session.get(redirect, headers={"Accept-Language": "en"}, timeout=10).text)
    assert "may initiate the payment, check its status or cancel it" in english, english
    german = visible_text(session.get(redirect, headers={"Accept-Language": "de"}, timeout=10).text)
    assert "Betrag ist genau 123.50 EUR" in german, german
    # A new language that leaves phrases to English is told so at start.
    log = french_bank_server.log_path.read_text()
    assert any("message_catalogs.fr" in line and "Cedar explanation phrases" in line for line in log.splitlines()), log


@pytest.mark.parametrize(
    "entries,complaint",
    [
        ({"cedar.sentence.permitt": "{principal} peut {actions} sur {resource}"}, "sentence.permitt"),
        ({"cedar.clause.is": "{subject} est"}, "{value}"),
    ],
)
def test_a_catalog_with_a_bad_cedar_phrase_refuses_the_start(entries, complaint):
    path = Path(tempfile.mkdtemp(prefix="tessera-catalog-")) / "fr.yaml"
    path.write_text("\n".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in entries.items()))
    output = start_failure(f"message_catalogs:\n  fr: {path}\n")
    assert "message_catalogs.fr" in output and complaint in output, output
