-- Client certificates bound to customers (mTLS, production profile), and the certificate each
-- audited request presented.
--
-- A binding recognises certificates either by the SHA-256 fingerprint of the leaf's DER
-- (`kind = 'fingerprint'`, `value` 64 lower-case hex digits) or by a subject pattern
-- (`kind = 'subject_pattern'`, `value` `cn:|dns:|email:|uri:` followed by a glob). A customer may
-- have several bindings; the same certificate may be bound to several customers.

CREATE TABLE certificate_bindings (
    tenant_id   TEXT    NOT NULL,
    customer_id TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('fingerprint', 'subject_pattern')),
    value       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, kind, value),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
) STRICT;

-- SHA-256 fingerprint (hex) of the client certificate the request's connection presented.
ALTER TABLE audit_events ADD COLUMN client_certificate TEXT;
