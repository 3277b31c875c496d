-- Audit records: append-only, hash-chained per session (docs/audit.md). Statement text is stored only
-- normalised (literals replaced); raw SQL never lands here. Idempotent: runs at every start when changed.

-- The walking skeleton's table had no chain; it is kept aside, never mixed with chained rows.
DO $$
BEGIN
    IF to_regclass('orleansgate_audit') IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_schema = current_schema() AND table_name = 'orleansgate_audit' AND column_name = 'session_seq') THEN
        ALTER TABLE orleansgate_audit RENAME TO orleansgate_audit_unchained;
        ALTER INDEX IF EXISTS orleansgate_audit_session_idx RENAME TO orleansgate_audit_unchained_session_idx;
    END IF;
END
$$;

CREATE SEQUENCE IF NOT EXISTS orleansgate_audit_seq;

CREATE TABLE IF NOT EXISTS orleansgate_audit
(
    -- Assigned by the insert itself, so a batch is one statement (one round trip) and needs no reservation.
    seq                   bigint      NOT NULL DEFAULT nextval('orleansgate_audit_seq') PRIMARY KEY,
    writer                text        NOT NULL,
    at                    timestamptz NOT NULL,
    kind                  text        NOT NULL,
    issuer                text        NOT NULL,
    subject               text        NOT NULL,
    token_id              text        NULL,
    groups                text        NOT NULL,
    session_id            text        NOT NULL,
    session_seq           bigint      NOT NULL,
    edge_node             text        NOT NULL,
    client_address        text        NOT NULL,
    target                text        NOT NULL,
    protocol              text        NOT NULL,
    statement_fingerprint text        NULL,
    statement_normalized  text        NULL,
    statement_kinds       text        NULL,
    relations_read        text        NOT NULL,
    relations_written     text        NOT NULL,
    decision              text        NULL,
    rule                  text        NULL,
    reason                text        NULL,
    policy_version        bigint      NULL,
    approval_id           text        NULL,
    approver              text        NULL,
    masked_columns        text        NOT NULL,
    rows_affected         bigint      NULL,
    duration_us           bigint      NULL,
    outcome               text        NULL,
    prev_hash             text        NOT NULL,
    hash                  text        NOT NULL,
    -- A chain cannot fork: two records with one number in one session are refused by the database.
    CONSTRAINT orleansgate_audit_chain_uq UNIQUE (session_id, session_seq)
);

ALTER SEQUENCE orleansgate_audit_seq OWNED BY orleansgate_audit.seq;
-- A completion record (rows, duration, outcome) names the statement record of its session that it completes.
ALTER TABLE orleansgate_audit ADD COLUMN IF NOT EXISTS completes_seq bigint NULL;
-- Lists are JSON arrays kept as text: stored and hashed exactly as written, no jsonb parsing on the hot path.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'orleansgate_audit'
               AND column_name = 'groups' AND data_type = 'jsonb') THEN
        ALTER TABLE orleansgate_audit ALTER COLUMN groups TYPE text, ALTER COLUMN relations_read TYPE text,
            ALTER COLUMN relations_written TYPE text, ALTER COLUMN masked_columns TYPE text;
    END IF;
END
$$;

-- Checkpoints scan by seq range (primary key) and filter by writer: no second index to maintain per insert.
DROP INDEX IF EXISTS orleansgate_audit_writer_idx;

-- Signed checkpoints: per writer, over the rows it wrote since its previous checkpoint (docs/audit.md).
CREATE TABLE IF NOT EXISTS orleansgate_audit_checkpoint
(
    writer      text        NOT NULL,
    number      bigint      NOT NULL,
    at          timestamptz NOT NULL,
    first_seq   bigint      NOT NULL,
    last_seq    bigint      NOT NULL,
    row_count   bigint      NOT NULL,
    prev_hash   text        NOT NULL,
    hash        text        NOT NULL,
    mac         text        NOT NULL,
    PRIMARY KEY (writer, number)
);

-- Append-only: the gateway's role may insert and read, never change or remove. A superuser or the table owner
-- can still disable this trigger; that is why rows are hash-chained and checkpoints are signed and kept outside.
CREATE OR REPLACE FUNCTION orleansgate_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = '42501';
END
$$;

DROP TRIGGER IF EXISTS orleansgate_audit_no_change ON orleansgate_audit;
CREATE TRIGGER orleansgate_audit_no_change BEFORE UPDATE OR DELETE ON orleansgate_audit
    FOR EACH ROW EXECUTE FUNCTION orleansgate_audit_append_only();
DROP TRIGGER IF EXISTS orleansgate_audit_no_truncate ON orleansgate_audit;
CREATE TRIGGER orleansgate_audit_no_truncate BEFORE TRUNCATE ON orleansgate_audit
    FOR EACH STATEMENT EXECUTE FUNCTION orleansgate_audit_append_only();
DROP TRIGGER IF EXISTS orleansgate_audit_checkpoint_no_change ON orleansgate_audit_checkpoint;
CREATE TRIGGER orleansgate_audit_checkpoint_no_change BEFORE UPDATE OR DELETE ON orleansgate_audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION orleansgate_audit_append_only();
DROP TRIGGER IF EXISTS orleansgate_audit_checkpoint_no_truncate ON orleansgate_audit_checkpoint;
CREATE TRIGGER orleansgate_audit_checkpoint_no_truncate BEFORE TRUNCATE ON orleansgate_audit_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION orleansgate_audit_append_only();

-- Privileges too, for the role that runs the gateway (also the owner in a single-role setup) and everyone else.
REVOKE UPDATE, DELETE, TRUNCATE ON orleansgate_audit, orleansgate_audit_checkpoint FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON orleansgate_audit, orleansgate_audit_checkpoint FROM %I', current_user);
END
$$;
