-- Ended sessions and refresh tokens are deleted in batches (see the housekeeping purge); each
-- batch finds its rows by their end.
CREATE INDEX sessions_by_end ON sessions (session_expires_at);
CREATE INDEX refresh_tokens_by_end ON refresh_tokens (expires_at);
