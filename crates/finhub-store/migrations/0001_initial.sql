-- FinHub's SQLite schema, first version.
--
-- Conventions (see src/sqlite/rows.rs):
-- * every `*_at` column is a UTC instant as integer Unix nanoseconds (exact for any
--   `OffsetDateTime` between 1677 and 2262); durations are integer nanoseconds (`*_ns`);
-- * booleans are 0/1 integers;
-- * secrets appear only as SHA-256 hex hashes or sealed (encrypted) bytes;
-- * tenant-scoped rows carry `tenant_id` in their key, so every lookup filters by tenant.

CREATE TABLE tenants (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    -- `finra:<group>` entries, space-separated (the `Scope` display form).
    scope       TEXT    NOT NULL,
    -- JSON array of CIDR networks; `[]` means any address.
    allow_list  TEXT    NOT NULL,
    disabled    INTEGER NOT NULL CHECK (disabled IN (0, 1))
) STRICT;

CREATE TABLE customers (
    tenant_id    TEXT    NOT NULL REFERENCES tenants (id),
    id           TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    account_type TEXT    NOT NULL CHECK (account_type IN ('b2b', 'b2c')),
    secret_hash  TEXT    NOT NULL,
    disabled     INTEGER NOT NULL CHECK (disabled IN (0, 1)),
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE users (
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id),
    username      TEXT    NOT NULL,
    -- Argon2id PHC string.
    password_hash TEXT    NOT NULL,
    disabled      INTEGER NOT NULL CHECK (disabled IN (0, 1)),
    PRIMARY KEY (tenant_id, username)
) STRICT;

-- At most one upstream (FINRA) credential per tenant; replacing it overwrites the row.
CREATE TABLE upstream_credentials (
    tenant_id     TEXT NOT NULL PRIMARY KEY REFERENCES tenants (id),
    client_id     TEXT NOT NULL,
    sealed_secret BLOB NOT NULL,
    target        TEXT NOT NULL CHECK (target IN ('finra-production', 'finra-qa', 'custom')),
    -- Set exactly when `target` is 'custom'.
    api_base      TEXT,
    token_url     TEXT,
    CHECK ((target = 'custom') = (api_base IS NOT NULL AND token_url IS NOT NULL))
) STRICT;

CREATE TABLE sessions (
    -- SHA-256 of the `internalTokenKey`.
    key_hash           TEXT    NOT NULL PRIMARY KEY,
    tenant_id          TEXT    NOT NULL,
    customer_id        TEXT    NOT NULL,
    -- NULL for a machine (`client_credentials`).
    username           TEXT,
    account_type       TEXT    NOT NULL CHECK (account_type IN ('b2b', 'b2c')),
    scope              TEXT    NOT NULL,
    family_id          TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    access_expires_at  INTEGER NOT NULL,
    access_lifetime_ns INTEGER NOT NULL,
    session_expires_at INTEGER NOT NULL,
    revoked_at         INTEGER,
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, username) REFERENCES users (tenant_id, username)
) STRICT;

CREATE INDEX sessions_by_family ON sessions (family_id);
CREATE INDEX sessions_by_tenant ON sessions (tenant_id, session_expires_at);

-- Refresh tokens, single-use. `session_key_hash` deliberately has no foreign key, so callers may
-- store a rotation's session and refresh token in either order.
CREATE TABLE refresh_tokens (
    hash             TEXT    NOT NULL PRIMARY KEY,
    family_id        TEXT    NOT NULL,
    tenant_id        TEXT    NOT NULL,
    customer_id      TEXT    NOT NULL,
    username         TEXT,
    session_key_hash TEXT    NOT NULL,
    expires_at       INTEGER NOT NULL,
    used_at          INTEGER,
    -- The sealed pair its exchange produced, kept for the grace window.
    successor        BLOB,
    revoked_at       INTEGER,
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, username) REFERENCES users (tenant_id, username)
) STRICT;

CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);

-- Consecutive failed logins per (tenant, username as sent): no foreign keys, because unknown
-- tenants and usernames are counted too.
CREATE TABLE login_failures (
    tenant_id    TEXT    NOT NULL,
    username     TEXT    NOT NULL,
    count        INTEGER NOT NULL CHECK (count >= 1),
    last_failure INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, username)
) STRICT;

-- The append-only audit log. Client-sent values are stored as data, never trusted.
CREATE TABLE audit_events (
    id            INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    request_id    TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    -- 'success', or 'failure' with the error code the caller got in `error`.
    outcome       TEXT    NOT NULL CHECK (outcome IN ('success', 'failure')),
    error         TEXT,
    tenant        TEXT,
    customer      TEXT,
    username      TEXT,
    peer_addr     TEXT    NOT NULL,
    client_addr   TEXT    NOT NULL,
    forwarded_for TEXT,
    user_agent    TEXT,
    platform      TEXT,
    CHECK ((outcome = 'failure') = (error IS NOT NULL))
) STRICT;

CREATE INDEX audit_events_by_time ON audit_events (at);
