/// Where the interaction pages are, as the links and redirects they emit name them.
///
/// An issuer with a path (`https://host/tenant1`) has every endpoint below that path (RFC 8414 §2:
/// endpoints are derived from the issuer), the pages included: a deployment that routes tenants by
/// path sends `/signin` to nobody, or to another tenant. The routes match paths without the
/// issuer's path (``IssuerPathResponder`` takes it off), so the pages keep working with route
/// paths (`/interact/ID`, also the `next` a sign-in returns to) and put the issuer's path in front
/// only where a browser reads them: `href`, `action` and `Location`.
enum PagePaths {
    /// The issuer's path without a trailing slash (`/tenant1`), empty when it has none. Bound for
    /// each request by ``IssuerPathResponder``, the one place that knows it, so that several
    /// issuers served from one process (`tessera demo mcp`) each link to their own pages.
    @TaskLocal static var issuerPath = ""

    /// A page's route path (`/signin`, `/authorize/ID`) as a browser must be sent to it.
    /// - Parameter route: a path starting with `/`.
    /// - Returns: the path below the issuer's path.
    static func link(_ route: String) -> String { issuerPath + route }
}
