import TesseraProtocol
import Testing

@Suite struct ScopeTests {
    @Test func normalisesOrderAndDuplicates() throws {
        let scope = try Scope(parsing: "write read  read")
        #expect(scope.description == "read write")
    }

    @Test(arguments: ["read\u{7F}", "a\"b", "a\\b", "é"])
    func rejectsCharactersOutsideRFC6749(_ value: String) {
        #expect(throws: OAuthError.invalidScope("")) { try Scope(parsing: value) }
    }

    @Test func subsetAndDifference() throws {
        let allowed = try Scope(parsing: "read write")
        #expect(try Scope(parsing: "read").isSubset(of: allowed))
        #expect(try Scope(parsing: "read admin").subtracting(allowed).description == "admin")
    }
}
