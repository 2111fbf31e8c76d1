public import Foundation

/// A person's remembered consent (RFC 6749 §4.1.1 leaves it to the server; OpenID Connect Core
/// §3.1.2.4): what this person approved for this client, so an identical or narrower request does
/// not ask again, until the person withdraws it on the account page.
public struct ConsentRecord: Sendable, Hashable {
    /// A random identifier, shown in the account page's withdraw form (not a secret: every use
    /// also checks the subject).
    public var id: String
    public var subject: String
    public var clientID: String
    /// The approved scope tokens (after partial approval).
    public var scope: [String]
    /// The `resource` indicators (RFC 8707) the approval covered.
    public var resources: [String]
    /// The approved `authorization_details` entries as asked for (RFC 9396), canonical JSON array text.
    public var authorizationDetails: String?
    public var createdAt: Date
    public var withdrawnAt: Date?

    public init(
        id: String,
        subject: String,
        clientID: String,
        scope: [String],
        resources: [String],
        authorizationDetails: String?,
        createdAt: Date,
        withdrawnAt: Date? = nil
    ) {
        self.id = id
        self.subject = subject
        self.clientID = clientID
        self.scope = scope
        self.resources = resources
        self.authorizationDetails = authorizationDetails
        self.createdAt = createdAt
        self.withdrawnAt = withdrawnAt
    }
}

extension ConsentRecord: InsertableRecord {
    static let table = "consents"
    static let columns = "id, subject, client_id, scope, resources, authorization_details, created_at, withdrawn_at"

    /// The scope is text joined with spaces and the resources a JSON array, on both backends (``ConsentColumns``).
    init(row: some StoredRow) throws {
        self.init(
            id: try row.text(0),
            subject: try row.text(1),
            clientID: try row.text(2),
            scope: ConsentColumns.scope(try row.text(3)),
            resources: ConsentColumns.decode(try row.text(4)),
            authorizationDetails: try row.optionalText(5),
            createdAt: try row.date(6),
            withdrawnAt: try row.optionalDate(7)
        )
    }

    func storedValues() -> [StoredValue] {
        [
            .text(id), .text(subject), .text(clientID), .text(scope.joined(separator: " ")), .text(ConsentColumns.encode(resources)),
            .text(authorizationDetails), .date(createdAt), .date(withdrawnAt),
        ]
    }
}
