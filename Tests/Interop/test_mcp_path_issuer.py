"""An issuer with a path component (a tenant: `http://127.0.0.1:PORT/tenant1`) with the official
Python MCP SDK (`mcp` 2.3.0, unmodified): discovery, the authorization code flow and a tool call.

MCP authorization 2026-07-28 ("Authorization Server Metadata Discovery") has the client try, for
an issuer with a path, `/.well-known/oauth-authorization-server/tenant1` (RFC 8414 §3.1, the
well-known path inserted between host and path), `/.well-known/openid-configuration/tenant1`, and
`/tenant1/.well-known/openid-configuration` (OpenID Connect Discovery §4), and to use a document
only if its `issuer` is identical to the issuer it started from (RFC 8414 §3.3). Every endpoint in
the metadata is below the issuer's path, and the `iss` of the authorization response (RFC 9207)
is the issuer exactly, path included.
"""

import asyncio
import os
import socket
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from conftest import TesseraServer, tessera_binary
from test_mcp_client_interop import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    REDIRECT_URI,
    SCOPE,
    USER,
    MCPResourceServer,
    MemoryStorage,
    Person,
    authorization_query,
    call_tool_with_sdk,
)

pytestmark = pytest.mark.skipif(not os.path.exists(tessera_binary()), reason=f"tessera not built ({tessera_binary()})")

TENANT = "/tenant1"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def tenant():
    """One Tessera whose issuer is `http://127.0.0.1:PORT/tenant1` (the port is chosen first)."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}{TENANT}"
    server = TesseraServer(
        f"""
issuer: {issuer}
users:
  - {{username: {USER}, password: {PASSWORD}, display_name: Mona}}
clients:
  - id: {CLIENT_ID}
    auth: client_secret_basic
    secret: {CLIENT_SECRET}
    grant_types: [authorization_code, refresh_token]
    scopes: {SCOPE}
    redirect_uris: ["{REDIRECT_URI}"]
""",
        port=port,
    )
    server.issuer = issuer
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tenant_mcp_server(tenant):
    server = MCPResourceServer(tenant.issuer)
    yield server
    server.stop()


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/oauth-authorization-server" + TENANT,  # RFC 8414 §3.1
        "/.well-known/openid-configuration" + TENANT,  # the MCP clients' second try
        TENANT + "/.well-known/openid-configuration",  # OpenID Connect Discovery §4
    ],
)
def test_metadata_is_served_where_the_clients_look_for_a_path_issuer(tenant, path):
    origin = tenant.base_url
    response = requests.get(origin + path, timeout=10)
    assert response.status_code == 200, (path, response.status_code, response.text)
    document = response.json()
    assert document["issuer"] == tenant.issuer
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        assert document[endpoint].startswith(tenant.issuer + "/"), document[endpoint]
    # And they answer there: the key set, and the token endpoint (with an OAuth error, not 404).
    assert requests.get(document["jwks_uri"], timeout=10).json()["keys"]
    token = requests.post(document["token_endpoint"], data={"grant_type": "client_credentials"}, timeout=10)
    assert token.status_code in (400, 401) and "error" in token.json(), token.text
    # The SDK's own model accepts it.
    from mcp.shared.auth import OAuthMetadata

    assert str(OAuthMetadata.model_validate(document).issuer).rstrip("/") == tenant.issuer


def test_another_tenants_metadata_is_not_served(tenant):
    """A client that starts from `…/tenant2` must not get tenant1's document (it would discard it anyway)."""
    response = requests.get(tenant.base_url + "/.well-known/oauth-authorization-server/tenant2", timeout=10)
    assert response.status_code == 404


def test_the_sdk_discovers_a_path_issuer_and_calls_a_tool(tenant, tenant_mcp_server):
    from mcp.shared.auth import OAuthClientInformationFull

    info = OAuthClientInformationFull(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_endpoint_auth_method="client_secret_basic",
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token"],
        scope=SCOPE,
        issuer=tenant.issuer,
    )
    storage = MemoryStorage(info)
    person = Person(tenant)
    result, redirected = asyncio.run(call_tool_with_sdk(tenant_mcp_server.url, person, storage))
    assert not result.is_error, result
    assert result.structured_content == {"result": 42} or "42" in result.content[0].text
    # The SDK went to the authorization endpoint below the issuer's path, and got `iss` = the issuer exactly.
    assert redirected["authorization_url"].startswith(tenant.issuer + "/authorize?")
    assert authorization_query(redirected)["resource"] == [tenant_mcp_server.url]
    back = parse_qs(urlparse(redirected["back"]).query)
    assert back["iss"] == [tenant.issuer]
    claims = tenant_mcp_server.verifier.accepted[-1]
    assert claims["iss"] == tenant.issuer and claims["client_id"] == CLIENT_ID and claims["sub"] == USER
    assert claims["aud"] in (tenant_mcp_server.url, [tenant_mcp_server.url])
