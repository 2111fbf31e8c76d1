// swift-tools-version:6.2
import PackageDescription

// Dependencies, and why each one (all come from the machine's local package list):
// - hummingbird: the HTTP server (small, async/await, Swift 6 native, has an in-process test client).
// - GRDB.swift: SQLite with WAL, pools and migrations; the embedded default store.
// - jwt-kit + swift-crypto: JOSE (JWS/JWK) and primitives instead of hand-written crypto.
// - async-http-client: fetching client jwks_uri documents (and, later, peer metadata).
// - swift-argument-parser: the `tessera` CLI.
// - swift-log, swift-metrics, swift-prometheus, swift-service-lifecycle: logs, /metrics, graceful shutdown.
// - Yams: the YAML configuration file.
// - swift-nio-ssl (via HummingbirdTLS) and swift-certificates: TLS termination with client certificates for
//   the GNAP `mtls` proof (RFC 9635 §7.3.2, RFC 8705). Both were already in the graph (AsyncHTTPClient uses
//   NIOSSL, HummingbirdTLS is Hummingbird's own TLS channel); X509 parses and builds certificates instead of
//   hand-written DER.
/// Every target of ours builds with warnings as errors (SE-0480): a warning is fixed when it appears,
/// not collected. Dependencies keep their own settings.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .treatAllWarnings(as: .error),
]

/// The standalone language modules also opt into strict memory safety.
let strictSwiftSettings: [SwiftSetting] = swiftSettings + [.strictMemorySafety()]

let package = Package(
    name: "tessera",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Cedar", targets: ["Cedar"]),
        .library(name: "HTTPMessageSignatures", targets: ["HTTPMessageSignatures"]),
        .library(name: "TesseraProtocol", targets: ["TesseraProtocol"]),
        .library(name: "TesseraStorage", targets: ["TesseraStorage"]),
        .library(name: "TesseraEngine", targets: ["TesseraEngine"]),
        .library(name: "TesseraServer", targets: ["TesseraServer"]),
        .library(name: "TesseraClient", targets: ["TesseraClient"]),
        .library(name: "TesseraResource", targets: ["TesseraResource"]),
        .library(name: "TesseraResourceHummingbird", targets: ["TesseraResourceHummingbird"]),
        .executable(name: "tessera", targets: ["tessera"]),
        .executable(name: "cedar-bench", targets: ["cedar-bench"]),
        .executable(name: "mcp-server-example", targets: ["mcp-server-example"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.1.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.0"),
        // The official MCP Swift SDK, for Examples/MCPServer only (its Streamable HTTP server transport).
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", exact: "0.12.1"),
    ],
    targets: [
        .target(name: "Cedar", swiftSettings: strictSwiftSettings),
        .testTarget(name: "CedarTests", dependencies: ["Cedar"], swiftSettings: strictSwiftSettings),
        // Cedar authorization benchmark (friendly and realistic workloads, issue 22): depends only on
        // Cedar, so a release build takes a minute, not the whole server.
        .target(name: "CedarWorkloads", dependencies: ["Cedar"], path: "Benchmarks/CedarWorkloads", swiftSettings: swiftSettings),
        .executableTarget(
            name: "cedar-bench",
            dependencies: ["Cedar", "CedarWorkloads"],
            path: "Benchmarks/CedarBench",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HTTPMessageSignatures",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSwiftSettings
        ),
        .executableTarget(
            name: "httpsig-tool",
            dependencies: ["HTTPMessageSignatures", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwiftSettings
        ),
        .testTarget(
            name: "HTTPMessageSignaturesTests",
            dependencies: ["HTTPMessageSignatures", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSwiftSettings
        ),
        .target(
            name: "TesseraProtocol",
            dependencies: [
                "HTTPMessageSignatures",
                // X.509 certificates of GNAP `mtls` keys (RFC 9635 §7.1 `cert`, RFC 8705 `x5t#S256`).
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TesseraStorage",
            dependencies: [
                "TesseraProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The client cache's change counter is read through a bare connection (SQLiteChangeCounter).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // The circuit breaker's probe opens a session outside the pool, TLS as configured.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TesseraEngine",
            dependencies: [
                // Cedar: the AS's own policies (client challenges, chaining, RAR delegation).
                "Cedar",
                "TesseraProtocol",
                "TesseraStorage",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TesseraServer",
            dependencies: [
                "TesseraEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                // Native TLS termination (`tls:`), with client certificates for GNAP mtls.
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // `ServerExecutor`: Swift concurrency's jobs on the event loops (issue 22).
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TesseraTesting",
            dependencies: [
                "TesseraServer",
                // The resource server's enforcer: a test judges a granted Cedar set as the RS would (CedarDocsFixtures).
                "TesseraResource",
                "Cedar",
                "HTTPMessageSignatures",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                // Self-signed server and client certificates for the mTLS tests.
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        // GNAP client SDK (RFC 9635): signing, continuation, token management; AsyncHTTPClient transport.
        .target(
            name: "TesseraClient",
            dependencies: [
                "TesseraProtocol",
                "HTTPMessageSignatures",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // A client certificate and key on the TLS connection for the GNAP mtls proof.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // Resource-server SDK: GNAP introspection (RFC 9767), key-proof verification, RS-first discovery.
        .target(
            name: "TesseraResource",
            dependencies: [
                "Cedar",
                "TesseraProtocol",
                "HTTPMessageSignatures",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TesseraClientTests",
            dependencies: [
                "TesseraClient", "HTTPMessageSignatures", "TesseraProtocol", "TesseraTesting",
                // A live loopback AS stub checks the AsyncHTTPClient transport on the wire.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Hummingbird middleware and metadata route for TesseraResource's OAuth part; the SDK itself stays framework-free.
        .target(
            name: "TesseraResourceHummingbird",
            dependencies: [
                "TesseraResource", "TesseraProtocol", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TesseraResourceTests",
            dependencies: [
                "TesseraResource", "TesseraResourceHummingbird", "TesseraClient", "HTTPMessageSignatures", "TesseraProtocol",
                "TesseraTesting",
                "TesseraServer", "TesseraEngine", "Cedar",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                // A browser that does not follow redirects, for the authorization code flow.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        // The resource-server SDK example of docs/resource-server-sdk.md, also driven by the DPoP interop suite.
        .executableTarget(
            name: "tessera-resource-example",
            dependencies: [
                "TesseraResource", "TesseraResourceHummingbird", "TesseraProtocol", .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Examples/ResourceServer",
            swiftSettings: swiftSettings
        ),
        // Example bank API (seed 003): a Hummingbird resource server that enforces the Cedar policy sets
        // granted in Tessera access tokens with TesseraResource's GrantedPolicyEnforcer.
        .target(
            name: "BankExample",
            dependencies: [
                "Cedar",
                "TesseraProtocol",
                "TesseraResource",
                "TesseraResourceHummingbird",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            path: "Examples/BankAPI/Sources/BankExample",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bank-example",
            dependencies: ["BankExample", .product(name: "Hummingbird", package: "hummingbird")],
            path: "Examples/BankAPI/Sources/bank-example",
            swiftSettings: swiftSettings
        ),
        // Example MCP server (issue 20): the official MCP Swift SDK's Streamable HTTP transport behind Hummingbird,
        // protected by TesseraResource, with each tool call decided in Cedar against the token's granted policies.
        // The only targets that depend on the MCP SDK (and `tessera`, through the example, for `tessera demo mcp`).
        .target(
            name: "MCPServerExample",
            dependencies: [
                "Cedar",
                "TesseraProtocol",
                "TesseraResource",
                "TesseraResourceHummingbird",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            path: "Examples/MCPServer/Sources/MCPServerExample",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "mcp-server-example",
            dependencies: ["MCPServerExample", .product(name: "Hummingbird", package: "hummingbird")],
            path: "Examples/MCPServer/Sources/mcp-server-example",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MCPServerExampleTests",
            dependencies: [
                "MCPServerExample", "Cedar", "TesseraResource", "TesseraProtocol", "TesseraTesting",
                // A Tessera in process issues real (DPoP-bound) tokens; the client SDK presents them.
                "TesseraServer", "TesseraEngine", "TesseraClient", "HTTPMessageSignatures",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Examples/MCPServer/Tests/MCPServerExampleTests",
            swiftSettings: swiftSettings
        ),
        // GNAP load generator for scripts/bench: pre-signed grant requests at fixed concurrency.
        .executableTarget(
            name: "tessera-load",
            dependencies: [
                "TesseraClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tessera",
            dependencies: [
                "TesseraServer",
                "TesseraClient",
                "TesseraResource",
                "Cedar",
                // `tessera cedar bench` shares its workload generator with `cedar-bench`.
                "CedarWorkloads",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // `tessera demo chaining` talks to its servers over HTTP and runs a resource server of domain b.
                "TesseraResourceHummingbird",
                // `tessera demo mcp` runs the example MCP server (Examples/MCPServer) in process, so the one
                // command works from a fresh clone; the MCP SDK it brings needs only swift-system and swift-log on Linux.
                "MCPServerExample",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TesseraProtocolTests",
            dependencies: ["TesseraProtocol"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TesseraStorageTests",
            // PostgresNIO directly: one test holds a lock from a raw session to stall a store call.
            // GRDB directly: the snapshot test reads every table's raw columns (SnapshotColumnsTests).
            dependencies: [
                "TesseraStorage", "TesseraTesting", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TesseraEngineTests",
            dependencies: ["TesseraEngine", "TesseraTesting", "Cedar"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TesseraServerTests",
            // PostgresNIO: a second session that holds a table lock, to make the server's store unavailable.
            dependencies: ["TesseraServer", "TesseraTesting", "Cedar", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "TesseraTesting",
                "TesseraClient",
                "TesseraResource",
                "TesseraResourceHummingbird",
                "Cedar",
                "BankExample",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
