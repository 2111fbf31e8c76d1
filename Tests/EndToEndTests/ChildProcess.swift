import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process whose exit and output a test awaits without blocking a thread.
///
/// Swift's cooperative pool has one thread per core — two on the machine the full suite runs on.
/// `waitUntilExit()`, `readDataToEndOfFile()` or `usleep` on one of them parks it until the child is
/// done, and every other task of the test process waits with it: the in-process servers, the
/// deadlines other tests measure. Here the exit comes through `terminationHandler` (Foundation calls
/// it on a thread of its own) and the output is read on a thread of its own, as it comes, so a
/// child never blocks on a full pipe; tasks await both with a wall-clock deadline.
final class ChildProcess: Sendable {
    /// Which of the child's streams are kept; the others go to /dev/null (stdin always does).
    enum Capture: Sendable {
        case nothing, standardOutput, standardError, both
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    let process: Process
    private let exit = Eventual<Int32>()
    private let captured: CapturedOutput

    /// One launch at a time. Foundation's pipes and the socket it watches for the child's exit are
    /// not close-on-exec; it closes the parent's other descriptors in the child, but only those
    /// open when it looked. A second launch in that moment would leave its pipe's write end (or
    /// its exit socket) in the first child, and its reader would then see no end of file, or its
    /// exit no notification, until that unrelated child exited.
    private static let launching = Mutex(())

    /// Starts `executable ARGUMENTS` with `environment` added to this process's own.
    init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], capture: Capture) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        let exit = self.exit
        process.terminationHandler = { process in exit.fulfil(process.terminationStatus) }
        let captured = CapturedOutput()
        try Self.launching.withLock { _ in
            if capture == .nothing {
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                captured.finish()
            } else {
                let pipe = Pipe()
                process.standardOutput = capture == .standardError ? FileHandle.nullDevice : pipe
                process.standardError = capture == .standardOutput ? FileHandle.nullDevice : pipe
                captured.drain(pipe.fileHandleForReading)
            }
            try process.run()
        }
        self.process = process
        self.captured = captured
    }

    /// Runs `executable ARGUMENTS` to completion: its exit status and what it wrote to the captured
    /// streams. A child still running after `timeout` is killed and reported as a failure.
    static func run(
        _ executable: URL,
        _ arguments: [String],
        environment: [String: String] = [:],
        capture: Capture = .standardOutput,
        timeout: Duration = .seconds(300)
    ) async throws -> (Int32, String) {
        let child = try ChildProcess(executable, arguments, environment: environment, capture: capture)
        return try await child.completion(within: timeout)
    }

    /// What the child has written to the captured streams so far.
    var output: String { captured.text }

    /// The exit status once the child has exited (the signal number if a signal ended it), or nil
    /// when it is still running after `timeout`.
    func exitStatus(within timeout: Duration) async -> Int32? {
        await exit.value(within: timeout)
    }

    /// Waits for the exit and the end of the output; kills the child and fails after `timeout`.
    func completion(within timeout: Duration) async throws -> (Int32, String) {
        let deadline = ContinuousClock.now + timeout
        guard let status = await exit.value(within: timeout) else {
            kill()
            throw Failure(description: "\(describe) still ran after \(timeout); output: \(output)")
        }
        // The child is gone, so its end of the pipe is closed and the end of file is near.
        guard let text = await captured.ended.value(within: max(deadline - ContinuousClock.now, .seconds(5))) else {
            throw Failure(description: "\(describe) exited but its output never ended (a descendant holds the pipe?)")
        }
        return (status, text)
    }

    /// The first text in the output that matches the regular expression `pattern`, or nil when the
    /// output ends (the child exited) or `timeout` passes without one.
    func firstMatch(of pattern: String, within timeout: Duration) async -> String? {
        await captured.firstMatch(of: pattern, within: timeout)
    }

    /// SIGTERM.
    func terminate() {
        if exit.current == nil { process.terminate() }
    }

    /// SIGKILL.
    func kill() {
        if exit.current == nil { _ = Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    /// SIGTERM, up to `grace` for the child to exit, then SIGKILL; returns the exit status.
    func stop(grace: Duration = .seconds(10)) async throws -> Int32 {
        terminate()
        if let status = await exit.value(within: grace) { return status }
        kill()
        guard let status = await exit.value(within: .seconds(30)) else {
            throw Failure(description: "\(describe) survived SIGKILL for 30 s")
        }
        return status
    }

    /// Reaps the child with `waitpid` rather than waiting for Foundation's notice, polling every 50 ms
    /// without holding a thread; nil after `timeout`.
    ///
    /// Foundation learns of an exit when a socket it handed the child closes; a daemon the child
    /// started (`pg_ctl start` starting the server) inherits that socket and keeps it open, so for
    /// such a child the notice never comes while the daemon runs.
    func reap(within timeout: Duration) async -> Int32? {
        let pid = process.processIdentifier
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                exit.fulfil(code)
                return code
            }
            // Foundation reaped it first (its notice did come): the status is on its way to `exit`.
            if reaped < 0 { return await exit.value(within: max(deadline - ContinuousClock.now, .seconds(5))) }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    private var describe: String {
        ([process.executableURL?.lastPathComponent ?? "?"] + (process.arguments ?? [])).joined(separator: " ")
    }
}

/// A child's output, read as it comes on a thread of its own and kept behind a lock.
final class CapturedOutput: Sendable {
    private struct Watch {
        let pattern: String
        let found: Eventual<String?>
    }

    private struct State {
        var data = Data()
        var watches: [Watch] = []
        var finished = false
    }

    private let state = Mutex(State())
    /// The whole output, once the writing end is closed.
    let ended = Eventual<String>()

    var text: String { String(decoding: state.withLock { $0.data }, as: UTF8.self) }

    /// Reads `handle` until end of file on a thread of its own, never on a caller's thread.
    ///
    /// Not with `readabilityHandler`: through its dispatch source the end of file sometimes never
    /// arrives after the last chunk (seen in 7 of 200 runs of `tessera --help`, four at a time).
    func drain(_ handle: FileHandle) {
        let reader = Thread { [self] in
            while true {
                // One blocking read(2) of what is there, empty at end of file.
                let data = handle.availableData
                if data.isEmpty { break }
                append(data)
            }
            try? handle.close()
            finish()
        }
        reader.name = "ChildProcess output"
        reader.start()
    }

    func finish() {
        let (text, watches) = state.withLock { state in
            state.finished = true
            defer { state.watches = [] }
            return (String(decoding: state.data, as: UTF8.self), state.watches)
        }
        for watch in watches { watch.found.fulfil(nil) }
        ended.fulfil(text)
    }

    private func append(_ data: Data) {
        let (text, watches) = state.withLock { state in
            state.data.append(data)
            return (String(decoding: state.data, as: UTF8.self), state.watches)
        }
        for watch in watches {
            if let match = Self.match(watch.pattern, in: text) { watch.found.fulfil(match) }
        }
    }

    func firstMatch(of pattern: String, within timeout: Duration) async -> String? {
        let found = Eventual<String?>()
        let (text, finished) = state.withLock { state in
            state.watches.append(Watch(pattern: pattern, found: found))
            return (String(decoding: state.data, as: UTF8.self), state.finished)
        }
        if let match = Self.match(pattern, in: text) { return match }
        if finished { return nil }
        return await found.value(within: timeout) ?? nil
    }

    private static func match(_ pattern: String, in text: String) -> String? {
        text.range(of: pattern, options: .regularExpression).map { String(text[$0]) }
    }
}
