import TesseraEngine

extension AuthorizationPages {
    /// Who asks, for a client that registered itself (RFC 7591): like a metadata-document client,
    /// shown as it names itself and marked unverified, since nobody vouched for that name (RFC 7591
    /// §5: "the authorization server SHOULD display … that the client was dynamically registered").
    static func selfRegistered(_ who: ClientPresentation, _ m: MessageCatalog) -> HTML {
        let named: HTML =
            who.name.map { name -> HTML in m(.namesItself, ["name": "<strong>“<bdi>\(name)</bdi>”</strong>"]) }
            ?? m(.unverified, ["who": "<strong>\(m(.anApplication))</strong>"])
        let warning: HTML = who.returnsOnlyToThisComputer ? "<p class=\"note warning\">\(m(.loopbackRegistered))</p>" : .empty
        return """
            <p>\(m(.asksOnYourBehalf, ["who": named]))</p>
            <dl class="client"><dt>\(m(.identifiedBy))</dt><dd><bdi>\(who.identity)</bdi></dd>
            <dt>\(m(.registeredBy))</dt><dd>\(m(.registeredByItself))</dd></dl>
            \(warning)
            """
    }
}
