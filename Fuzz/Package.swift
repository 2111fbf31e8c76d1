// swift-tools-version:6.2
import Foundation
import PackageDescription

// libFuzzer harnesses for every parser Tessera exposes to the network or to configuration files.
// A separate package so the root build never compiles them; build and run with scripts/fuzz, which passes
// `-sanitize=fuzzer,address`. SwiftPM names each executable's entry point `<module>_main`, so every harness has an
// `@main` that starts libFuzzer through `LLVMFuzzerRunDriver` (CLibFuzzer) instead of libFuzzer's own `main`.
// Debug builds compile the root package's modules with -enable-testing, which lets the Structured Fields
// harness reach the internal strict parser directly.
// A path dependency's identity is its directory name (the checkout may be called anything), so derive it.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "tessera-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
        .executableTarget(
            name: "CedarPolicyFuzz",
            dependencies: ["FuzzSupport", .product(name: "Cedar", package: root)]
        ),
        .executableTarget(
            name: "CedarEntitiesFuzz",
            dependencies: ["FuzzSupport", .product(name: "Cedar", package: root)]
        ),
        .executableTarget(
            name: "StructuredFieldsFuzz",
            dependencies: ["FuzzSupport", .product(name: "HTTPMessageSignatures", package: root)]
        ),
        .executableTarget(
            name: "JOSEFuzz",
            dependencies: ["FuzzSupport", .product(name: "TesseraProtocol", package: root)]
        ),
        .executableTarget(
            name: "FormFuzz",
            dependencies: ["FuzzSupport", .product(name: "TesseraProtocol", package: root)]
        ),
        .executableTarget(
            name: "OAuthExtensionsFuzz",
            dependencies: ["FuzzSupport", .product(name: "TesseraProtocol", package: root)]
        ),
        .executableTarget(
            name: "GNAPRequestFuzz",
            dependencies: ["FuzzSupport", .product(name: "TesseraProtocol", package: root)]
        ),
    ]
)
