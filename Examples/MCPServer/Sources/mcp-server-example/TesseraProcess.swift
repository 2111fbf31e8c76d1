import Foundation
import MCPServerExample

/// `tessera serve` as a child process, for `mcp-server-example up`.
final class TesseraProcess: @unchecked Sendable {
    let process: Process
    let issuer: String

    private init(process: Process, issuer: String) {
        self.process = process
        self.issuer = issuer
    }

    /// Starts Tessera and waits (up to 30 s) for its "listening on … (issuer …" line; its log goes to our stderr.
    static func start(binary: String, config: String, host: String, port: Int) throws -> TesseraProcess {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ConfigurationProblem("no tessera binary at \(binary): run `swift build` first, or pass --tessera PATH")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--host", host, "--port", String(port), "--config", config]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let found = IssuerLine()
        let reader = output.fileHandleForReading
        Thread.detachNewThread {
            var pending = ""
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                FileHandle.standardError.write(data)
                pending += String(decoding: data, as: UTF8.self)
                if let range = pending.range(of: "(issuer "),
                    let end = pending[range.upperBound...].firstIndex(where: { $0 == "," || $0 == ")" })
                {
                    found.set(String(pending[range.upperBound..<end]))
                    pending = ""
                }
            }
            found.set(nil)
        }
        guard let issuer = found.wait(seconds: 30) else {
            process.terminate()
            throw ConfigurationProblem("tessera did not start (see its log above)")
        }
        return TesseraProcess(process: process, issuer: issuer)
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

/// The issuer once Tessera printed it (or `nil` when its output ended first).
private final class IssuerLine: @unchecked Sendable {
    private let condition = NSCondition()
    private var done = false
    private var issuer: String?

    func set(_ value: String?) {
        condition.lock()
        defer { condition.unlock() }
        guard !done else { return }
        issuer = value
        done = true
        condition.broadcast()
    }

    func wait(seconds: Double) -> String? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(seconds)
        while !done, condition.wait(until: deadline) {}
        return issuer
    }
}
