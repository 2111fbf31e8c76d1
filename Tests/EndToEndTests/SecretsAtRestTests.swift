import Foundation
import TesseraTesting
import Testing

/// What `tessera serve` leaves on disk and exposes to the network that an unprivileged local
/// account or a stranger could use: the data folder (the signing keys' private JWKs are in the
/// database) and `/metrics` (per-client counters).
@Suite(.serialized) struct SecretsAtRestTests {
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? Int ?? -1) & 0o777
    }

    static func octal(_ mode: Int) -> String { String(mode, radix: 8) }

    @Test func aNewDataFolderAndItsDatabaseFilesAreReadableByTheOwnerOnly() async throws {
        let parent = try ServeProcessTests.temporaryDirectory()
        let data = parent.appendingPathComponent("data").path
        let server = try await TesseraProcess(["--config", try ServeProcessTests.configFile(in: parent), "--data-dir", data])
        defer { server.process.terminate() }
        // A write, so that the write-ahead log and its index exist.
        let (status, _) = try await Web.post(
            server.baseURL + "/token",
            form: "grant_type=client_credentials&scope=read",
            basic: TestClients.basicAuthorization()
        )
        #expect(status == 200)
        #expect(Self.octal(try Self.mode(data)) == "700")
        for file in ["tessera.sqlite", "tessera.sqlite-wal", "tessera.sqlite-shm"] {
            let path = data + "/" + file
            #expect(FileManager.default.fileExists(atPath: path), "\(file) is missing")
            #expect(Self.octal(try Self.mode(path)) == "600", "\(file)")
        }
        #expect(try await server.stop() == 0)
    }

    @Test func aDatabaseLeftReadableByOthersIsNarrowedWithAWarning() async throws {
        let parent = try ServeProcessTests.temporaryDirectory()
        let data = parent.appendingPathComponent("data").path
        let arguments = ["--config", try ServeProcessTests.configFile(in: parent), "--data-dir", data]
        let first = try await TesseraProcess(arguments)
        #expect(try await first.stop() == 0)
        // As a copy or an older Tessera (which created it 0644 in a 0755 folder) would leave it.
        let database = data + "/tessera.sqlite"
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: database)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: data)

        let second = try await TesseraProcess(arguments)
        defer { second.process.terminate() }
        #expect(Self.octal(try Self.mode(database)) == "600")
        #expect(second.log.contains("was readable by other accounts"), "\(second.log)")
        #expect(second.log.contains("warning"))
        // The folder is the operator's: it is reported, not changed.
        #expect(second.log.contains(data))
        #expect(try await second.stop() == 0)
    }

    @Test func metricsAnswerLoopbackByDefaultAndOnlyAllowListedNetworksWhenConfigured() async throws {
        let directory = try ServeProcessTests.temporaryDirectory()
        let open = try await TesseraProcess([
            "--config", try ServeProcessTests.configFile(in: directory), "--data-dir", directory.path + "/a",
        ])
        defer { open.process.terminate() }
        let (loopback, _) = try await Web.get(open.baseURL + "/metrics")
        #expect(loopback == 200)
        #expect(try await open.stop() == 0)

        let config = try ServeProcessTests.configFile(in: directory)
        try (try String(contentsOfFile: config, encoding: .utf8) + "\nmetrics:\n  allowed_networks: [10.0.0.0/8]\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let closed = try await TesseraProcess(["--config", config, "--data-dir", directory.path + "/b"])
        defer { closed.process.terminate() }
        let (refused, _) = try await Web.get(closed.baseURL + "/metrics")
        #expect(refused == 404)
        let (health, _) = try await Web.get(closed.baseURL + "/healthz")
        #expect(health == 200)
        #expect(try await closed.stop() == 0)
    }

    @Test func aKeyEncryptionKeySealsTheKeysAndTheServerRefusesToStartWithoutIt() async throws {
        let directory = try ServeProcessTests.temporaryDirectory()
        let config = try ServeProcessTests.configFile(in: directory)
        let data = directory.appendingPathComponent("data").path
        let kek = directory.appendingPathComponent("kek").path
        try Data((0..<32).map { UInt8($0) }).base64EncodedString().write(toFile: kek, atomically: true, encoding: .utf8)
        let otherKEK = directory.appendingPathComponent("other-kek").path
        try String(repeating: "7f", count: 32).write(toFile: otherKEK, atomically: true, encoding: .utf8)

        // A server started with no KEK stores its first key in plaintext; `keys encrypt` seals it.
        let plain = try await TesseraProcess(["--config", config, "--data-dir", data])
        #expect(try await plain.stop() == 0)
        let (listed, before) = try await TesseraProcess.run(["keys", "list", "--data-dir", data])
        #expect(listed == 0 && before.contains("plaintext"))
        let sealedEnvironment = ["TESSERA_KEY_ENCRYPTION_KEY_FILE": kek]
        let (encrypted, output) = try await TesseraProcess.run(["keys", "encrypt", "--data-dir", data], environment: sealedEnvironment)
        #expect(encrypted == 0 && output.contains("encrypted 1 signing keys"), "\(output)")
        let (_, after) = try await TesseraProcess.run(["keys", "list", "--data-dir", data])
        #expect(after.contains("encrypted (KEK ") && !after.contains("plaintext"))
        let database = try String(decoding: Data(contentsOf: URL(fileURLWithPath: data + "/tessera.sqlite")), as: UTF8.self)
        #expect(!database.contains("\"d\":"), "a private JWK is still in the database file")

        // With the KEK the server signs; rotated keys are sealed too.
        let sealed = try await TesseraProcess(["--config", config, "--data-dir", data], environment: sealedEnvironment)
        let (status, _) = try await Web.post(
            sealed.baseURL + "/token",
            form: "grant_type=client_credentials&scope=read",
            basic: TestClients.basicAuthorization()
        )
        #expect(status == 200)
        #expect(try await sealed.stop() == 0)
        let (rotated, _) = try await TesseraProcess.run(["keys", "rotate", "--data-dir", data], environment: sealedEnvironment)
        #expect(rotated == 0)
        let (_, both) = try await TesseraProcess.run(["keys", "list", "--data-dir", data])
        #expect(both.components(separatedBy: "encrypted (KEK ").count == 3, "\(both)")

        // Without it, or with another: a clear refusal to start, not a crash.
        let (missing, missingOutput) = try await ChildProcess.run(
            TesseraProcess.binary,
            ["serve", "--port", "0", "--config", config, "--data-dir", data],
            capture: .both,
            timeout: .seconds(60)
        )
        #expect(missing == 1, "\(missingOutput)")
        #expect(missingOutput.contains("is encrypted under key-encryption key") && missingOutput.contains("none is configured"))
        let (wrong, wrongOutput) = try await ChildProcess.run(
            TesseraProcess.binary,
            ["serve", "--port", "0", "--config", config, "--data-dir", data],
            environment: ["TESSERA_KEY_ENCRYPTION_KEY_FILE": otherKEK],
            capture: .both,
            timeout: .seconds(60)
        )
        #expect(wrong == 1, "\(wrongOutput)")
        #expect(wrongOutput.contains("but the configured one is"))
        let (bad, badOutput) = try await ChildProcess.run(
            TesseraProcess.binary,
            ["keys", "list", "--data-dir", data],
            environment: ["TESSERA_KEY_ENCRYPTION_KEY": "short"],
            capture: .both
        )
        #expect(bad != 0 && badOutput.contains("TESSERA_KEY_ENCRYPTION_KEY"), "\(badOutput)")

        // Changing the KEK: re-sealed under the new one from the previous one.
        let (changed, changedOutput) = try await TesseraProcess.run(
            ["keys", "reencrypt", "--data-dir", data, "--previous-key-file", kek],
            environment: ["TESSERA_KEY_ENCRYPTION_KEY_FILE": otherKEK]
        )
        #expect(changed == 0 && changedOutput.contains("encrypted 2 signing keys"), "\(changedOutput)")
        let moved = try await TesseraProcess(
            ["--config", config, "--data-dir", data],
            environment: ["TESSERA_KEY_ENCRYPTION_KEY_FILE": otherKEK]
        )
        #expect(try await moved.stop() == 0)
    }
}
