import GRDB

/// Schema migrations: append-only, named, never edited once shipped.
enum SQLiteMigrations {
    /// The schema version the migrations bring a database to: the number of the newest one (`0016-…` is 16), the
    /// same number PostgreSQL reports — not how many there are (SQLite has no migration 6).
    static var latestVersion: Int {
        migrator.migrations.compactMap { Int($0.prefix { $0.isNumber }) }.max() ?? 0
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            migrator.registerMigration(migration.identifier) { db in
                for sql in migration.statements { try db.execute(sql: sql) }
            }
        }
        return migrator
    }

    /// Every migration, registered (and so applied) in this order: the order their
    /// branches landed, 0007 before 0003.
    private static let migrations: [SchemaMigration] = [
        SchemaMigration(1, "clients-tokens-keys-replay") {
            """
            CREATE TABLE clients (
                id TEXT PRIMARY KEY NOT NULL,
                auth_method TEXT NOT NULL,
                secret_hash TEXT,
                jwks TEXT,
                jwks_uri TEXT,
                grant_types TEXT NOT NULL,
                scopes TEXT NOT NULL,
                created_at INTEGER NOT NULL
            );
            CREATE TABLE access_tokens (
                jti TEXT PRIMARY KEY NOT NULL,
                grant_id TEXT NOT NULL,
                client_id TEXT NOT NULL,
                subject TEXT NOT NULL,
                scope TEXT NOT NULL,
                audience TEXT NOT NULL,
                issued_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                revoked_at INTEGER
            );
            CREATE INDEX access_tokens_grant ON access_tokens(grant_id);
            CREATE INDEX access_tokens_expiry ON access_tokens(expires_at);
            CREATE TABLE refresh_tokens (
                token_hash TEXT PRIMARY KEY NOT NULL,
                grant_id TEXT NOT NULL,
                client_id TEXT NOT NULL,
                subject TEXT NOT NULL,
                scope TEXT NOT NULL,
                audience TEXT NOT NULL,
                issued_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                used_at INTEGER,
                revoked_at INTEGER
            );
            CREATE INDEX refresh_tokens_grant ON refresh_tokens(grant_id);
            CREATE INDEX refresh_tokens_expiry ON refresh_tokens(expires_at);
            CREATE TABLE signing_keys (
                kid TEXT PRIMARY KEY NOT NULL,
                algorithm TEXT NOT NULL,
                private_jwk TEXT NOT NULL,
                public_jwk TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                retired_at INTEGER
            );
            CREATE TABLE replay_cache (
                namespace TEXT NOT NULL,
                value TEXT NOT NULL,
                expires_at INTEGER NOT NULL,
                PRIMARY KEY (namespace, value)
            );
            CREATE INDEX replay_cache_expiry ON replay_cache(expires_at);
            """
        },
        SchemaMigration(2, "gnap-grants-tokens") {
            """
            CREATE TABLE gnap_grants (
                id TEXT PRIMARY KEY NOT NULL,
                state TEXT NOT NULL,
                client_key TEXT NOT NULL,
                key_thumbprint TEXT NOT NULL,
                instance_id TEXT,
                request TEXT NOT NULL,
                continuation_hash TEXT UNIQUE,
                continue_after INTEGER NOT NULL,
                subject TEXT,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            );
            CREATE INDEX gnap_grants_state ON gnap_grants(state);
            CREATE TABLE gnap_tokens (
                manage_id TEXT PRIMARY KEY NOT NULL,
                management_hash TEXT NOT NULL UNIQUE,
                grant_id TEXT NOT NULL,
                jti TEXT NOT NULL,
                label TEXT,
                access TEXT NOT NULL,
                flags TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                revoked_at INTEGER
            );
            CREATE INDEX gnap_tokens_grant ON gnap_tokens(grant_id);
            CREATE INDEX gnap_tokens_jti ON gnap_tokens(jti);
            """
        },
        // RFC 9396 §7: a refresh token remembers the rich authorization details its grant holds.
        SchemaMigration(4, "refresh-authorization-details") { "ALTER TABLE refresh_tokens ADD COLUMN authorization_details TEXT" },
        // RFC 9449 §5: a public client's refresh token is bound to its DPoP key.
        SchemaMigration(5, "refresh-token-dpop-binding") { "ALTER TABLE refresh_tokens ADD COLUMN jkt TEXT" },
        SchemaMigration(7, "metadata-clients-challenges") {
            """
            CREATE TABLE metadata_clients (
                client_id TEXT PRIMARY KEY NOT NULL,
                first_seen_at INTEGER NOT NULL,
                last_fetched_at INTEGER NOT NULL,
                keys_fingerprint TEXT NOT NULL,
                redirect_uris_fingerprint TEXT NOT NULL,
                keys_changed_at INTEGER,
                redirect_uris_changed_at INTEGER
            );
            CREATE TABLE client_challenges (
                session_hash TEXT PRIMARY KEY NOT NULL,
                client_id TEXT NOT NULL,
                key_thumbprint TEXT,
                request_digest TEXT NOT NULL,
                requirement TEXT NOT NULL,
                issued_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                used_at INTEGER
            );
            CREATE INDEX client_challenges_expiry ON client_challenges(expires_at);
            """
        },
        SchemaMigration(3, "users-sessions-gnap-interactions") {
            """
            CREATE TABLE users (
                username TEXT PRIMARY KEY NOT NULL,
                password_hash TEXT NOT NULL,
                display_name TEXT,
                created_at INTEGER NOT NULL
            );
            CREATE TABLE sessions (
                id_hash TEXT PRIMARY KEY NOT NULL,
                username TEXT,
                csrf_token TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            );
            CREATE INDEX sessions_user ON sessions(username);
            CREATE INDEX sessions_expiry ON sessions(expires_at);
            CREATE TABLE gnap_interactions (
                id TEXT PRIMARY KEY NOT NULL,
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
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            );
            CREATE INDEX gnap_interactions_expiry ON gnap_interactions(expires_at);
            """
        },
        SchemaMigration(8, "gnap-resource-sets") {
            """
            CREATE TABLE gnap_resource_sets (
                reference TEXT PRIMARY KEY NOT NULL,
                resource_server_id TEXT NOT NULL,
                set_hash TEXT NOT NULL UNIQUE,
                access TEXT NOT NULL,
                created_at INTEGER NOT NULL
            );
            """
        },
        SchemaMigration(9, "authorization-codes") {
            """
            ALTER TABLE clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';
            ALTER TABLE clients ADD COLUMN require_par INTEGER NOT NULL DEFAULT 0;
            CREATE TABLE authorization_requests (
                id_hash TEXT PRIMARY KEY NOT NULL,
                kind TEXT NOT NULL,
                client_id TEXT NOT NULL,
                parameters TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                used_at INTEGER
            );
            CREATE INDEX authorization_requests_expiry ON authorization_requests(expires_at);
            CREATE TABLE authorization_codes (
                code_hash TEXT PRIMARY KEY NOT NULL,
                client_id TEXT NOT NULL,
                grant_id TEXT NOT NULL,
                payload TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                used_at INTEGER
            );
            CREATE INDEX authorization_codes_expiry ON authorization_codes(expires_at);
            """
        },
        SchemaMigration(10, "consents") {
            """
            CREATE TABLE consents (
                id TEXT PRIMARY KEY NOT NULL,
                subject TEXT NOT NULL,
                client_id TEXT NOT NULL,
                scope TEXT NOT NULL,
                resources TEXT NOT NULL,
                authorization_details TEXT,
                created_at INTEGER NOT NULL,
                withdrawn_at INTEGER
            );
            CREATE INDEX consents_subject ON consents(subject, client_id);
            CREATE TABLE consent_grants (
                consent_id TEXT NOT NULL,
                grant_id TEXT NOT NULL,
                PRIMARY KEY (consent_id, grant_id)
            );
            """
        },
        // RFC 7662 §4: which token audiences a client serves as a resource server, so it may introspect their tokens.
        SchemaMigration(11, "client-introspection-audiences") {
            "ALTER TABLE clients ADD COLUMN introspection_audiences TEXT NOT NULL DEFAULT '';"
        },
        // Issue 19: each access token's parent (TokenParent), indexed for the cascade's walk from parent to children.
        SchemaMigration(12, "token-lineage") {
            """
            ALTER TABLE access_tokens ADD COLUMN parent_kind TEXT;
            ALTER TABLE access_tokens ADD COLUMN parent_id TEXT;
            CREATE INDEX access_tokens_parent ON access_tokens(parent_id) WHERE parent_id IS NOT NULL;
            """
        },
        // RFC 7591/7592: self-registered clients carry their metadata and the hash of their
        // registration access token; operators mint initial access tokens, kept hashed.
        SchemaMigration(13, "dynamic-client-registration") {
            """
            ALTER TABLE clients ADD COLUMN registration_metadata TEXT;
            ALTER TABLE clients ADD COLUMN registration_token_hash TEXT;
            CREATE TABLE registration_tokens (
                id TEXT PRIMARY KEY NOT NULL,
                token_hash TEXT NOT NULL UNIQUE,
                label TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                remaining_uses INTEGER NOT NULL
            );
            """
        },
        // Issue 19 ("one registry"): GNAP client instances and resource servers are clients too, with
        // their key (one party per key: the unique thumbprint) and roles as JSON (GNAPRegistration).
        SchemaMigration(14, "gnap-registry") {
            """
            ALTER TABLE clients ADD COLUMN gnap_registration TEXT;
            ALTER TABLE clients ADD COLUMN gnap_key_thumbprint TEXT;
            CREATE UNIQUE INDEX clients_gnap_key ON clients(gnap_key_thumbprint) WHERE gnap_key_thumbprint IS NOT NULL;
            """
        },
        // Issue 22: one counter that every change to `clients` bumps, in the changing transaction, whoever
        // writes (another process on the file, `tessera clients`, registration, import), so the client
        // cache (CachingClientStore) can tell with one tiny read that what it holds is still current.
        SchemaMigration(15, "client-change-sequence") {
            """
            CREATE TABLE client_changes (id INTEGER PRIMARY KEY CHECK (id = 1), sequence INTEGER NOT NULL);
            INSERT INTO client_changes (id, sequence) VALUES (1, 0);
            CREATE TRIGGER clients_changed_insert AFTER INSERT ON clients
            BEGIN UPDATE client_changes SET sequence = sequence + 1 WHERE id = 1; END;
            CREATE TRIGGER clients_changed_update AFTER UPDATE ON clients
            BEGIN UPDATE client_changes SET sequence = sequence + 1 WHERE id = 1; END;
            CREATE TRIGGER clients_changed_delete AFTER DELETE ON clients
            BEGIN UPDATE client_changes SET sequence = sequence + 1 WHERE id = 1; END;
            """
        },
        // Issue 21: the name an operator registers a client under, shown as verified on the consent pages.
        SchemaMigration(16, "client-name") { "ALTER TABLE clients ADD COLUMN client_name TEXT" },
        // Issue 20: RFC 8707 `resource` required of one client, stored with it (it lived only in the
        // configuration file, so clients added with `tessera clients add` could not have it).
        SchemaMigration(17, "client-require-resource") { "ALTER TABLE clients ADD COLUMN require_resource INTEGER NOT NULL DEFAULT 0" },
        // OpenID Connect Core §2: a GNAP ID token's `auth_time` is when the approving person signed in here
        // (their session's sign-in), not when the grant was last continued; NULL when nobody signed in.
        SchemaMigration(18, "gnap-grant-authenticated-at") { "ALTER TABLE gnap_grants ADD COLUMN authenticated_at INTEGER" },
        // Issue 22: no index on the continuation and management token hashes. Every lookup reaches a grant or a token
        // by its id (the URI names it) and then compares the hash, so the UNIQUE constraints only built an index keyed
        // by random values: three B-tree pages written for nothing on every grant. SQLite cannot drop the index of a
        // UNIQUE constraint, so both tables are rebuilt without it (their other indexes as before).
        SchemaMigration(19, "gnap-hashes-unindexed") {
            """
            CREATE TABLE gnap_grants_19 (
                id TEXT PRIMARY KEY NOT NULL,
                state TEXT NOT NULL,
                client_key TEXT NOT NULL,
                key_thumbprint TEXT NOT NULL,
                instance_id TEXT,
                request TEXT NOT NULL,
                continuation_hash TEXT,
                continue_after INTEGER NOT NULL,
                subject TEXT,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                authenticated_at INTEGER
            );
            INSERT INTO gnap_grants_19 (id, state, client_key, key_thumbprint, instance_id, request, continuation_hash,
                continue_after, subject, created_at, updated_at, expires_at, authenticated_at)
            SELECT id, state, client_key, key_thumbprint, instance_id, request, continuation_hash,
                continue_after, subject, created_at, updated_at, expires_at, authenticated_at FROM gnap_grants;
            DROP TABLE gnap_grants;
            ALTER TABLE gnap_grants_19 RENAME TO gnap_grants;
            CREATE INDEX gnap_grants_state ON gnap_grants(state);
            CREATE TABLE gnap_tokens_19 (
                manage_id TEXT PRIMARY KEY NOT NULL,
                management_hash TEXT NOT NULL,
                grant_id TEXT NOT NULL,
                jti TEXT NOT NULL,
                label TEXT,
                access TEXT NOT NULL,
                flags TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                revoked_at INTEGER
            );
            INSERT INTO gnap_tokens_19 (manage_id, management_hash, grant_id, jti, label, access, flags, created_at, revoked_at)
            SELECT manage_id, management_hash, grant_id, jti, label, access, flags, created_at, revoked_at FROM gnap_tokens;
            DROP TABLE gnap_tokens;
            ALTER TABLE gnap_tokens_19 RENAME TO gnap_tokens;
            CREATE INDEX gnap_tokens_grant ON gnap_tokens(grant_id);
            CREATE INDEX gnap_tokens_jti ON gnap_tokens(jti);
            """
        },
        // draft-cecchetti-oauth-rar-cedar §7, docs/rar-cedar.md: a Cedar right's `valid_for` window counts from the
        // approval a GNAP grant stands on, not from the continuation that mints a token (second review, G4). Grants
        // approved before this have none; their tokens count from the grant's creation, never later.
        SchemaMigration(20, "gnap-grant-approved-at") { "ALTER TABLE gnap_grants ADD COLUMN approved_at INTEGER" },
        // A metadata-document client's key set as fetched from its `jwks_uri` (RFC 7638 thumbprints), so that keys
        // replaced behind an unchanged `jwks_uri` stamp `keys_changed_at` too (outside review round 10, H7).
        SchemaMigration(21, "metadata-clients-key-set") { "ALTER TABLE metadata_clients ADD COLUMN key_set_fingerprint TEXT" },
        // Tokens carry the username as `sub`: a removed person's name is not given to someone else unasked (J8).
        SchemaMigration(22, "removed-users") {
            "CREATE TABLE removed_users (username TEXT PRIMARY KEY NOT NULL, removed_at INTEGER NOT NULL)"
        },
    ]
}
