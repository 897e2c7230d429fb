-- An administrator's actions in the audit log: who acted (the operating-system user running
-- `finhub admin`) and how many sessions the action ended. NULL for every other event.
ALTER TABLE audit_events ADD COLUMN actor TEXT;
ALTER TABLE audit_events ADD COLUMN sessions_ended INTEGER CHECK (sessions_ended >= 0);
