-- What the gateway's runtime role may do in this database (docs/audit.md, "Privileges").
--
-- Run by `orleansgate schema apply`, as the schema owner, after every schema script and in the same
-- transaction; the role's name arrives in the transaction-local setting orleansgate.runtime_role and is only
-- ever formatted with %I. It is not one of the recorded Sql/ scripts: it runs on every apply, so a table that a
-- later script adds is covered by its name alone, and every run starts from nothing (REVOKE ALL), so a
-- privilege removed here is removed in every database on the next apply.
--
--   tables orleansgate_audit*                     SELECT, INSERT        records are appended and read back, never changed
--   sequences orleansgate_audit*                  USAGE                 nextval for the seq default; setval needs UPDATE
--   orleansquery, orleansgate_schema_version      SELECT                the providers' query texts and the installed
--                                                                       version are the owner's to change
--   other orleansgate_* tables                    SELECT, INSERT, UPDATE, DELETE   membership, grain state, reminders
--   other orleansgate_* sequences                 USAGE
--   orleansgate_* functions                       EXECUTE
--
-- Ownership stays with the owner: ALTER (DISABLE TRIGGER, OWNER TO), DROP and TRUNCATE need it or are not
-- granted, and session_replication_role needs a superuser.
DO $grant$
DECLARE
    runtime constant text := current_setting('orleansgate.runtime_role');
    schema_oid constant oid := (SELECT oid FROM pg_namespace WHERE nspname = current_schema());
    rel record;
    fn record;
BEGIN
    -- CONNECT and USAGE are PUBLIC's by default; granted explicitly when this role may, so a database or schema
    -- that revoked them from PUBLIC still admits the gateway.
    IF pg_has_role(current_user, (SELECT datdba FROM pg_database WHERE datname = current_database()), 'USAGE') THEN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), runtime);
    END IF;

    IF pg_has_role(current_user, (SELECT nspowner FROM pg_namespace WHERE oid = schema_oid), 'USAGE') THEN
        EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM %I', current_schema(), runtime);
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), runtime);
    END IF;

    FOR rel IN
        SELECT c.relname::text AS name, c.relkind AS kind
          FROM pg_class c
         WHERE c.relnamespace = schema_oid
           AND c.relkind IN ('r', 'p', 'S')
           AND (starts_with(c.relname::text, 'orleansgate') OR c.relname = 'orleansquery')
         ORDER BY 1
    LOOP
        IF rel.kind = 'S' THEN
            EXECUTE format('REVOKE ALL ON SEQUENCE %I FROM %I', rel.name, runtime);
            EXECUTE format('GRANT USAGE ON SEQUENCE %I TO %I', rel.name, runtime);
        ELSE
            EXECUTE format('REVOKE ALL ON TABLE %I FROM %I', rel.name, runtime);
            EXECUTE format('GRANT %s ON TABLE %I TO %I',
                CASE
                    WHEN starts_with(rel.name, 'orleansgate_audit') THEN 'SELECT, INSERT'
                    WHEN rel.name IN ('orleansquery', 'orleansgate_schema_version') THEN 'SELECT'
                    ELSE 'SELECT, INSERT, UPDATE, DELETE'
                END,
                rel.name, runtime);
        END IF;
    END LOOP;

    -- regprocedure prints a quoted, argument-typed signature: the one way to name an overloaded function.
    FOR fn IN
        SELECT p.oid::regprocedure AS signature
          FROM pg_proc p
         WHERE p.pronamespace = schema_oid AND starts_with(p.proname::text, 'orleansgate')
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', fn.signature, runtime);
    END LOOP;
END
$grant$;
