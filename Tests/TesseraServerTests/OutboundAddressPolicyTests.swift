import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import Testing

/// The SSRF guard: which addresses are special-use, how URLs are checked before any connection.
@Suite struct OutboundAddressPolicyTests {
    @Test(arguments: [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
        "192.0.2.10", "198.18.0.1", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1",
        "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "2001:db8::1", "ff02::1",
        // Review round 13, L2: the local-use NAT64 prefix (RFC 8215) and the IPv4-translated form (RFC 2765 §2.1).
        "64:ff9b:1::7f00:1", "64:ff9b:1::a00:1", "64:ff9b:1:ffff::808:808", "::ffff:0:a00:1", "::ffff:0:7f00:1",
    ])
    func specialUseAddressesAreRefused(_ text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(OutboundAddressPolicy.isSpecialUse(address))
        #expect(!OutboundAddressPolicy().permits(address))
    }

    @Test(arguments: [
        "93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:0808:0808::", "::ffff:0:808:808",
    ])
    func publicAddressesArePermitted(_ text: String) throws {
        #expect(OutboundAddressPolicy().permits(try #require(IPAddress(text))))
    }

    @Test func anAllowListLiftsTheRefusalForItsNetworkOnly() throws {
        #expect(OutboundAddressPolicy.specialIPv4.count == 18 && OutboundAddressPolicy.specialIPv6.count == 12, "every literal parses")
        let policy = OutboundAddressPolicy(allowedNetworks: [try #require(IPNetwork("127.0.0.1/32"))])
        #expect(policy.permits(try #require(IPAddress("127.0.0.1"))))
        #expect(!policy.permits(try #require(IPAddress("127.0.0.2"))))
        #expect(!policy.permits(try #require(IPAddress("10.0.0.1"))))
        #expect(IPNetwork("10.0.0.0/33") == nil && IPNetwork("nope") == nil && IPNetwork("::/129") == nil)
    }

    static func fetcher(resolvingTo addresses: [String], allow: [String] = []) -> GuardedHTTPFetcher {
        GuardedHTTPFetcher(
            policy: OutboundAddressPolicy(allowedNetworks: allow.compactMap(IPNetwork.init)),
            timeout: .seconds(2),
            resolve: { _ in addresses.compactMap(IPAddress.init) }
        )
    }

    static func refusal(_ fetcher: GuardedHTTPFetcher, _ url: String) async -> String? {
        do {
            _ = try await fetcher.get(url, accept: "application/json", maximumBytes: 1024)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func aHostWithOneInternalAddressIsRefusedBeforeConnecting() async {
        let mixed = Self.fetcher(resolvingTo: ["93.184.216.34", "10.0.0.5"])
        #expect(await Self.refusal(mixed, "https://client.example/meta.json")?.contains("10.0.0.5") == true)
        let metadata = Self.fetcher(resolvingTo: ["169.254.169.254"])
        #expect(await Self.refusal(metadata, "https://metadata.example/latest")?.contains("special-use") == true)
    }

    @Test func literalsCredentialsAndSchemesAreChecked() async {
        let fetcher = Self.fetcher(resolvingTo: [])
        #expect(await Self.refusal(fetcher, "https://127.0.0.1/x")?.contains("special-use") == true)
        #expect(await Self.refusal(fetcher, "https://[::1]/x")?.contains("special-use") == true)
        #expect(await Self.refusal(fetcher, "https://user:pw@client.example/x")?.contains("credentials") == true)
        #expect(await Self.refusal(fetcher, "file:///etc/passwd")?.contains("https") == true)
        #expect(await Self.refusal(fetcher, "gopher://client.example/x")?.contains("https") == true)
        #expect(await Self.refusal(Self.fetcher(resolvingTo: ["93.184.216.34"]), "http://client.example/x")?.contains("only https") == true)
        #expect(await Self.refusal(fetcher, "https://nowhere.example/x")?.contains("no addresses") == true)
    }

    /// What the URL is (scheme, credentials, a resolved address outside the policy) is told apart from a failure
    /// of the moment (no address): a peer's learned URL refused for the former is answered as refused, not "retry".
    @Test func policyRefusalsAreToldFromFailuresOfTheMoment() async {
        func isPolicy(_ fetcher: GuardedHTTPFetcher, _ url: String) async -> Bool? {
            do {
                _ = try await fetcher.get(url, accept: "application/json", maximumBytes: 1024)
                return nil
            } catch {
                return error.isPolicy
            }
        }
        let none = Self.fetcher(resolvingTo: [])
        #expect(
            await isPolicy(Self.fetcher(resolvingTo: ["93.184.216.34", "127.0.0.2"], allow: ["127.0.0.1/32"]), "https://keys.example/j")
                == true
        )
        #expect(await isPolicy(none, "https://[::1]/x") == true)
        #expect(await isPolicy(none, "https://user:pw@keys.example/x") == true)
        #expect(await isPolicy(Self.fetcher(resolvingTo: ["93.184.216.34"]), "http://keys.example/x") == true)
        #expect(await isPolicy(none, "https://nowhere.example/x") == false)
    }

    @Test(arguments: [
        ("https://client.example/meta.json", true), ("http://client.example/meta.json", false), ("https://client.example", false),
        ("https://client.example/", false), ("https://client.example/a/../b", false), ("https://client.example/a/%2E%2e/b", false),
        ("https://client.example/a#f", false), ("https://client.example/a?q=1", false), ("https://u@client.example/a", false),
        ("https://client.example/a b", false), ("https://client.example/a\\b", false), ("https://client.example:8443/a", true),
    ])
    func clientIDURLGrammar(_ url: String, _ valid: Bool) {
        let accepted = (try? ClientIDMetadataURL.validate(url, allowHTTP: false)) != nil
        #expect(accepted == valid, "\(url)")
    }
}
