"""Enterprise-managed authorization (ID-JAG, draft-ietf-oauth-identity-assertion-authz-grant) with
the official Python MCP SDK 2.3.0, end to end to a tool call (docs/mcp.md).

Two `tessera serve` processes are two issuers: the enterprise IdP and the MCP server's resource
AS. The person signs in at the IdP (authorization code with PKCE and `openid`, driven by hand with
`requests`) and the client keeps the ID token. Leg 1 is by hand: token exchange at the IdP for an
ID-JAG (`requested_token_type` id-jag, `audience` = the resource AS, `resource` = the MCP server).
Leg 2 is the SDK's own `IdentityAssertionOAuthProvider`, unmodified: on the MCP server's 401 it
reads the resource AS's metadata, calls our leg 1 through `assertion_provider`, redeems the ID-JAG
with jwt-bearer (`client_secret_post`, `resource`), and retries the tool call with the token.
"""

import asyncio
import base64
import hashlib
import os
import secrets
import socket
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests
from conftest import TesseraServer, tessera_binary
from test_mcp_client_interop import PASSWORD, SCOPE, USER, MCPResourceServer, MemoryStorage, Person

pytestmark = pytest.mark.skipif(not os.path.exists(tessera_binary()), reason=f"tessera not built ({tessera_binary()})")

AGENT, AGENT_SECRET = "enterprise-agent", "enterprise-agent-secret-0123456789-abcdef"
REDIRECT_URI = "http://127.0.0.1:33419/callback"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
ID_JAG = "urn:ietf:params:oauth:token-type:id-jag"
STRICT_AS = "https://strict-as.example"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def idp_configuration(idp_issuer, ras_issuer, mcp_url, rights=SCOPE):
    """The IdP both fixtures run: the person, the agent (code flow for the ID token, token exchange for
    ID-JAGs) and the resource AS as an ID-JAG peer for the MCP server; a fixture appends its own peers or types.
    `rights` is the peer's `id_jag.scopes`: the scopes and rich authorization types its ID-JAGs may carry."""
    return f"""
issuer: {idp_issuer}
users:
  - {{username: {USER}, password: {PASSWORD}, display_name: Mona}}
clients:
  - id: {AGENT}
    auth: client_secret_basic
    secret: {AGENT_SECRET}
    grant_types: [authorization_code, "{EXCHANGE}"]
    scopes: openid
    redirect_uris: ["{REDIRECT_URI}"]
chaining:
  peers:
    - name: mcp-as
      issuer: {ras_issuer}
      id_jag:
        resources: ["{mcp_url}"]
        clients: [{AGENT}]
        scopes: {rights}
"""


@pytest.fixture(scope="module")
def enterprise():
    """The resource AS's issuer must be its own origin (the SDK fetches its metadata there), and the
    IdP's too (its sign-in cookies are Secure under an https issuer), so both ports are chosen first;
    the MCP server trusts the resource AS; the IdP issues ID-JAGs for it and the MCP server."""
    port, idp_port = free_port(), free_port()
    ras_issuer, idp_issuer = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{idp_port}"
    mcp = MCPResourceServer(ras_issuer)
    idp = ras = None
    try:
        idp = TesseraServer(
            idp_configuration(idp_issuer, ras_issuer, mcp.url) + f"""    - name: strict-as
      issuer: {STRICT_AS}
      id_jag:
        resources: ["{mcp.url}"]
        clients: [{AGENT}]
        scopes: {SCOPE}
        step_up: {{acr_values: [urn:example:mfa, phr], max_age: 600}}
""",
            port=idp_port,
        )
        ras = TesseraServer(
            f"""
issuer: {ras_issuer}
clients:
  - {{id: {AGENT}, auth: client_secret_post, secret: {AGENT_SECRET}, grant_types: ["{JWT_BEARER}", refresh_token], scopes: {SCOPE}}}
chaining:
  peers:
    - name: idp
      issuer: {idp_issuer}
      jwks_uri: {idp.base_url}/jwks
      id_jag:
        resources: ["{mcp.url}"]
""",
            port=port,
        )
    except Exception:
        for server in (idp, ras, mcp):
            if server is not None:
                server.stop()
        raise
    yield idp, ras, mcp
    for server in (idp, ras, mcp):
        server.stop()


def sign_in_for_id_token(idp):
    """Authorization code with PKCE S256 and `openid` at the IdP; the person approves."""
    person = Person(idp)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {"response_type": "code", "client_id": AGENT, "redirect_uri": REDIRECT_URI, "scope": "openid", "state": "st",
             "code_challenge": challenge, "code_challenge_method": "S256"}
    url = idp.base_url + "/authorize?" + urlencode(query)
    back = parse_qs(urlparse(person.authorize(url)).query)
    assert back["iss"] == [idp.base_url]
    token = requests.post(idp.base_url + "/token", auth=(AGENT, AGENT_SECRET), timeout=10,
                          data={"grant_type": "authorization_code", "code": back["code"][0], "redirect_uri": REDIRECT_URI, "code_verifier": verifier})
    assert token.status_code == 200, token.text
    return token.json()["id_token"]


@pytest.fixture(scope="module")
def id_token(enterprise):
    """The person signs in once (a second authorization would skip the remembered consent)."""
    return sign_in_for_id_token(enterprise[0])


def leg_one(idp, id_token, audience, resource, scope=SCOPE, authorization_details=None):
    """Token exchange at the IdP for an ID-JAG (draft §4.3), by hand."""
    data = {
        "grant_type": EXCHANGE, "requested_token_type": ID_JAG, "audience": audience, "resource": resource, "scope": scope,
        "subject_token": id_token, "subject_token_type": ID_TOKEN,
    }
    if authorization_details is not None:
        data["authorization_details"] = authorization_details
    return requests.post(idp.base_url + "/token", auth=(AGENT, AGENT_SECRET), timeout=10, data=data)


async def call_tool(mcp_url, ras_issuer, assertion_provider):
    import httpx2
    from mcp import ClientSession
    from mcp.client.auth.extensions.identity_assertion import IdentityAssertionOAuthProvider
    from mcp.client.streamable_http import streamable_http_client

    storage = MemoryStorage()
    provider = IdentityAssertionOAuthProvider(
        server_url=mcp_url, storage=storage, client_id=AGENT, client_secret=AGENT_SECRET, issuer=ras_issuer,
        assertion_provider=assertion_provider, scope=SCOPE,
    )
    async with httpx2.AsyncClient(auth=provider, timeout=30) as http_client:
        async with streamable_http_client(mcp_url, http_client=http_client) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                result = await session.call_tool("add", {"a": 40, "b": 2})
    return result, storage


def test_the_sdk_redeems_an_id_jag_and_calls_a_tool(enterprise, id_token):
    idp, ras, mcp = enterprise
    seen = {}

    async def assertion_provider(audience, resource):
        seen["audience"], seen["resource"] = audience, resource
        issued = await asyncio.to_thread(leg_one, idp, id_token, audience, resource)
        assert issued.status_code == 200, issued.text
        body = issued.json()
        assert body["issued_token_type"] == ID_JAG and body["token_type"] == "N_A" and "refresh_token" not in body
        seen["id_jag"] = body["access_token"]
        return body["access_token"]

    result, storage = asyncio.run(call_tool(mcp.url, ras.base_url, assertion_provider))
    assert not result.is_error, result
    assert result.structured_content == {"result": 42} or "42" in result.content[0].text
    assert seen["audience"] == ras.base_url and seen["resource"] == mcp.url
    assert storage.tokens.token_type == "Bearer" and storage.tokens.refresh_token is None
    claims = mcp.verifier.accepted[-1]
    assert claims["iss"] == ras.base_url and claims["sub"] == USER and claims["client_id"] == AGENT and claims["scope"] == SCOPE
    assert claims["aud"] in (mcp.url, [mcp.url])

    # The same ID-JAG a second time (a second client session): single use, the SDK reports invalid_grant.
    from mcp.client.auth import OAuthTokenError

    async def replay(audience, resource):
        return seen["id_jag"]

    with pytest.raises(Exception) as refused:
        asyncio.run(call_tool(mcp.url, ras.base_url, replay))
    assert "invalid_grant" in str(refused.value) or any(
        isinstance(e, OAuthTokenError) and "invalid_grant" in str(e) for e in getattr(refused.value, "exceptions", [])
    ), refused.value


def test_metadata_advertises_both_roles(enterprise):
    idp, ras, _ = enterprise
    idp_metadata = requests.get(idp.base_url + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert ID_JAG in idp_metadata["identity_chaining_requested_token_types_supported"]
    ras_metadata = requests.get(ras.base_url + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert ras_metadata["authorization_grant_profiles_supported"] == ["urn:ietf:params:oauth:grant-profile:id-jag"]
    assert JWT_BEARER in ras_metadata["grant_types_supported"]


def test_the_idp_refuses_an_id_jag_for_a_resource_outside_its_table(enterprise, id_token):
    idp, ras, _ = enterprise
    response = leg_one(idp, id_token, ras.base_url, "http://127.0.0.1:1/elsewhere")
    assert response.status_code == 400 and response.json()["error"] == "invalid_target", response.text


def test_id_jag_step_up_asks_for_a_fresh_sign_in(enterprise, id_token):
    """A resource AS whose peer entry asks for `acr_values` (our ID tokens state none): the IdP answers
    RFC 9470 §3 `insufficient_user_authentication` with both members, as a token-endpoint error; a
    request no sign-in could fix (a resource outside the table) keeps its `invalid_target`."""
    idp, _, mcp = enterprise
    response = leg_one(idp, id_token, STRICT_AS, mcp.url)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "insufficient_user_authentication" and body["error_description"]
    assert body["acr_values"] == "urn:example:mfa phr" and body["max_age"] == 600
    elsewhere = leg_one(idp, id_token, STRICT_AS, "http://127.0.0.1:1/elsewhere")
    assert elsewhere.status_code == 400 and elsewhere.json()["error"] == "invalid_target", elsewhere.text
    assert "acr_values" not in elsewhere.json()


# --- A Cedar grant through the ID-JAG, decided by the Swift example MCP server -------------------------

from test_mcp_swift_server import BERLIN_ONLY, DETAILS_TYPE, EXAMPLE, SwiftMCPServer, cedar_grant, example_binary  # noqa: E402
from test_mcp_swift_server import claims as jwt_claims  # noqa: E402
from test_mcp_swift_server import text as tool_text  # noqa: E402

WEATHER_TYPES = f"""
authorization_details_types:
  - type: {DETAILS_TYPE}
    cedar:
      schema_file: {EXAMPLE / "weather.cedarschema"}
      policy_file: {EXAMPLE / "delegation.cedar"}
      pin_principal: Weather::User
"""


@pytest.fixture(scope="module")
def weather_enterprise():
    """IdP and resource AS both know `weather_tools` (the example's schema and delegation policies); the
    Swift example MCP server trusts the resource AS and decides each tool call on the token's Cedar grant."""
    port, idp_port = free_port(), free_port()
    ras_issuer, idp_issuer = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{idp_port}"
    mcp = SwiftMCPServer(ras_issuer)
    idp = ras = None
    try:
        idp = TesseraServer(
            idp_configuration(idp_issuer, ras_issuer, mcp.url, rights=f"{SCOPE} {DETAILS_TYPE}") + WEATHER_TYPES,
            port=idp_port,
        )
        ras = TesseraServer(
            f"""
issuer: {ras_issuer}
clients:
  - {{id: {AGENT}, auth: client_secret_post, secret: {AGENT_SECRET}, grant_types: ["{JWT_BEARER}"], scopes: {SCOPE}}}
chaining:
  peers:
    - name: idp
      issuer: {idp_issuer}
      jwks_uri: {idp.base_url}/jwks
      id_jag:
        resources: ["{mcp.url}"]
""" + WEATHER_TYPES,
            port=port,
        )
    except Exception:
        for server in (idp, ras, mcp):
            if server is not None:
                server.stop()
        raise
    yield idp, ras, mcp
    for server in (idp, ras, mcp):
        server.stop()


@pytest.fixture(scope="module")
def weather_id_token(weather_enterprise):
    """The person signs in once at this IdP (a second authorization would skip the remembered consent)."""
    return sign_in_for_id_token(weather_enterprise[0])


needs_example = pytest.mark.skipif(not os.path.exists(example_binary()), reason=f"mcp-server-example not built ({example_binary()})")


async def call_weather_tools(mcp_url, ras_issuer, assertion_provider, calls):
    import httpx2
    from mcp import ClientSession
    from mcp.client.auth.extensions.identity_assertion import IdentityAssertionOAuthProvider
    from mcp.client.streamable_http import streamable_http_client

    storage = MemoryStorage()
    provider = IdentityAssertionOAuthProvider(
        server_url=mcp_url, storage=storage, client_id=AGENT, client_secret=AGENT_SECRET, issuer=ras_issuer,
        assertion_provider=assertion_provider, scope=SCOPE,
    )
    results = []
    async with httpx2.AsyncClient(auth=provider, timeout=30) as http_client:
        async with streamable_http_client(mcp_url, http_client=http_client) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                for name, arguments in calls:
                    results.append(await session.call_tool(name, arguments))
    return results, storage


@needs_example
def test_a_cedar_grant_travels_through_the_id_jag_to_the_tool_call(weather_enterprise, weather_id_token):
    """Leg 1 asks the IdP for a `weather_tools` grant (Berlin forecasts only) in the ID-JAG; leg 2 is the SDK,
    unmodified (it sends no `authorization_details`): the resource AS carries the ID-JAG's grant into the
    access token, and the Swift server permits the Berlin forecast and refuses Paris and the alerts —
    which its default grant for scope-only tokens would have allowed."""
    idp, ras, mcp = weather_enterprise
    id_token = weather_id_token
    seen = {}

    async def assertion_provider(audience, resource):
        issued = await asyncio.to_thread(leg_one, idp, id_token, audience, resource, SCOPE, cedar_grant(BERLIN_ONLY))
        assert issued.status_code == 200, issued.text
        seen["issued"] = issued.json()
        return issued.json()["access_token"]

    calls = [("get_forecast", {"city": "Berlin"}), ("get_forecast", {"city": "Paris"}), ("get_alerts", {"region": "Brandenburg"})]
    (berlin, paris, alerts), storage = asyncio.run(call_weather_tools(mcp.url, ras.base_url, assertion_provider, calls))

    # The IdP granted the entry pinned to the person, said so in its response, and put it in the ID-JAG.
    granted = seen["issued"]["authorization_details"]
    assert [entry["type"] for entry in granted] == [DETAILS_TYPE]
    assert f'principal == Weather::User::"{USER}"' in granted[0]["policySet"]
    assert jwt_claims(seen["issued"]["access_token"])["authorization_details"] == granted
    # The access token carries it (the resource AS's narrowing of the ID-JAG's, here the same policy).
    token = jwt_claims(storage.tokens.access_token)
    assert token["iss"] == ras.base_url and token["sub"] == USER and token["aud"] in (mcp.url, [mcp.url])
    assert [entry["type"] for entry in token["authorization_details"]] == [DETAILS_TYPE]
    assert 'Weather::Action::"get_forecast"' in token["authorization_details"][0]["policySet"]
    assert "Berlin" in token["authorization_details"][0]["policySet"]

    assert not berlin.is_error, tool_text(berlin)
    assert tool_text(berlin).startswith("Forecast for Berlin")
    for refused in (paris, alerts):
        assert refused.is_error, tool_text(refused)
        assert refused.structured_content["error"] == "forbidden"


@needs_example
def test_the_idp_refuses_a_tool_grant_its_delegation_policies_do_not_allow(weather_enterprise, weather_id_token):
    """delegation.cedar gives delete_forecast_cache to the operators' console only: nothing left to delegate."""
    idp, ras, mcp = weather_enterprise
    id_token = weather_id_token
    grant = cedar_grant('permit (principal, action == Weather::Action::"delete_forecast_cache", resource);')
    response = leg_one(idp, id_token, ras.base_url, mcp.url, SCOPE, grant)
    assert response.status_code == 400 and response.json()["error"] == "invalid_authorization_details", response.text
