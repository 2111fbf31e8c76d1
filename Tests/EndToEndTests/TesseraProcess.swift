import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization
import TesseraEngine
import TesseraProtocol

/// A `tessera` executable run as a child process on a free loopback port, as an operator would.
final class TesseraProcess: Sendable {
    /// `TESSERA_BIN`, else the `tessera` built beside this test binary (whatever the scratch path: a test run
    /// from `.build-NAME` must not pick up a stale `.build/debug/tessera`), else `.build/debug/tessera`.
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["TESSERA_BIN"] { return URL(fileURLWithPath: path) }
        if let testBinary = Bundle.main.executableURL {
            // The test runner is `<scratch>/<triple>/debug/<package>PackageTests.xctest`, the product beside it.
            let sibling = testBinary.deletingLastPathComponent().appendingPathComponent("tessera")
            if FileManager.default.isExecutableFile(atPath: sibling.path) { return sibling }
        }
        return repositoryRoot.appendingPathComponent(".build/debug/tessera")
    }

    static var repositoryRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    let child: ChildProcess
    let baseURL: String

    var process: Process { child.process }

    /// Runs `tessera ARGS` to completion and returns its exit status and stdout (see ``ChildProcess``:
    /// awaited, not waited for on a thread of the cooperative pool).
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (Int32, String) {
        try await ChildProcess.run(binary, arguments, environment: environment, capture: .standardOutput)
    }

    /// Starts `tessera serve --port 0 ARGS` and waits for the log line that names the port.
    init(_ arguments: [String], environment: [String: String] = [:], port: String = "0") async throws {
        let child = try ChildProcess(
            Self.binary,
            ["serve", "--host", "127.0.0.1", "--port", port] + arguments,
            environment: environment,
            capture: .standardError
        )
        let pattern = #"listening on (https?://[0-9.]+:[0-9]+)"#
        guard let line = await child.firstMatch(of: pattern, within: Self.startTimeout) else {
            child.kill()
            throw Failure(description: "tessera did not start within \(Self.startTimeout): \(child.output)")
        }
        self.child = child
        self.baseURL = String(line.dropFirst("listening on ".count))
    }

    /// How long a server may take to print its address (it runs its migrations and loads its keys first).
    static let startTimeout = Duration.seconds(15)

    var log: String { child.output }

    /// Sends SIGTERM, gives the server 10 s to exit, then SIGKILL; returns the exit status.
    @discardableResult func stop() async throws -> Int32 {
        try await child.stop(grace: .seconds(10))
    }

    struct Failure: Error, CustomStringConvertible { let description: String }
}

/// A small HTTP helper over AsyncHTTPClient for the end-to-end tests.
enum Web {
    static func post(_ url: String, form: String, basic: String? = nil) async throws -> (Int, [String: Any]) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        if let basic { request.headers.add(name: "Authorization", value: basic) }
        request.body = .bytes(ByteBuffer(string: form))
        return try await send(request)
    }

    static func get(_ url: String) async throws -> (Int, [String: Any]) {
        try await send(HTTPClientRequest(url: url))
    }

    private static func send(_ request: HTTPClientRequest) async throws -> (Int, [String: Any]) {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
        return (Int(response.status.code), json)
    }
}
