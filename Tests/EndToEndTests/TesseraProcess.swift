import NIOFoundationCompat
import TesseraProtocol
import TesseraEngine
import HTTPTypes
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// A `tessera` executable run as a child process on a free loopback port, as an operator would.
final class TesseraProcess: Sendable {
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["TESSERA_BIN"] { return URL(fileURLWithPath: path) }
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

    let process: Process
    let baseURL: String
    private let output: LogBuffer

    /// Runs `tessera ARGS` to completion and returns its exit status and stdout.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Starts `tessera serve --port 0 ARGS` and waits for the log line that names the port.
    init(_ arguments: [String], environment: [String: String] = [:], port: String = "0") async throws {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", port] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        let output = LogBuffer()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            // At end of file the handler fires again and again with no data: stop it, or it spins a core.
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                return
            }
            let chunk = String(decoding: data, as: UTF8.self)
            output.text.withLock { $0 += chunk }
        }
        try process.run()
        var base: String?
        for _ in 0..<300 {
            let text = output.text.withLock { $0 }
            if let range = text.range(of: #"listening on (https?://[0-9.]+:[0-9]+)"#, options: .regularExpression) {
                base = String(text[range].dropFirst("listening on ".count))
                break
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard let base else {
            process.terminate()
            throw Failure(description: "tessera did not start: \(output.text.withLock { $0 })")
        }
        self.process = process
        self.baseURL = base
        self.output = output
    }

    var log: String { output.text.withLock { $0 } }

    /// Sends SIGTERM and waits for exit; returns the exit status.
    @discardableResult func stop() async throws -> Int32 {
        if process.isRunning { process.terminate() }
        for _ in 0..<200 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    final class LogBuffer: Sendable {
        let text = Mutex("")
    }
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
