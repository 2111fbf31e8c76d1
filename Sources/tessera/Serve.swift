import ArgumentParser
import Foundation
import Logging
import TesseraServer

extension Tessera {
    /// `tessera serve`: runs the authorization server until SIGINT or SIGTERM.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the authorization server.",
            discussion: """
                With no configuration at all it listens on http://127.0.0.1:8080, keeps its SQLite
                database and signing keys under ./tessera-data/, and uses its base URL as issuer.
                SIGINT or SIGTERM stop it gracefully: requests in flight finish first.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(help: "Address to listen on. Env: TESSERA_HOST. Default: 127.0.0.1.")
        var host: String?

        @Option(help: "Port to listen on; 0 picks a free port and logs it. Env: TESSERA_PORT. Default: 8080.")
        var port: Int?

        @Option(help: "Issuer identifier (RFC 8414). Env: TESSERA_ISSUER. Default: http://HOST:PORT.")
        var issuer: String?

        @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical. Env: TESSERA_LOG_LEVEL.")
        var logLevel: String?

        func run() async throws {
            ServerExecutor.adoptEventLoops()
            var configuration = try global.loadConfiguration()
            if let host { configuration.host = host }
            if let port { configuration.port = port }
            if let issuer { configuration.issuer = issuer }
            if let logLevel { configuration.logLevel = logLevel }
            guard let level = Logger.Level(rawValue: configuration.logLevel) else {
                throw CommandFailure(
                    "configuration 'log_level': '\(configuration.logLevel)' is not one of trace, debug, info, notice, warning, error, critical"
                )
            }
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "tessera")
            do {
                let server = try await buildApplication(configuration, dependencies: ServerDependencies(logger: logger))
                try await server.run()
            } catch let error as ConfigurationError {
                throw CommandFailure(error.description)
            }
        }
    }
}
