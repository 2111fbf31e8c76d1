import Foundation
import TesseraTesting
import Testing

/// Several `tessera serve` processes on one PostgreSQL database, as operators run them behind a
/// load balancer, and one server living through a database outage.
@Suite(.serialized) struct PostgresServeTests {
    static let issuer = "http://tessera.test"

    /// A fresh schema on the suite's database (TESSERA_POSTGRES_URL, set by scripts/test).
    static func freshDatabaseURL() throws -> String {
        guard let base = ProcessInfo.processInfo.environment["TESSERA_POSTGRES_URL"], !base.isEmpty else {
            throw TesseraProcess.Failure(
                description: "TESSERA_POSTGRES_URL is not set: run scripts/test, which starts a private PostgreSQL"
            )
        }
        let schema = "e2e_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        // A generous deadline: these tests check behaviour across instances on a loaded machine.
        return base + (base.contains("?") ? "&" : "?") + "schema=\(schema)&request_timeout=20"
    }

    static func configFile() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-pg-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("tessera.yaml").path
        let jwks = TestClients.jwtClientJWKS.replacingOccurrences(of: "'", with: "''")
        try """
        issuer: \(issuer)
        clients:
          - id: \(TestClients.secretClientID)
            auth: client_secret_basic
            secret: \(TestClients.secret)
            grant_types: [client_credentials, refresh_token]
            scopes: read write
          - id: \(TestClients.jwtClientID)
            auth: private_key_jwt
            jwks: '\(jwks)'
            grant_types: [client_credentials]
            scopes: read
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let basic = TestClients.basicAuthorization()

    static func kids(_ server: TesseraProcess) async throws -> Set<String> {
        let (_, jwks) = try await Web.get(server.baseURL + "/jwks")
        return Set((jwks["keys"] as? [[String: Any]] ?? []).compactMap { $0["kid"] as? String })
    }

    @Test func twoInstancesOnOneDatabaseActAsOneServer() async throws {
        let database = try Self.freshDatabaseURL()
        let config = try Self.configFile()
        // The config names the database too, through the environment, to show both routes work.
        // One after the other: with --port 0 each picks a free port before it binds, and two picking
        // at the same moment could pick the same one.
        let a = try await TesseraProcess(["--config", config, "--database", database])
        let b = try await TesseraProcess(["--config", config], environment: ["TESSERA_DATABASE": database])
        defer { a.process.terminate(); b.process.terminate() }
        #expect(a.log.contains("database postgres://tessera@"))
        #expect(!a.log.contains("tessera-test-password") && !b.log.contains("tessera-test-password"))

        // Issued on A; introspected and revoked on B; seen revoked on A.
        let (status, issued) = try await Web.post(a.baseURL + "/token", form: "grant_type=client_credentials&scope=read", basic: Self.basic)
        #expect(status == 200)
        let access = try #require(issued["access_token"] as? String)
        let refresh = try #require(issued["refresh_token"] as? String)
        let (_, onB) = try await Web.post(b.baseURL + "/introspect", form: "token=\(access)", basic: Self.basic)
        #expect(onB["active"] as? Bool == true)
        let (revokeStatus, _) = try await Web.post(b.baseURL + "/revoke", form: "token=\(access)", basic: Self.basic)
        #expect(revokeStatus == 200)
        let (_, onA) = try await Web.post(a.baseURL + "/introspect", form: "token=\(access)", basic: Self.basic)
        #expect(onA["active"] as? Bool == false)

        // A refresh token rotated on A is refused on B (and that reuse revokes the new family).
        let (rotated, fresh) = try await Web.post(
            a.baseURL + "/token",
            form: "grant_type=refresh_token&refresh_token=\(refresh)",
            basic: Self.basic
        )
        #expect(rotated == 200)
        let (reused, refusal) = try await Web.post(
            b.baseURL + "/token",
            form: "grant_type=refresh_token&refresh_token=\(refresh)",
            basic: Self.basic
        )
        #expect(reused == 400)
        #expect(refusal["error"] as? String == "invalid_grant")
        let newAccess = try #require(fresh["access_token"] as? String)
        let (_, afterReuse) = try await Web.post(a.baseURL + "/introspect", form: "token=\(newAccess)", basic: Self.basic)
        #expect(afterReuse["active"] as? Bool == false)

        // A client assertion accepted by A is a replay on B.
        let assertion = try await TestClients.assertion(audience: Self.issuer, now: Date())
        let form =
            "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion="
        let (first, _) = try await Web.post(a.baseURL + "/token", form: form + assertion)
        #expect(first == 200)
        let (replayed, replayError) = try await Web.post(b.baseURL + "/token", form: form + assertion)
        #expect(replayed == 401)
        #expect(replayError["error"] as? String == "invalid_client")

        // Both publish the same keys; a key rotated through the CLI is published by both.
        let (kidsA, kidsB) = (try await Self.kids(a), try await Self.kids(b))
        #expect(kidsA == kidsB)
        let (rotateStatus, rotateOutput) = try await TesseraProcess.run(["keys", "rotate", "--database", database])
        #expect(rotateStatus == 0)
        let newKid = String(rotateOutput.split(separator: " ").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var published = (Set<String>(), Set<String>())
        for _ in 0..<40 {
            published = (try await Self.kids(a), try await Self.kids(b))
            if published.0.contains(newKid) && published.1.contains(newKid) { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(published.0.contains(newKid) && published.1.contains(newKid))
        #expect(try await a.stop() == 0)
        #expect(try await b.stop() == 0)
    }

    /// Runs `body` with a PostgreSQL cluster of its own (its URL and its pg_ctl command), destroyed afterwards.
    static func withPrivateCluster(_ body: (_ database: String, _ pgctl: String) async throws -> Void) async throws {
        let script = TesseraProcess.repositoryRoot.appendingPathComponent("scripts/lib/postgres.sh").path
        let info = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-pg-\(UUID().uuidString).txt").path
        let started = try await shell(["bash", script, "start", info])
        let lines = (try? String(contentsOfFile: info, encoding: .utf8)) ?? ""
        let parts = lines.split(separator: "\n").map(String.init)
        try #require(started == 0 && parts.count == 2, "could not start a private PostgreSQL: \(lines)")
        do {
            try await body(parts[0], parts[1])
        } catch {
            _ = try? await shell(["bash", script, "destroy", parts[1]])
            throw error
        }
        _ = try? await shell(["bash", script, "destroy", parts[1]])
    }

    @Test func anOutageFailsFastWith503AndTheServerRecoversWithoutARestart() async throws {
        // Its own cluster: stopping the shared one would break tests running beside this one.
        try await Self.withPrivateCluster { url, pgctl in try await Self.outage(database: url + "&request_timeout=2", pgctl: pgctl) }
    }

    static func outage(database: String, pgctl: String) async throws {
        let server = try await TesseraProcess(["--config", try Self.configFile(), "--database", database])
        defer { server.process.terminate() }
        let base = server.baseURL

        // A load run across the outage: every token the server acknowledged must survive it.
        let load = Task { @Sendable () -> (acknowledged: [String], unavailable: Int, other: [String], refusals: [Duration]) in
            var acknowledged: [String] = []
            var unavailable = 0
            var other: [String] = []
            var refusals: [Duration] = []
            let deadline = ContinuousClock.now + .seconds(90)
            while !Task.isCancelled && ContinuousClock.now < deadline {
                let sent = ContinuousClock.now
                switch try? await Self.token(base) {
                case (200, let body)?: if let access = body["access_token"] as? String { acknowledged.append(access) }
                case (503, let body)? where body["error"] as? String == "temporarily_unavailable":
                    unavailable += 1
                    refusals.append(ContinuousClock.now - sent)
                case (let status, let body)?: other.append("\(status) \(body["error"] ?? "")")
                case nil where Task.isCancelled: break  // the request the test's cancellation cut short
                case nil: other.append("no response")
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return (acknowledged, unavailable, other, refusals)
        }
        try await Task.sleep(for: .seconds(1))

        #expect(try await Self.shell([pgctl, "stop", "-m", "fast"]) == 0)
        let before = ContinuousClock.now
        let (status, body) = try await Self.token(base)
        let elapsed = ContinuousClock.now - before
        #expect(status == 503)
        #expect(body["error"] as? String == "temporarily_unavailable")
        #expect(elapsed < .seconds(5), "a request during the outage took \(elapsed)")
        let (ready, _) = try await Web.get(server.baseURL + "/readyz")
        #expect(ready == 503)
        try await Task.sleep(for: .seconds(2))

        #expect(try await Self.shell([pgctl, "start"]) == 0)
        var recovered = false
        for _ in 0..<120 {
            if case (200, _) = try await Self.token(base) {
                recovered = true
                break
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(recovered, "the server did not recover after PostgreSQL came back")
        let (readyAgain, _) = try await Web.get(server.baseURL + "/readyz")
        #expect(readyAgain == 200)
        try await Task.sleep(for: .seconds(1))
        load.cancel()
        let run = await load.value
        #expect(
            run.unavailable > 0,
            "the load run never saw the outage (\(run.acknowledged.count) acknowledged); server log: \(server.log.suffix(3000))"
        )
        #expect(run.other.isEmpty, "requests failed other than with 503 temporarily_unavailable: \(run.other)")
        #expect(run.acknowledged.count > 10)
        // The circuit breaker: once the pool knows the database is down, a request is refused in
        // milliseconds instead of waiting out request_timeout (2 s here), and the outage is logged once.
        let sorted = run.refusals.sorted()
        let median = sorted.isEmpty ? Duration.zero : sorted[sorted.count / 2]
        print(
            "outage: \(run.unavailable) refusals, median \(median), p90 \(sorted.isEmpty ? .zero : sorted[sorted.count * 9 / 10]), max \(sorted.last ?? .zero)"
        )
        #expect(median < .milliseconds(100), "median refusal during the outage took \(median)")
        let perRequestLines = server.log.components(separatedBy: "store unavailable").count - 1
        #expect(perRequestLines < 5, "\(perRequestLines) 'store unavailable' lines for \(run.unavailable) refusals")
        #expect(server.log.components(separatedBy: "PostgreSQL is unreachable").count - 1 == 1, "\(server.log.suffix(3000))")
        #expect(server.log.contains("PostgreSQL answers again"))
        for access in run.acknowledged {
            let (_, introspected) = try await Web.post(server.baseURL + "/introspect", form: "token=\(access)", basic: Self.basic)
            #expect(introspected["active"] as? Bool == true, "an acknowledged token was lost")
        }
        let exitStatus = try await server.stop()
        #expect(exitStatus == 0, "server log: \(server.log.suffix(3000))")
    }

    @Test func migrateExportAndImportMoveAnInstallationFromSQLiteToPostgreSQL() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-move-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let sqlite = "sqlite:" + directory.appendingPathComponent("old.sqlite").path
        let postgres = try Self.freshDatabaseURL()
        let config = try Self.configFile()

        // An installation on SQLite with a client, keys and live tokens.
        let old = try await TesseraProcess(["--config", config, "--database", sqlite])
        let (_, issued) = try await Web.post(old.baseURL + "/token", form: "grant_type=client_credentials&scope=read", basic: Self.basic)
        let access = try #require(issued["access_token"] as? String)
        let refresh = try #require(issued["refresh_token"] as? String)
        let kidsBefore = try await Self.kids(old)
        #expect(try await old.stop() == 0)
        #expect(
            try await TesseraProcess.run([
                "clients", "add", "--database", sqlite, "--id", "moved", "--auth", "none", "--grant-types", "refresh_token",
            ]).0 == 0
        )

        let (migrateStatus, migrated) = try await TesseraProcess.run(["migrate", "--database", postgres])
        #expect(migrateStatus == 0 && migrated.contains("is at schema version "))
        #expect(!migrated.contains("tessera-test-password"))
        let file = directory.appendingPathComponent("export.json").path
        #expect(try await TesseraProcess.run(["export", "--database", sqlite, "--output", file]).0 == 0)
        let permissions = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        let (importStatus, imported) = try await TesseraProcess.run(["import", "--database", postgres, "--input", file])
        #expect(importStatus == 0 && imported.contains("1 access tokens, 1 refresh tokens, 0 GNAP grants"))
        let (_, listed) = try await TesseraProcess.run(["clients", "list", "--database", postgres])
        #expect(listed.contains("moved") && listed.contains(TestClients.secretClientID))

        // The new server on PostgreSQL knows the old tokens and keys.
        let moved = try await TesseraProcess(["--config", config, "--database", postgres])
        let kidsAfter = try await Self.kids(moved)
        #expect(kidsAfter == kidsBefore)
        let (_, introspected) = try await Web.post(moved.baseURL + "/introspect", form: "token=\(access)", basic: Self.basic)
        #expect(introspected["active"] as? Bool == true)
        let (refreshed, _) = try await Web.post(
            moved.baseURL + "/token",
            form: "grant_type=refresh_token&refresh_token=\(refresh)",
            basic: Self.basic
        )
        #expect(refreshed == 200)
        #expect(try await moved.stop() == 0)
    }

    /// docs/postgres.md, "Creating the role and the database": a role that owns only its schema and
    /// has no CREATE on the database migrates it and serves from it; `tessera migrate` applies the
    /// migrations in ascending order and reports the newest version.
    @Test func aRoleOwningOnlyItsSchemaMigratesAndServes() async throws {
        guard let base = ProcessInfo.processInfo.environment["TESSERA_POSTGRES_URL"], !base.isEmpty,
            var components = URLComponents(string: base)
        else {
            throw TesseraProcess.Failure(
                description: "TESSERA_POSTGRES_URL is not set: run scripts/test, which starts a private PostgreSQL"
            )
        }
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let (role, schema, password) = ("tessera_app_\(suffix)", "tessera_\(suffix)", "app-password-\(suffix)")
        let setup = """
            CREATE ROLE \(role) LOGIN PASSWORD '\(password)';
            CREATE SCHEMA \(schema) AUTHORIZATION \(role);
            """
        #expect(
            try await Self.shell([
                "psql", "-v", "ON_ERROR_STOP=1", "-q", base.replacingOccurrences(of: "postgres://", with: "postgresql://"), "-c", setup,
            ]) == 0
        )
        components.user = role
        components.password = password
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "schema", value: schema)]
        let database = try #require(components.string)

        // The result on standard output, one log line per migration applied on standard error.
        let (status, output) = try await ChildProcess.run(TesseraProcess.binary, ["migrate", "--database", database], capture: .both)
        #expect(status == 0, "\(output)")
        #expect(output.contains("is at schema version 22"), "\(output)")
        let applied = output.split(separator: "\n").compactMap { line -> Int? in
            guard let range = line.range(of: "tessera.migration=") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(applied == [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22], "\(output)")

        let server = try await TesseraProcess(["--config", try Self.configFile(), "--database", database])
        let (tokenStatus, _) = try await Self.token(server.baseURL)
        #expect(tokenStatus == 200)
        #expect(try await server.stop() == 0)
    }

    static func token(_ base: String) async throws -> (Int, [String: Any]) {
        try await Web.post(base + "/token", form: "grant_type=client_credentials&scope=read", basic: basic)
    }

    /// Runs a command to completion (output discarded: a started server must hold no pipe of ours); returns its status.
    static func shell(_ arguments: [String]) async throws -> Int32 {
        // Children inherit this test process's blocked signal mask, and a blocked SIGCHLD hangs the
        // shells inside initdb and pg_ctl: start the command through python3 with an empty mask.
        let child = try ChildProcess(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", "-c",
                "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execvp(sys.argv[1], sys.argv[1:])",
            ] + arguments,
            capture: .nothing
        )
        // Reaped by waitpid: `pg_ctl start` leaves a server behind that holds the socket Foundation
        // watches for the exit (ChildProcess.reap).
        if let status = await child.reap(within: .seconds(120)) { return status }
        child.terminate()
        return -1
    }
}
