import TesseraEngine

extension AuthorizationPages {
    /// Who asks, for a client that registered itself (RFC 7591): like a metadata-document client,
    /// shown as it names itself and marked unverified, since nobody vouched for that name (RFC 7591
    /// §5: "the authorization server SHOULD display … that the client was dynamically registered").
    static func selfRegistered(_ who: ClientPresentation) -> HTML {
        let named: HTML =
            who.name.map { name -> HTML in "<strong>“\(name)”</strong> (as it names itself, unverified)" }
            ?? "<strong>An application</strong> (unverified)"
        let warning: HTML =
            who.returnsOnlyToThisComputer
            ? """
            <p class="note warning">This application runs on your own computer. Any program on it could register the same name: \
            continue only if you just started it yourself.</p>
            """
            : .empty
        return """
            <p>\(named) asks for access on your behalf.</p>
            <dl class="client"><dt>Identified by</dt><dd>\(who.identity)</dd>
            <dt>Registered by</dt><dd>the application itself (dynamic registration), not by this server's operator</dd></dl>
            \(warning)
            """
    }
}
