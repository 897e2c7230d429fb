-- FinHub's schema on PostgreSQL: the same tables, columns and rules as the SQLite schema after
-- all of its migrations. Instants are BIGINT Unix nanoseconds (UTC), durations BIGINT
-- nanoseconds, secrets only hashes or sealed bytes.

CREATE TABLE tenants (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    -- `finra:<group>` and `traqs:<facility>` entries, space-separated (the `Scope` display form).
    scope       TEXT    NOT NULL,
    -- JSON array of CIDR networks; `[]` means any address.
    allow_list  TEXT    NOT NULL,
    disabled    BOOLEAN NOT NULL,
    mfa_policy  TEXT    CHECK (mfa_policy IN ('off', 'optional', 'required'))
);

CREATE TABLE customers (
    tenant_id    TEXT    NOT NULL REFERENCES tenants (id),
    id           TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    account_type TEXT    NOT NULL CHECK (account_type IN ('b2b', 'b2c')),
    secret_hash  TEXT    NOT NULL,
    disabled     BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE users (
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id),
    username      TEXT    NOT NULL,
    -- Argon2id PHC string.
    password_hash TEXT    NOT NULL,
    disabled      BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, username)
);

CREATE TABLE upstream_credentials (
    tenant_id     TEXT  NOT NULL PRIMARY KEY REFERENCES tenants (id),
    client_id     TEXT  NOT NULL,
    sealed_secret BYTEA NOT NULL,
    target        TEXT  NOT NULL CHECK (target IN ('finra-production', 'finra-qa', 'custom')),
    -- Set exactly when `target` is 'custom'.
    api_base      TEXT,
    token_url     TEXT,
    CHECK ((target = 'custom') = (api_base IS NOT NULL AND token_url IS NOT NULL))
);

CREATE TABLE sessions (
    -- SHA-256 of the `internalTokenKey`.
    key_hash           TEXT   NOT NULL PRIMARY KEY,
    tenant_id          TEXT   NOT NULL,
    customer_id        TEXT   NOT NULL,
    -- NULL for a machine (`client_credentials`).
    username           TEXT,
    account_type       TEXT   NOT NULL CHECK (account_type IN ('b2b', 'b2c')),
    scope              TEXT   NOT NULL,
    family_id          TEXT   NOT NULL,
    created_at         BIGINT NOT NULL,
    access_expires_at  BIGINT NOT NULL,
    access_lifetime_ns BIGINT NOT NULL,
    session_expires_at BIGINT NOT NULL,
    revoked_at         BIGINT,
    -- How the person proved who they are (space-separated RFC 8176 names) and when.
    amr                TEXT,
    auth_time          BIGINT,
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, username) REFERENCES users (tenant_id, username)
);

CREATE INDEX sessions_by_family ON sessions (family_id);
CREATE INDEX sessions_by_tenant ON sessions (tenant_id, session_expires_at);

CREATE TABLE refresh_tokens (
    hash             TEXT   NOT NULL PRIMARY KEY,
    family_id        TEXT   NOT NULL,
    tenant_id        TEXT   NOT NULL,
    customer_id      TEXT   NOT NULL,
    username         TEXT,
    session_key_hash TEXT   NOT NULL,
    expires_at       BIGINT NOT NULL,
    used_at          BIGINT,
    -- The sealed pair its exchange produced, kept for the grace window.
    successor        BYTEA,
    revoked_at       BIGINT,
    amr              TEXT,
    auth_time        BIGINT,
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, username) REFERENCES users (tenant_id, username)
);

CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);

CREATE TABLE login_failures (
    tenant_id    TEXT   NOT NULL,
    username     TEXT   NOT NULL,
    count        BIGINT NOT NULL CHECK (count >= 1),
    last_failure BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, username)
);

CREATE TABLE audit_events (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                 BIGINT NOT NULL,
    request_id         TEXT   NOT NULL,
    action             TEXT   NOT NULL,
    -- 'success', or 'failure' with the error code the caller got in `error`.
    outcome            TEXT   NOT NULL CHECK (outcome IN ('success', 'failure')),
    error              TEXT,
    tenant             TEXT,
    customer           TEXT,
    username           TEXT,
    peer_addr          TEXT   NOT NULL,
    client_addr        TEXT   NOT NULL,
    forwarded_for      TEXT,
    user_agent         TEXT,
    platform           TEXT,
    client_certificate TEXT,
    actor              TEXT,
    sessions_ended     BIGINT CHECK (sessions_ended >= 0),
    CHECK ((outcome = 'failure') = (error IS NOT NULL))
);

CREATE INDEX audit_events_by_time ON audit_events (at);

CREATE TABLE certificate_bindings (
    tenant_id   TEXT   NOT NULL,
    customer_id TEXT   NOT NULL,
    kind        TEXT   NOT NULL CHECK (kind IN ('fingerprint', 'subject_pattern')),
    value       TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, kind, value),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);

CREATE TABLE totp_factors (
    tenant_id      TEXT   NOT NULL,
    username       TEXT   NOT NULL,
    id             TEXT   NOT NULL,
    -- AES-256-GCM of the secret, associated data tenant|user|factor id.
    sealed_secret  BYTEA  NOT NULL,
    created_at     BIGINT NOT NULL,
    -- NULL while pending.
    confirmed_at   BIGINT,
    -- The end of a pending factor; NULL once active.
    expires_at     BIGINT,
    -- The last step whose code was accepted; raised by compare-and-set, never accepted again.
    last_used_step BIGINT CHECK (last_used_step >= 0),
    PRIMARY KEY (tenant_id, username, id),
    FOREIGN KEY (tenant_id, username) REFERENCES users (tenant_id, username),
    CHECK ((confirmed_at IS NULL) <> (expires_at IS NULL))
);
CREATE UNIQUE INDEX totp_factors_one_active
    ON totp_factors (tenant_id, username) WHERE confirmed_at IS NOT NULL;
CREATE UNIQUE INDEX totp_factors_one_pending
    ON totp_factors (tenant_id, username) WHERE confirmed_at IS NULL;

CREATE TABLE recovery_codes (
    tenant_id  TEXT NOT NULL,
    username   TEXT NOT NULL,
    -- SHA-256 of the code's normal form, hex.
    code_hash  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, username, code_hash),
    FOREIGN KEY (tenant_id, username) REFERENCES users (tenant_id, username)
);

CREATE TABLE mfa_failures (
    tenant_id    TEXT   NOT NULL,
    username     TEXT   NOT NULL,
    count        BIGINT NOT NULL CHECK (count >= 1),
    last_failure BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, username)
);

CREATE TABLE spent_enrollment_tokens (
    token_id   TEXT   NOT NULL PRIMARY KEY,
    tenant_id  TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE traqs_credentials (
    tenant_id    TEXT   NOT NULL REFERENCES tenants (id),
    environment  TEXT   NOT NULL CHECK (environment IN ('production', 'ntf')),
    username     TEXT   NOT NULL,
    sealed_token BYTEA  NOT NULL,
    expires_at   BIGINT,
    -- The TRAQS host, when not the environment's own. NULL: the environment's host.
    base_url     TEXT,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, environment)
);
