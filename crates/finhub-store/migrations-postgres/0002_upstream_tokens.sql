-- Upstream access tokens shared by the instances over this database: one row per tenant and
-- upstream, the token sealed with the data key (bound to tenant, upstream and credential), for
-- the credential whose hash `credential` is. Written by the instance that minted it under the
-- advisory lock the others wait on.
CREATE TABLE upstream_tokens (
    tenant_id    TEXT   NOT NULL REFERENCES tenants (id),
    kind         TEXT   NOT NULL,
    credential   TEXT   NOT NULL,
    sealed_token BYTEA  NOT NULL,
    expires_at   BIGINT NOT NULL,
    lifetime_ns  BIGINT NOT NULL CHECK (lifetime_ns > 0),
    PRIMARY KEY (tenant_id, kind)
);
