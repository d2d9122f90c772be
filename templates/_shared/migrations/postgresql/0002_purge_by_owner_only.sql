-- Audit records can no longer be deleted by whoever may set a session variable: 0001's
-- trigger let a DELETE through while audit.purge was 'on', which any role with DELETE
-- could set for itself. Now no setting lets one through. The purge command runs under the
-- tables' owner's credential and lifts audit_no_delete for its own transaction only
-- (ALTER TABLE, which only the owner may run); the service's own role is granted neither
-- DELETE nor UPDATE on the audit tables (`<name> migrate --app-role ROLE`).
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit records are append-only; the purge command removes records past retention';
    END IF;
    RAISE EXCEPTION 'audit records are append-only';
END
$$;
