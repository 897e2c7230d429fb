-- What a person's sessions page shows: where each login came from (as the client described
-- itself) and when a request last used it (written at most once a minute).
ALTER TABLE sessions ADD COLUMN platform TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN address TEXT;
ALTER TABLE sessions ADD COLUMN last_used_at INTEGER;
CREATE INDEX sessions_by_user ON sessions (tenant_id, username, session_expires_at);

-- A user's role: 'user', or 'tenant-admin' (the tenant's users and audit trail in the portal).
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user'
    CHECK (role IN ('user', 'tenant-admin'));

-- A tenant's audit trail, filtered and paged newest first.
CREATE INDEX audit_events_by_tenant ON audit_events (tenant, id);

-- The issuing view and its trigger carry the origin too.
DROP TRIGGER issue_session;
DROP VIEW issued_sessions;

CREATE VIEW issued_sessions AS
SELECT s.key_hash, s.tenant_id, s.customer_id, s.username, s.account_type, s.scope,
       s.family_id, s.created_at, s.access_expires_at, s.access_lifetime_ns,
       s.session_expires_at, s.revoked_at, s.amr, s.auth_time, s.platform, s.user_agent,
       s.address, s.last_used_at,
       r.hash AS rt_hash, r.family_id AS rt_family_id, r.tenant_id AS rt_tenant_id,
       r.customer_id AS rt_customer_id, r.username AS rt_username,
       r.expires_at AS rt_expires_at, r.used_at AS rt_used_at, r.successor AS rt_successor,
       r.revoked_at AS rt_revoked_at
FROM sessions AS s
JOIN refresh_tokens AS r ON r.session_key_hash = s.key_hash;

CREATE TRIGGER issue_session INSTEAD OF INSERT ON issued_sessions
BEGIN
    INSERT INTO sessions (key_hash, tenant_id, customer_id, username, account_type, scope,
                          family_id, created_at, access_expires_at, access_lifetime_ns,
                          session_expires_at, revoked_at, amr, auth_time, platform, user_agent,
                          address, last_used_at)
    VALUES (NEW.key_hash, NEW.tenant_id, NEW.customer_id, NEW.username, NEW.account_type,
            NEW.scope, NEW.family_id, NEW.created_at, NEW.access_expires_at,
            NEW.access_lifetime_ns, NEW.session_expires_at, NEW.revoked_at, NEW.amr,
            NEW.auth_time, NEW.platform, NEW.user_agent, NEW.address, NEW.last_used_at);
    INSERT INTO refresh_tokens (hash, family_id, tenant_id, customer_id, username,
                                session_key_hash, expires_at, used_at, successor, revoked_at,
                                amr, auth_time)
    VALUES (NEW.rt_hash, NEW.rt_family_id, NEW.rt_tenant_id, NEW.rt_customer_id,
            NEW.rt_username, NEW.key_hash, NEW.rt_expires_at, NEW.rt_used_at, NEW.rt_successor,
            NEW.rt_revoked_at, NEW.amr, NEW.auth_time);
END;
