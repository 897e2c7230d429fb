-- The second factor: each tenant's policy, users' TOTP factors (secrets sealed with the data key),
-- recovery codes (hashes only) and consecutive second-factor failures (apart from passwords').

-- NULL: the profile's default (optional in integration, required in production).
ALTER TABLE tenants ADD COLUMN mfa_policy TEXT CHECK (mfa_policy IN ('off', 'optional', 'required'));

-- At most one active and one pending factor per user. A pending factor expires; confirming it
-- makes it the user's only active one.
CREATE TABLE totp_factors (
    tenant_id      TEXT    NOT NULL,
    username       TEXT    NOT NULL,
    id             TEXT    NOT NULL,
    -- AES-256-GCM of the secret, associated data tenant|user|factor id.
    sealed_secret  BLOB    NOT NULL,
    created_at     INTEGER NOT NULL,
    -- NULL while pending.
    confirmed_at   INTEGER,
    -- The end of a pending factor; NULL once active.
    expires_at     INTEGER,
    -- The last step whose code was accepted; raised by compare-and-set, never accepted again.
    last_used_step INTEGER CHECK (last_used_step >= 0),
    PRIMARY KEY (tenant_id, username, id),
    FOREIGN KEY (tenant_id, username) REFERENCES users (tenant_id, username),
    CHECK ((confirmed_at IS NULL) <> (expires_at IS NULL))
) STRICT;
CREATE UNIQUE INDEX totp_factors_one_active
    ON totp_factors (tenant_id, username) WHERE confirmed_at IS NOT NULL;
CREATE UNIQUE INDEX totp_factors_one_pending
    ON totp_factors (tenant_id, username) WHERE confirmed_at IS NULL;

-- A user's current batch of recovery codes; a used code is deleted.
CREATE TABLE recovery_codes (
    tenant_id  TEXT NOT NULL,
    username   TEXT NOT NULL,
    -- SHA-256 of the code's normal form, hex.
    code_hash  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, username, code_hash),
    FOREIGN KEY (tenant_id, username) REFERENCES users (tenant_id, username)
) STRICT;

-- Consecutive second-factor failures per user, across sessions and addresses.
CREATE TABLE mfa_failures (
    tenant_id    TEXT    NOT NULL,
    username     TEXT    NOT NULL,
    count        INTEGER NOT NULL CHECK (count >= 1),
    last_failure INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, username)
) STRICT;
