-- Enrolment tokens that have been used up: one confirmation each. A row outlives its token only
-- until the next token is spent (expired rows are deleted then).
CREATE TABLE spent_enrollment_tokens (
    token_id   TEXT    NOT NULL PRIMARY KEY,
    tenant_id  TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
