-- Changes other instances must see at once, announced on the channel `finhub_changes` from the
-- transaction that makes them (PostgreSQL delivers a notification only when that transaction
-- commits): a session revoked (`session:<key hash>`) and a tenant changed (`tenant:<id>`).
CREATE FUNCTION finhub_notify_session_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('finhub_changes', 'session:' || NEW.key_hash);
    RETURN NULL;
END
$$;

CREATE TRIGGER sessions_revoked
    AFTER UPDATE OF revoked_at ON sessions
    FOR EACH ROW
    WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION finhub_notify_session_revoked();

CREATE FUNCTION finhub_notify_tenant_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('finhub_changes', 'tenant:' || NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER tenants_changed
    AFTER UPDATE ON tenants
    FOR EACH ROW
    EXECUTE FUNCTION finhub_notify_tenant_changed();
