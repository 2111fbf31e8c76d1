import Foundation
public import Logging
public import ServiceLifecycle
import TesseraStorage

extension GrantEngine {
    /// Whether the store answers now (`/readyz`).
    /// - Returns: `true` when a trivial query succeeds.
    public func isReady() async -> Bool { await stores.health() }

    /// Turns on client challenges (draft-kahrer-oauth-client-challenge-protocol-00) when a policy is configured.
    /// - Parameter configuration: the `client_challenges:` settings.
    /// - Throws: A Cedar parse error for a broken policy; a JOSE error for unusable attester keys.
    public mutating func enableClientChallenges(_ configuration: ClientChallengeConfiguration) async throws {
        challenges = try await ClientChallengeService.make(
            configuration: configuration,
            issuer: self.configuration.issuer,
            stores: stores,
            authenticator: authenticator,
            decisions: decisions,
            authorizationDetails: context.authorizationDetails,
            now: now
        )
        authorization.challenges = challenges
    }

    /// Dynamic client registration (RFC 7591, RFC 7592) over the engine's client store.
    /// - Parameters:
    ///   - configuration: the `registration:` settings.
    ///   - endpoint: the registration endpoint's URL.
    /// - Returns: The registration service.
    public func registration(configuration: ClientRegistrationConfiguration, endpoint: String) -> ClientRegistrationService {
        ClientRegistrationService(configuration: configuration, endpoint: endpoint, stores: stores, now: now)
    }
}

/// Deletes expired tokens, replay records, interactions, browser sessions and held authorization
/// requests every ten minutes (kept a day past expiry, so a late replay is still recognised).
public struct ExpiredRecordSweeper: Service {
    let engine: GrantEngine
    let people: PeopleService
    let logger: Logger
    let interval: Duration

    /// - Parameters:
    ///   - engine: the engine whose records are swept.
    ///   - people: the browser sessions' service.
    ///   - logger: where a failed sweep is logged.
    ///   - interval: the time between sweeps.
    public init(engine: GrantEngine, people: PeopleService, logger: Logger, interval: Duration = .seconds(600)) {
        (self.engine, self.people, self.logger, self.interval) = (engine, people, logger, interval)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                do {
                    let now = engine.now()
                    let dayAgo = now.addingTimeInterval(-86_400)
                    var removed = try await engine.stores.tokens.deleteExpired(before: dayAgo)
                    removed += try await engine.gnap.sweepInteractions(before: dayAgo)
                    removed += try await people.sweepSessions(before: now)
                    removed += try await engine.stores.authorizationCodes.deleteExpiredAuthorizations(before: dayAgo)
                    logger.debug("swept expired records", metadata: ["tessera.removed": "\(removed)"])
                } catch {
                    logger.warning("could not sweep expired records", metadata: ["tessera.error": "\(error)"])
                }
            }
        }
    }
}
