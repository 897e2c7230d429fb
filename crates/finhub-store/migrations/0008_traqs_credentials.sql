-- Each tenant's TRAQS credential per environment: the username and the refresh token a person
-- minted (sealed with the data key, bound to tenant and environment) and, when known, its end.
CREATE TABLE traqs_credentials (
    tenant_id    TEXT    NOT NULL REFERENCES tenants (id),
    environment  TEXT    NOT NULL CHECK (environment IN ('production', 'ntf')),
    username     TEXT    NOT NULL,
    sealed_token BLOB    NOT NULL,
    expires_at   INTEGER,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, environment)
) STRICT;
