-- How a person proved who they are at login (`amr`, RFC 8176 names space-separated) and when
-- (`auth_time`, Unix nanoseconds), on sessions and on refresh tokens, so every session of a
-- refresh-token family keeps its login's. Both NULL for machines.
ALTER TABLE sessions ADD COLUMN amr TEXT;
ALTER TABLE sessions ADD COLUMN auth_time INTEGER;
ALTER TABLE refresh_tokens ADD COLUMN amr TEXT;
ALTER TABLE refresh_tokens ADD COLUMN auth_time INTEGER;

-- The issuing view and its trigger carry them too (one login: the same values on both rows).
DROP TRIGGER issue_session;
DROP VIEW issued_sessions;

CREATE VIEW issued_sessions AS
SELECT s.key_hash, s.tenant_id, s.customer_id, s.username, s.account_type, s.scope,
       s.family_id, s.created_at, s.access_expires_at, s.access_lifetime_ns,
       s.session_expires_at, s.revoked_at, s.amr, s.auth_time,
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
                          session_expires_at, revoked_at, amr, auth_time)
    VALUES (NEW.key_hash, NEW.tenant_id, NEW.customer_id, NEW.username, NEW.account_type,
            NEW.scope, NEW.family_id, NEW.created_at, NEW.access_expires_at,
            NEW.access_lifetime_ns, NEW.session_expires_at, NEW.revoked_at, NEW.amr,
            NEW.auth_time);
    INSERT INTO refresh_tokens (hash, family_id, tenant_id, customer_id, username,
                                session_key_hash, expires_at, used_at, successor, revoked_at,
                                amr, auth_time)
    VALUES (NEW.rt_hash, NEW.rt_family_id, NEW.rt_tenant_id, NEW.rt_customer_id,
            NEW.rt_username, NEW.key_hash, NEW.rt_expires_at, NEW.rt_used_at, NEW.rt_successor,
            NEW.rt_revoked_at, NEW.amr, NEW.auth_time);
END;
