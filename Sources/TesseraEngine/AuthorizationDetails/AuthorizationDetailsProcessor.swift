public import Foundation
public import TesseraProtocol

/// Rich Authorization Requests (RFC 9396) for every grant and front door: parses the
/// `authorization_details` parameter, validates each entry against the types the AS knows,
/// decides (and for the Cedar profile narrows) what is granted, and checks that a later request
/// only narrows an earlier grant.
///
/// Every refusal is ``OAuthError`` `invalid_authorization_details` (RFC 9396 §5) whose description
/// names the entry (`authorization_details[1]`) and what is wrong with it.
public struct AuthorizationDetailsProcessor: Sendable {
    /// The most entries one request may carry.
    public static let maximumEntries = 32
    /// The common members RFC 9396 §2.2 defines, with their shapes.
    static let stringArrayMembers: Set<String> = ["locations", "actions", "datatypes", "privileges"]

    let types: [String: AuthorizationDetailsType]
    let now: @Sendable () -> Date

    public init(types: [AuthorizationDetailsType], now: @escaping @Sendable () -> Date) {
        var byName: [String: AuthorizationDetailsType] = [:]
        for type in types { byName[type.type] = type }
        self.types = byName
        self.now = now
    }

    /// The types known, for `authorization_details_types_supported` (RFC 9396 §10).
    public var supportedTypes: [String] { types.keys.sorted() }

    /// Who the details are granted to, for the decision and for pinning the principal.
    public struct Party: Sendable {
        public var clientID: String
        /// The token's subject (the client itself for `client_credentials`).
        public var subject: String
        public init(clientID: String, subject: String) {
            self.clientID = clientID
            self.subject = subject
        }
    }

    // MARK: - Parsing (RFC 9396 §2)

    /// The OAuth door's name for entry `index` (RFC 9396 §2).
    /// - Parameter index: the entry's position.
    /// - Returns: `authorization_details[index]`.
    public static func label(_ index: Int) -> String { "authorization_details[\(index)]" }

    /// Parses the `authorization_details` parameter: a JSON array of objects, each with a
    /// non-empty string `type`. Type-specific checks happen in ``grant(_:to:)``.
    public static func parse(_ text: String) throws(OAuthError) -> [JSONValue] {
        guard let value = JSONValue.parse(Data(text.utf8)) else {
            throw .invalidAuthorizationDetails("authorization_details is not valid JSON")
        }
        guard case .array(let entries) = value else {
            throw .invalidAuthorizationDetails("authorization_details must be a JSON array of objects")
        }
        try checkShape(entries)
        return entries
    }

    /// The structural checks of ``parse(_:)`` for details already decoded (GNAP access arrays,
    /// JWT claims): the one place every entry passes, so it is where text not in Unicode Normalization Form C is
    /// refused (``UnicodeNFC``).
    public static func checkShape(_ entries: [JSONValue]) throws(OAuthError) {
        guard !entries.isEmpty else { throw .invalidAuthorizationDetails("authorization_details must not be empty") }
        guard entries.count <= maximumEntries else {
            throw .invalidAuthorizationDetails("authorization_details has more than \(maximumEntries) entries")
        }
        for (index, entry) in entries.enumerated() {
            guard case .object(let members) = entry else {
                throw .invalidAuthorizationDetails("authorization_details[\(index)] must be a JSON object")
            }
            guard let type = members["type"] else { throw .invalidAuthorizationDetails("authorization_details[\(index)] has no 'type'") }
            guard case .string(let name) = type, !name.isEmpty else {
                throw .invalidAuthorizationDetails("authorization_details[\(index)].type must be a non-empty string")
            }
            // Types, actions and every other member are exact strings (RFC 9396 §2) that Cedar compares as bytes.
            guard UnicodeNFC.isNormalized(entry) else {
                throw .invalidAuthorizationDetails("a string in authorization_details[\(index)] \(UnicodeNFC.rule)")
            }
            guard !ControlCharacters.occur(in: entry) else {
                throw .invalidAuthorizationDetails("a string in authorization_details[\(index)] \(ControlCharacters.rule)")
            }
            if let member = RightSpelling.spacedMember(of: members) {
                throw .invalidAuthorizationDetails("authorization_details[\(index)].\(member) \(RightSpelling.rule)")
            }
            if case .array(let locations)? = members["locations"],
                locations.contains(where: { if case .string(let uri) = $0 { !ResourceURI.isNormal(uri) } else { false } })
            {
                throw .invalidAuthorizationDetails("authorization_details[\(index)].locations \(ResourceURI.rule)")
            }
        }
    }

    // MARK: - Granting

    /// Validates requested details and returns what is granted: non-Cedar entries as asked,
    /// Cedar entries narrowed by the AS's delegation policies and the type's rules.
    /// - Parameters:
    ///   - requested: the entries asked for.
    ///   - party: the client and subject.
    ///   - approvedAt: when the approval these entries are granted under was given: a Cedar type's `valid_for` window
    ///     counts from it (docs/rar-cedar.md, "grant time + N seconds"); now when `nil` (the grant is made now).
    ///   - label: how the door names entry `i` in a refusal (RFC 9396 `authorization_details[i]`, a GNAP `access[type]`).
    /// - Returns: the entries granted.
    /// - Throws: ``OAuthError`` `invalid_authorization_details` naming the entry.
    public func grant(
        _ requested: [JSONValue],
        to party: Party,
        approvedAt: Date? = nil,
        label: (Int) -> String = AuthorizationDetailsProcessor.label
    ) throws(OAuthError) -> [JSONValue] {
        try Self.checkShape(requested)
        var granted: [JSONValue] = []
        for (index, entry) in requested.enumerated() {
            let label = label(index)
            guard case .object(let members) = entry, let typeName = members["type"]?.stringValue else { continue }
            let printable = FormParameters.printableValue(typeName)
            guard let type = types[typeName] else { throw .invalidAuthorizationDetails("\(label): unknown type '\(printable)'") }
            if let clients = type.clients, !clients.contains(party.clientID) {
                throw .invalidAuthorizationDetails("\(label): this client may not request type '\(printable)'")
            }
            try checkMembers(members, of: type, label: label)
            if members["rarFormat"] != nil {
                guard let cedar = type.cedar else {
                    throw .invalidAuthorizationDetails(
                        "\(label): type '\(printable)' does not accept rarFormat (no Cedar profile is configured for it)"
                    )
                }
                let policySet = try Self.policySetText(members, label: label)
                let narrowed = try CedarDetailsGranter(profile: cedar, label: label, type: typeName).grant(
                    policySet: policySet,
                    to: party,
                    at: approvedAt ?? now()
                )
                var out = members
                out["policySet"] = .string(narrowed)
                granted.append(.object(out))
            } else {
                // A Cedar type takes only Cedar entries: a plain entry would bypass the delegation policies.
                guard type.cedar == nil else {
                    throw .invalidAuthorizationDetails("\(label): type '\(printable)' requires \"rarFormat\": \"cedar\" with a policySet")
                }
                granted.append(entry)
            }
        }
        return granted
    }

    /// Whether every Cedar entry of `entries` is still inside its type's `valid_for` window counted from an approval
    /// given at `approvedAt` (draft-cecchetti-oauth-rar-cedar §7, docs/rar-cedar.md): a remembered approval answers
    /// for a time-boxed right only while the window it was given with is open.
    /// - Parameters:
    ///   - entries: the entries asked for.
    ///   - approvedAt: when the approval was given.
    /// - Returns: `false` once one entry's window has closed.
    public func windowsOpen(_ entries: [JSONValue], approvedAt: Date) -> Bool {
        let current = Int64(now().timeIntervalSince1970.rounded(.down))
        return entries.allSatisfy { entry in
            guard let type = CedarGrantCarry.cedarType(entry), let end = types[type]?.cedar?.windowEnd(approvedAt: approvedAt) else {
                return true
            }
            return current < end
        }
    }

    /// The checks that do not depend on who is asking (for a request whose subject is decided
    /// later, such as a GNAP grant awaiting approval): types, members, and for Cedar entries the
    /// syntax, templates, emptiness, size and schema. ``grant(_:to:)`` repeats them and decides.
    /// - Parameters:
    ///   - requested: the entries asked for.
    ///   - clientID: the client, for types restricted to some clients: always named, so a restricted type is refused
    ///     to a party no `clients` list can name (an unregistered GNAP key), never waved through (review round 13, L9).
    ///   - label: how the door names entry `i` in a refusal.
    /// - Throws: ``OAuthError`` `invalid_authorization_details` naming the entry.
    public func check(
        _ requested: [JSONValue],
        clientID: String,
        label: (Int) -> String = AuthorizationDetailsProcessor.label
    ) throws(OAuthError) {
        try Self.checkShape(requested)
        for (index, entry) in requested.enumerated() {
            let label = label(index)
            guard case .object(let members) = entry, let typeName = members["type"]?.stringValue else { continue }
            let printable = FormParameters.printableValue(typeName)
            guard let type = types[typeName] else { throw .invalidAuthorizationDetails("\(label): unknown type '\(printable)'") }
            if let clients = type.clients, !clients.contains(clientID) {
                throw .invalidAuthorizationDetails("\(label): this client may not request type '\(printable)'")
            }
            try checkMembers(members, of: type, label: label)
            if members["rarFormat"] != nil {
                guard let cedar = type.cedar else {
                    throw .invalidAuthorizationDetails(
                        "\(label): type '\(printable)' does not accept rarFormat (no Cedar profile is configured for it)"
                    )
                }
                _ = try CedarDetailsGranter(profile: cedar, label: label, type: typeName).validated(
                    policySet: try Self.policySetText(members, label: label)
                )
            } else if type.cedar != nil {
                throw .invalidAuthorizationDetails("\(label): type '\(printable)' requires \"rarFormat\": \"cedar\" with a policySet")
            }
        }
    }

    /// Checks that `requested` asks for no more than `granted` (a refresh, RFC 9396 §7, or any token
    /// derived from another, RFC 8693 §2.1):
    /// each requested entry must be covered by one granted entry of its type. Returns what the
    /// new token carries: those entries, with every `forbid` of the granted Cedar entries the resource
    /// server would merge with them carried over (``CedarForbidCarry``; security review round 10, H1).
    /// `amountsAsCeilings` reads each granted `amount` as a ceiling (a user mandate, ``covers(_:_:amountsAsCeilings:)``).
    public func narrow(
        _ requested: [JSONValue],
        within granted: [JSONValue],
        amountsAsCeilings: Bool = false
    ) throws(OAuthError)
        -> [JSONValue]
    {
        try Self.checkShape(requested)
        var result: [JSONValue] = []
        for (index, entry) in requested.enumerated() {
            let label = "authorization_details[\(index)]"
            guard case .object(let members) = entry, let typeName = members["type"]?.stringValue else { continue }
            let candidates = granted.compactMap { g -> [String: JSONValue]? in
                guard case .object(let m) = g, m["type"]?.stringValue == typeName else { return nil }
                return m
            }
            if members["rarFormat"] != nil {
                guard members["rarFormat"] == .string("cedar"), let text = members["policySet"]?.stringValue else {
                    throw .invalidAuthorizationDetails("\(label): rarFormat must be \"cedar\" with a policySet string")
                }
                var covered: String?
                for candidate in candidates {
                    guard let grantedText = candidate["policySet"]?.stringValue else { continue }
                    if let subset = try CedarDetailsGranter.subset(requested: text, of: grantedText, label: label) {
                        covered = subset
                        break
                    }
                }
                guard let covered else {
                    throw .invalidAuthorizationDetails(
                        "\(label): asks for policies the grant does not hold (a derived token may only narrow its parent)"
                    )
                }
                var out = members
                out["policySet"] = .string(covered)
                result.append(.object(out))
            } else {
                guard candidates.contains(where: { Self.covers($0, members, amountsAsCeilings: amountsAsCeilings) }) else {
                    throw .invalidAuthorizationDetails(
                        "\(label): asks for more than the grant holds (a derived token may only narrow its parent)"
                    )
                }
                result.append(entry)
            }
        }
        return CedarForbidCarry.carry(from: granted, into: result)
    }

    // MARK: - Helpers

    private func checkMembers(_ members: [String: JSONValue], of type: AuthorizationDetailsType, label: String) throws(OAuthError) {
        for name in type.requiredMembers where members[name] == nil {
            throw .invalidAuthorizationDetails("\(label): missing required member '\(name)' for type '\(type.type)'")
        }
        for name in Self.stringArrayMembers {
            guard let value = members[name] else { continue }
            guard case .array(let items) = value, items.allSatisfy({ $0.stringValue != nil }) else {
                throw .invalidAuthorizationDetails("\(label).\(name) must be an array of strings")
            }
        }
        if let identifier = members["identifier"], identifier.stringValue == nil {
            throw .invalidAuthorizationDetails("\(label).identifier must be a string")
        }
        var allowed: Set<String>? = type.allowedMembers.map { $0.union(type.requiredMembers).union(["type"]) }
        if let rarFormat = members["rarFormat"] {
            guard rarFormat == .string("cedar") else {
                throw .invalidAuthorizationDetails("\(label).rarFormat must be \"cedar\" (the only format this server knows)")
            }
            guard let policySet = members["policySet"] else {
                throw .invalidAuthorizationDetails("\(label): rarFormat cedar requires a 'policySet'")
            }
            guard policySet.stringValue != nil else {
                throw .invalidAuthorizationDetails("\(label).policySet must be a string of Cedar policies")
            }
            allowed?.formUnion(["rarFormat", "policySet"])
        } else if members["policySet"] != nil {
            throw .invalidAuthorizationDetails("\(label): 'policySet' requires \"rarFormat\": \"cedar\"")
        }
        if let allowed, let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw .invalidAuthorizationDetails(
                "\(label): unknown member '\(FormParameters.printableValue(unknown))' for type '\(type.type)'"
            )
        }
    }

    /// The Cedar policy text of a `rarFormat: cedar` entry that ``checkMembers(_:of:label:)`` accepted.
    /// - Parameters:
    ///   - members: The entry's members.
    ///   - label: Where the entry sits in the request, for the error description.
    /// - Returns: The `policySet` string.
    /// - Throws: ``OAuthError`` `invalid_authorization_details` when it is absent or not a string.
    private static func policySetText(_ members: [String: JSONValue], label: String) throws(OAuthError) -> String {
        guard let text = members["policySet"]?.stringValue else {
            throw .invalidAuthorizationDetails("\(label).policySet must be a string of Cedar policies")
        }
        return text
    }

    /// Whether a granted non-Cedar entry covers a requested one: both have the same members (a
    /// member left out is a constraint dropped, which widens the entry), arrays as subsets (RFC 9396
    /// §2: an entry grants the product of its arrays), other values equal. With `amountsAsCeilings` (a user mandate
    /// covering a request, docs/client-challenge.md), objects are compared member by member in the same way and an
    /// `amount` is covered by any granted one at least as large: both read as ``ChallengeContext/amount(_:)`` does,
    /// the requested one not negative; one either side cannot read covers nothing.
    static func covers(_ granted: [String: JSONValue], _ requested: [String: JSONValue], amountsAsCeilings: Bool = false) -> Bool {
        guard Set(granted.keys) == Set(requested.keys) else { return false }
        return requested.allSatisfy { name, value in
            guard let held = granted[name] else { return false }
            switch (value, held) {
            case (.array(let asked), .array(let have)): return asked.allSatisfy(have.contains)
            case (.object(let asked), .object(let have)) where amountsAsCeilings: return covers(have, asked, amountsAsCeilings: true)
            case _ where amountsAsCeilings && name == "amount":
                guard let asked = ChallengeContext.amount(value), let ceiling = ChallengeContext.amount(held) else { return false }
                return asked >= 0 && asked <= ceiling
            default: return held == value
            }
        }
    }
}
