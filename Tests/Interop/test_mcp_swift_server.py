"""The official Python MCP SDK (`mcp` 2.3.0, unmodified) against the Swift example MCP server
(`Examples/MCPServer`: the official MCP Swift SDK behind Hummingbird, protected by Tessera's
resource-server SDK) and Tessera (docs/mcp.md, "The Swift example server").

The SDK's `OAuthClientProvider` starts from the server's 401 (`resource_metadata`, `scope`), does
RFC 9728 → RFC 8414 → authorization code with PKCE S256 and `resource` → the RFC 9207 `iss` check →
token; the test plays the person (sign-in and consent with form posts). Tool calls are then decided
by the server in Cedar: the host application asks Tessera for a Cedar grant by adding
`authorization_details` (RFC 9396, the Cedar profile) to the authorization URL the SDK built — the
SDK hands that URL to the application's `redirect_handler` to open, and builds everything else
itself. A call the granted policy forbids comes back as an MCP tool error naming what was refused.

Needs the `tessera` binary (TESSERA_BIN or .build/debug/tessera) and `mcp-server-example` next to it
(both built by `swift build`, which scripts/test runs).
"""

import asyncio
import base64
import json
import os
import re
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests
from conftest import REPO_ROOT, TesseraServer, tessera_binary
from test_mcp_client_interop import CLIENT_ID, CLIENT_SECRET, PASSWORD, REDIRECT_URI, USER, MemoryStorage, Person, csrf

EXAMPLE = REPO_ROOT / "Examples" / "MCPServer"
SCOPE = "mcp:tools"
DETAILS_TYPE = "weather_tools"
OPS_CLIENT_ID = "weather-ops"  # the only client delegation.cedar lets have delete_forecast_cache


OTHER_USER, OTHER_PASSWORD = "ada", "ada-password-1"


class OtherPerson(Person):
    """Another person (Tessera remembers consent per person and client; each test needs the consent page)."""

    def __init__(self, tessera):
        self.base = tessera.base_url
        self.session = requests.Session()
        page = self.session.get(self.base + "/signin", timeout=10)
        signed_in = self.session.post(
            self.base + "/signin",
            data={"csrf": csrf(page.text), "next": "/account", "username": OTHER_USER, "password": OTHER_PASSWORD},
            allow_redirects=False,
            timeout=10,
        )
        assert signed_in.status_code == 303, signed_in.text
        self.consent_pages = []


def example_binary() -> str:
    return str(Path(tessera_binary()).parent / "mcp-server-example")


pytestmark = pytest.mark.skipif(
    not (os.path.exists(tessera_binary()) and os.path.exists(example_binary())),
    reason=f"tessera or mcp-server-example not built ({example_binary()})",
)


class SwiftMCPServer:
    """`mcp-server-example serve` on a free loopback port, trusting the given Tessera."""

    def __init__(self, issuer):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        self.url = f"http://127.0.0.1:{port}/mcp"
        self.log_path = Path(tempfile.mkdtemp(prefix="tessera-mcp-swift-")) / "server.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [example_binary(), "serve", "--issuer", issuer, "--host", "127.0.0.1", "--port", str(port), "--policies", str(EXAMPLE)],
            stdout=self.log,
            stderr=self.log,
            cwd=str(REPO_ROOT),
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if "MCP server listening on" in self.log_path.read_text():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("mcp-server-example did not start:\n" + self.log_path.read_text())

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


@pytest.fixture(scope="module")
def tessera():
    server = TesseraServer(
        f"""
users:
  - username: {USER}
    password: {PASSWORD}
    display_name: Mona
  - username: {OTHER_USER}
    password: {OTHER_PASSWORD}
clients:
  - id: {CLIENT_ID}
    auth: client_secret_basic
    secret: {CLIENT_SECRET}
    grant_types: [authorization_code, refresh_token]
    scopes: {SCOPE}
    redirect_uris: ["{REDIRECT_URI}"]
  - id: {OPS_CLIENT_ID}
    auth: client_secret_basic
    secret: {CLIENT_SECRET}
    grant_types: [authorization_code, refresh_token]
    scopes: "{SCOPE} weather:admin"
    redirect_uris: ["{REDIRECT_URI}"]
authorization_details_types:
  - type: {DETAILS_TYPE}
    cedar:
      schema_file: {EXAMPLE / "weather.cedarschema"}
      policy_file: {EXAMPLE / "delegation.cedar"}
      pin_principal: Weather::User
"""
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mcp_server(tessera):
    server = SwiftMCPServer(tessera.base_url)
    yield server
    server.stop()


def cedar_grant(policy_set):
    return json.dumps([{"type": DETAILS_TYPE, "rarFormat": "cedar", "policySet": policy_set}])


BERLIN_ONLY = 'permit (principal, action == Weather::Action::"get_forecast", resource) when { context.arguments.city == "Berlin" };'


def client_info(issuer, client_id=CLIENT_ID):
    from mcp.shared.auth import OAuthClientInformationFull

    return OAuthClientInformationFull(
        client_id=client_id,
        client_secret=CLIENT_SECRET,
        token_endpoint_auth_method="client_secret_basic",
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token"],
        scope=SCOPE,
        issuer=issuer,
    )


async def use_tools_with_sdk(mcp_url, person, storage, calls, authorization_details=None):
    """The SDK, unmodified, from the 401 on; the application's redirect handler may add
    `authorization_details` to the URL before the person opens it. Returns the tool results."""
    import httpx2
    from mcp import ClientSession
    from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.auth import OAuthClientMetadata

    seen = {"authorization_urls": []}

    async def redirect_handler(url):
        seen["authorization_url"] = url
        seen["authorization_urls"].append(url)
        if authorization_details is not None:
            url += "&" + urlencode({"authorization_details": authorization_details})
        seen["back"] = await asyncio.to_thread(person.authorize, url)

    async def callback_handler():
        query = parse_qs(urlparse(seen["back"]).query)
        assert "error" not in query, query
        return AuthorizationCodeResult(code=query["code"][0], state=query.get("state", [None])[0], iss=query.get("iss", [None])[0])

    provider = OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name="MCP interop client",
            redirect_uris=[REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            scope=SCOPE,
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )
    results = []
    async with httpx2.AsyncClient(auth=provider, timeout=30) as http_client:
        async with streamable_http_client(mcp_url, http_client=http_client) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = await session.list_tools()
                seen["tools"] = [tool.name for tool in tools.tools]
                for name, arguments in calls:
                    results.append(await session.call_tool(name, arguments))
    return results, seen


def text(result):
    return "".join(getattr(part, "text", "") for part in result.content)


def claims(access_token):
    payload = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_the_401_tells_where_the_metadata_is_and_which_scope_to_ask_for(tessera, mcp_server):
    response = requests.post(
        mcp_server.url,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
        headers={"Accept": "application/json, text/event-stream"},
        timeout=10,
    )
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    metadata_url = re.search(r'resource_metadata="([^"]+)"', challenge).group(1)
    assert metadata_url == mcp_server.url.replace("/mcp", "/.well-known/oauth-protected-resource/mcp")
    assert re.search(r'Bearer [^,]*.*scope="mcp:tools"', challenge), challenge
    document = requests.get(metadata_url, timeout=10).json()
    assert document["resource"] == mcp_server.url
    assert document["authorization_servers"] == [tessera.base_url]
    assert document["scopes_supported"] == [SCOPE]


def test_a_grant_for_berlin_forecasts_calls_berlin_and_is_refused_the_rest(tessera, mcp_server):
    storage = MemoryStorage(client_info(tessera.base_url))
    person = Person(tessera)
    calls = [
        ("get_forecast", {"city": "Berlin"}),
        ("get_forecast", {"city": "Paris"}),
        ("get_alerts", {"region": "Brandenburg"}),
    ]
    (berlin, paris, alerts), seen = asyncio.run(
        use_tools_with_sdk(mcp_server.url, person, storage, calls, authorization_details=cedar_grant(BERLIN_ONLY))
    )
    # What the SDK asked for by itself: the resource (RFC 8707) and PKCE S256.
    query = parse_qs(urlparse(seen["authorization_url"]).query)
    assert query["resource"] == [mcp_server.url] and query["code_challenge_method"] == ["S256"]
    assert "authorization_details" not in query
    assert parse_qs(urlparse(seen["back"]).query)["iss"] == [tessera.base_url]
    assert seen["tools"] == ["get_forecast", "get_alerts", "delete_forecast_cache"]

    # The token: for this server, with the granted policy pinned to the person.
    token = claims(storage.tokens.access_token)
    assert token["aud"] in (mcp_server.url, [mcp_server.url]) and token["sub"] == USER and token["scope"] == SCOPE
    granted = token["authorization_details"][0]
    assert granted["type"] == DETAILS_TYPE and f'principal == Weather::User::"{USER}"' in granted["policySet"]

    assert not berlin.is_error, text(berlin)
    assert text(berlin).startswith("Forecast for Berlin") and berlin.structured_content["city"] == "Berlin"
    for refused in (paris, alerts):
        assert refused.is_error, text(refused)
        assert refused.structured_content["error"] == "forbidden"
        assert "no granted policy permits this request" in text(refused)
    assert text(paris).startswith('Not permitted: get_forecast(city: "Paris", days: 3).')


def test_a_client_that_asks_only_for_the_scope_gets_the_servers_default_grant(tessera, mcp_server):
    storage = MemoryStorage(client_info(tessera.base_url))
    person = OtherPerson(tessera)
    calls = [("get_forecast", {"city": "Paris", "days": 2}), ("get_alerts", {"region": "Bavaria"})]
    (paris, alerts), _ = asyncio.run(use_tools_with_sdk(mcp_server.url, person, storage, calls))
    assert "authorization_details" not in claims(storage.tokens.access_token)
    assert not paris.is_error, text(paris)
    assert len(paris.structured_content["days"]) == 2
    assert not alerts.is_error, text(alerts)


def test_a_grant_naming_a_tool_the_client_may_not_be_delegated_is_refused_by_tessera(tessera, mcp_server):
    """delegation.cedar: only the operators' console may be granted delete_forecast_cache; Tessera
    narrows a requested set to what may be delegated, and refuses one with nothing left."""
    person = Person(tessera)
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "state": "s1",
        "scope": SCOPE,
        "resource": mcp_server.url,
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "authorization_details": cedar_grant('permit (principal, action == Weather::Action::"delete_forecast_cache", resource);'),
    }
    response = person.session.get(tessera.base_url + "/authorize", params=query, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    back = parse_qs(urlparse(response.headers["Location"]).query)
    assert back["error"] == ["invalid_authorization_details"] and back["iss"] == [tessera.base_url]
    assert "delete_forecast_cache" in back["error_description"][0]


def test_a_tool_that_needs_another_scope_makes_the_sdk_step_up(tessera, mcp_server):
    """MCP authorization, runtime insufficient scope: delete_forecast_cache needs weather:admin
    besides mcp:tools; the server answers the call 403 insufficient_scope naming both, the SDK
    re-authorizes with the union (the person approves again) and retries the same call."""
    storage = MemoryStorage(client_info(tessera.base_url, OPS_CLIENT_ID))
    person = OtherPerson(tessera)
    grant = 'permit (principal, action in [Weather::Action::"get_forecast", Weather::Action::"delete_forecast_cache"], resource);'
    calls = [("get_forecast", {"city": "Lyon"}), ("delete_forecast_cache", {})]
    (lyon, delete), seen = asyncio.run(use_tools_with_sdk(mcp_server.url, person, storage, calls, authorization_details=cedar_grant(grant)))
    assert not lyon.is_error, text(lyon)
    assert not delete.is_error, text(delete)
    assert delete.structured_content["deleted"] >= 1
    first, second = (parse_qs(urlparse(url).query) for url in seen["authorization_urls"])
    assert first["scope"] == [SCOPE]
    assert set(second["scope"][0].split()) == {SCOPE, "weather:admin"}
    assert set(claims(storage.tokens.access_token)["scope"].split()) == {SCOPE, "weather:admin"}
