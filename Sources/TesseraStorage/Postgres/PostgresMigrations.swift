import Foundation
import Logging
import PostgresNIO

/// PostgreSQL schema migrations: append-only, numbered, never edited once shipped (the same tables
/// as ``SQLiteMigrations``; timestamps are milliseconds since 1970 in `BIGINT`, lists are `TEXT[]`).
///
/// ``migrate(_:)`` applies the missing ones in one transaction that first takes a transaction-scoped
/// advisory lock, so when several instances start at once one migrates and the others wait, then
/// find nothing left to do.
enum PostgresMigrations {
    /// Every migration, applied in ascending version order (they were written down in the order
    /// their branches landed, 7 before 3; 6 was never used).
    static let all: [SchemaMigration] = written.sorted { $0.version < $1.version }

    private static let written: [SchemaMigration] = [
        SchemaMigration(1, "clients-tokens-keys-replay") {
            """
            CREATE TABLE clients (
                id TEXT PRIMARY KEY,
                auth_method TEXT NOT NULL,
                secret_hash TEXT,
                jwks TEXT,
                jwks_uri TEXT,
                grant_types TEXT[] NOT NULL,
                scopes TEXT[] NOT NULL,
                created_at BIGINT NOT NULL
            )
            """
            """
            CREATE TABLE access_tokens (
                jti TEXT PRIMARY KEY,
                grant_id TEXT NOT NULL,
                client_id TEXT NOT NULL,
                subject TEXT NOT NULL,
                scope TEXT NOT NULL,
                audience TEXT[] NOT NULL,
                issued_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                revoked_at BIGINT
            )
            """
            "CREATE INDEX access_tokens_grant ON access_tokens (grant_id)"
            "CREATE INDEX access_tokens_expiry ON access_tokens (expires_at)"
            """
            CREATE TABLE refresh_tokens (
                token_hash TEXT PRIMARY KEY,
                grant_id TEXT NOT NULL,
                client_id TEXT NOT NULL,
                subject TEXT NOT NULL,
                scope TEXT NOT NULL,
                audience TEXT[] NOT NULL,
                issued_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT,
                revoked_at BIGINT
            )
            """
            "CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id)"
            "CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at)"
            """
            CREATE TABLE signing_keys (
                kid TEXT PRIMARY KEY,
                algorithm TEXT NOT NULL,
                private_jwk TEXT NOT NULL,
                public_jwk TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                retired_at BIGINT
            )
            """
            """
            CREATE TABLE replay_cache (
                namespace TEXT NOT NULL,
                value TEXT NOT NULL,
                expires_at BIGINT NOT NULL,
                PRIMARY KEY (namespace, value)
            )
            """
            "CREATE INDEX replay_cache_expiry ON replay_cache (expires_at)"
        },
        SchemaMigration(2, "gnap-grants-tokens") {
            """
            CREATE TABLE gnap_grants (
                id TEXT PRIMARY KEY,
                state TEXT NOT NULL,
                client_key TEXT NOT NULL,
                key_thumbprint TEXT NOT NULL,
                instance_id TEXT,
                request TEXT NOT NULL,
                continuation_hash TEXT UNIQUE,
                continue_after BIGINT NOT NULL,
                subject TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL
            )
            """
            "CREATE INDEX gnap_grants_state ON gnap_grants (state)"
            """
            CREATE TABLE gnap_tokens (
                manage_id TEXT PRIMARY KEY,
                management_hash TEXT NOT NULL UNIQUE,
                grant_id TEXT NOT NULL,
                jti TEXT NOT NULL,
                label TEXT,
                access TEXT NOT NULL,
                flags TEXT[] NOT NULL,
                created_at BIGINT NOT NULL,
                revoked_at BIGINT
            )
            """
            "CREATE INDEX gnap_tokens_grant ON gnap_tokens (grant_id)"
            "CREATE INDEX gnap_tokens_jti ON gnap_tokens (jti)"
        },
        // RFC 9396 §7: a refresh token remembers the rich authorization details its grant holds.
        SchemaMigration(4, "refresh-authorization-details") { "ALTER TABLE refresh_tokens ADD COLUMN authorization_details TEXT" },
        // RFC 9449 §5: a public client's refresh token is bound to its DPoP key.
        SchemaMigration(5, "refresh-token-dpop-binding") { "ALTER TABLE refresh_tokens ADD COLUMN jkt TEXT" },
        SchemaMigration(7, "metadata-clients-challenges") {
            """
            CREATE TABLE metadata_clients (
                client_id TEXT PRIMARY KEY,
                first_seen_at BIGINT NOT NULL,
                last_fetched_at BIGINT NOT NULL,
                keys_fingerprint TEXT NOT NULL,
                redirect_uris_fingerprint TEXT NOT NULL,
                keys_changed_at BIGINT,
                redirect_uris_changed_at BIGINT
            )
            """
            """
            CREATE TABLE client_challenges (
                session_hash TEXT PRIMARY KEY,
                client_id TEXT NOT NULL,
                key_thumbprint TEXT,
                request_digest TEXT NOT NULL,
                requirement TEXT NOT NULL,
                issued_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT
            )
            """
            "CREATE INDEX client_challenges_expiry ON client_challenges (expires_at)"
        },
        SchemaMigration(3, "users-sessions-gnap-interactions") {
            """
            CREATE TABLE users (
                username TEXT PRIMARY KEY,
                password_hash TEXT NOT NULL,
                display_name TEXT,
                created_at BIGINT NOT NULL
            )
            """
            """
            CREATE TABLE sessions (
                id_hash TEXT PRIMARY KEY,
                username TEXT,
                csrf_token TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL
            )
            """
            "CREATE INDEX sessions_user ON sessions (username)"
            "CREATE INDEX sessions_expiry ON sessions (expires_at)"
            """
            CREATE TABLE gnap_interactions (
                id TEXT PRIMARY KEY,
                grant_id TEXT NOT NULL UNIQUE,
                user_code TEXT UNIQUE,
                finish_method TEXT,
                finish_uri TEXT,
                client_nonce TEXT,
                server_nonce TEXT NOT NULL,
                hash_method TEXT NOT NULL,
                owner TEXT,
                client_name TEXT,
                client_uri TEXT,
                state TEXT NOT NULL,
                interact_ref_hash TEXT,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL
            )
            """
            "CREATE INDEX gnap_interactions_expiry ON gnap_interactions (expires_at)"
        },
        SchemaMigration(8, "gnap-resource-sets") {
            """
            CREATE TABLE gnap_resource_sets (
                reference TEXT PRIMARY KEY,
                resource_server_id TEXT NOT NULL,
                set_hash TEXT NOT NULL UNIQUE,
                access TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """
        },
        // RFC 6749 §4.1 and RFC 9126: registered redirect URIs, per-client PAR requirement,
        // held authorization requests and single-use codes (hashes only).
        SchemaMigration(9, "authorization-codes") {
            "ALTER TABLE clients ADD COLUMN redirect_uris TEXT[] NOT NULL DEFAULT '{}'"
            "ALTER TABLE clients ADD COLUMN require_par BOOLEAN NOT NULL DEFAULT FALSE"
            """
            CREATE TABLE authorization_requests (
                id_hash TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                client_id TEXT NOT NULL,
                parameters TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT
            )
            """
            "CREATE INDEX authorization_requests_expiry ON authorization_requests (expires_at)"
            """
            CREATE TABLE authorization_codes (
                code_hash TEXT PRIMARY KEY,
                client_id TEXT NOT NULL,
                grant_id TEXT NOT NULL,
                payload TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT
            )
            """
            "CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at)"
        },
        // Remembered consent per person, client and approved access, and the grants issued
        // under each (so withdrawing it revokes their tokens).
        SchemaMigration(10, "consents") {
            """
            CREATE TABLE consents (
                id TEXT PRIMARY KEY,
                subject TEXT NOT NULL,
                client_id TEXT NOT NULL,
                scope TEXT NOT NULL,
                resources TEXT NOT NULL,
                authorization_details TEXT,
                created_at BIGINT NOT NULL,
                withdrawn_at BIGINT
            )
            """
            "CREATE INDEX consents_subject ON consents (subject, client_id)"
            """
            CREATE TABLE consent_grants (
                consent_id TEXT NOT NULL,
                grant_id TEXT NOT NULL,
                PRIMARY KEY (consent_id, grant_id)
            )
            """
        },
        // RFC 7662 §4: which token audiences a client serves as a resource server, so it may introspect their tokens.
        SchemaMigration(11, "client-introspection-audiences") {
            "ALTER TABLE clients ADD COLUMN introspection_audiences TEXT[] NOT NULL DEFAULT '{}'"
        },
        // Issue 19: each access token's parent (TokenParent), indexed for the cascade's walk from parent to children.
        SchemaMigration(12, "token-lineage") {
            "ALTER TABLE access_tokens ADD COLUMN parent_kind TEXT"
            "ALTER TABLE access_tokens ADD COLUMN parent_id TEXT"
            "CREATE INDEX access_tokens_parent ON access_tokens (parent_id) WHERE parent_id IS NOT NULL"
        },
        // RFC 7591/7592: self-registered clients carry their metadata and the hash of their
        // registration access token; operators mint initial access tokens, kept hashed.
        SchemaMigration(13, "dynamic-client-registration") {
            "ALTER TABLE clients ADD COLUMN registration_metadata TEXT"
            "ALTER TABLE clients ADD COLUMN registration_token_hash TEXT"
            """
            CREATE TABLE registration_tokens (
                id TEXT PRIMARY KEY,
                token_hash TEXT NOT NULL UNIQUE,
                label TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                remaining_uses INTEGER NOT NULL
            )
            """
        },
        // Issue 19 ("one registry"): GNAP client instances and resource servers are clients too, with
        // their key (one party per key: the unique thumbprint) and roles as JSON (GNAPRegistration).
        SchemaMigration(14, "gnap-registry") {
            "ALTER TABLE clients ADD COLUMN gnap_registration TEXT"
            "ALTER TABLE clients ADD COLUMN gnap_key_thumbprint TEXT"
            "CREATE UNIQUE INDEX clients_gnap_key ON clients (gnap_key_thumbprint) WHERE gnap_key_thumbprint IS NOT NULL"
        },
        // Issue 22: one counter that every change to `clients` bumps, in the changing transaction, whoever
        // writes (another instance, `tessera clients`, registration, import), so an instance's client cache
        // (CachingClientStore) can tell with one tiny read that what it holds is still current.
        SchemaMigration(15, "client-change-sequence") {
            "CREATE TABLE client_changes (id INTEGER PRIMARY KEY CHECK (id = 1), sequence BIGINT NOT NULL)"
            "INSERT INTO client_changes (id, sequence) VALUES (1, 0)"
            """
            CREATE FUNCTION tessera_client_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE client_changes SET sequence = sequence + 1 WHERE id = 1;
                RETURN NULL;
            END
            $$
            """
            """
            CREATE TRIGGER clients_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON clients
            FOR EACH STATEMENT EXECUTE FUNCTION tessera_client_changed()
            """
        },
        // Issue 21: the name an operator registers a client under, shown as verified on the consent pages.
        SchemaMigration(16, "client-name") { "ALTER TABLE clients ADD COLUMN client_name TEXT" },
        // Issue 20: RFC 8707 `resource` required of one client, stored with it (it lived only in the
        // configuration file, so clients added with `tessera clients add` could not have it).
        SchemaMigration(17, "client-require-resource") { "ALTER TABLE clients ADD COLUMN require_resource BOOLEAN NOT NULL DEFAULT FALSE" },
        // OpenID Connect Core §2: a GNAP ID token's `auth_time` is when the approving person signed in here
        // (their session's sign-in), not when the grant was last continued; NULL when nobody signed in.
        SchemaMigration(18, "gnap-grant-authenticated-at") { "ALTER TABLE gnap_grants ADD COLUMN authenticated_at BIGINT" },
        // Issue 22: no index on the continuation and management token hashes. Every lookup reaches a grant or a token
        // by its id (the URI names it) and then compares the hash, so the UNIQUE constraints only maintained an index
        // keyed by random values on every grant (SQLite's migration 19 rebuilds its tables for the same reason).
        SchemaMigration(19, "gnap-hashes-unindexed") {
            "ALTER TABLE gnap_grants DROP CONSTRAINT IF EXISTS gnap_grants_continuation_hash_key"
            "ALTER TABLE gnap_tokens DROP CONSTRAINT IF EXISTS gnap_tokens_management_hash_key"
        },
        // draft-cecchetti-oauth-rar-cedar §7: a Cedar right's `valid_for` window counts from the approval a GNAP grant
        // stands on, not from the continuation that mints a token (SQLite's migration 20 likewise).
        SchemaMigration(20, "gnap-grant-approved-at") { "ALTER TABLE gnap_grants ADD COLUMN approved_at BIGINT" },
        // A metadata-document client's key set as fetched from its `jwks_uri` (SQLite's migration 21 likewise).
        SchemaMigration(21, "metadata-clients-key-set") { "ALTER TABLE metadata_clients ADD COLUMN key_set_fingerprint TEXT" },
        // Tokens carry the username as `sub`: a removed person's name is not given to someone else unasked (J8). SQLite's migration 22 likewise.
        SchemaMigration(22, "removed-users") { "CREATE TABLE removed_users (username TEXT PRIMARY KEY, removed_at BIGINT NOT NULL)" },
    ]

    /// The newest schema version this build knows.
    static var latestVersion: Int32 { all.map(\.version).max() ?? 0 }

    /// Applies every migration the database lacks. - Returns: the schema version afterwards.
    /// - Throws: ``StorageError`` `unavailable`, or `corrupt` when the database is newer than this build.
    static func migrate(_ database: PostgresDatabase) async throws -> Int32 {
        let schema = database.url.schema
        let logger = database.logger
        return try await database.transaction(timeout: .seconds(120)) { connection in
            // Migrations may wait on the lock and build indexes: no statement deadline inside.
            try await connection.run("SET LOCAL statement_timeout = 0", logger: logger)
            let lockName = "tessera-migrations:" + (schema ?? "public")
            try await connection.run("SELECT pg_advisory_xact_lock(hashtext(\(lockName)))", logger: logger)
            if let schema {
                // Created only when missing: PostgreSQL checks CREATE on the database before it looks
                // for an existing schema, and a role given just its own schema (docs/postgres.md) has no
                // CREATE on the database.
                if try await connection.run("SELECT 1 FROM pg_namespace WHERE nspname = \(schema)", logger: logger) == 0 {
                    // The one identifier written into SQL: PostgresURL admits only [a-z_][a-z0-9_]* here, and
                    // DDL cannot take a bind parameter.
                    try await connection.run(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger)
                }
            }
            try await connection.run(
                """
                CREATE TABLE IF NOT EXISTS tessera_schema_migrations (
                    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL
                )
                """,
                logger: logger
            )
            let applied = Set(
                try await connection.rows("SELECT version FROM tessera_schema_migrations", logger: logger) { try $0.decode(Int32.self) }
            )
            if let newest = applied.max(), newest > latestVersion {
                throw StorageError(.corrupt, "the database schema (version \(newest)) is newer than this Tessera (\(latestVersion))")
            }
            for migration in all where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                let now = Date().millis
                try await connection.run(
                    "INSERT INTO tessera_schema_migrations (version, name, applied_at) VALUES (\(migration.version), \(migration.name), \(now))",
                    logger: logger
                )
                logger.info("applied PostgreSQL migration", metadata: ["tessera.migration": "\(migration.version)-\(migration.name)"])
            }
            return latestVersion
        }
    }
}
