-- What a person's sessions page shows: where each login came from (as the client described
-- itself) and when a request last used it (written at most once a minute).
ALTER TABLE sessions ADD COLUMN platform TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN address TEXT;
ALTER TABLE sessions ADD COLUMN last_used_at BIGINT;
CREATE INDEX sessions_by_user ON sessions (tenant_id, username, session_expires_at);

-- A user's role: 'user', or 'tenant-admin' (the tenant's users and audit trail in the portal).
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user'
    CHECK (role IN ('user', 'tenant-admin'));

-- A tenant's audit trail, filtered and paged newest first.
CREATE INDEX audit_events_by_tenant ON audit_events (tenant, id);
