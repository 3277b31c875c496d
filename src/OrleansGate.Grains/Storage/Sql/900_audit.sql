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

-- Audit rows written before records were signed by their writer (HMAC checkpoints, no writer sequence) cannot be
-- verified by this version: that table and its checkpoints are kept aside, never mixed with signed rows.
DO $$
BEGIN
    IF to_regclass('orleansgate_audit') IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_schema = current_schema() AND table_name = 'orleansgate_audit' AND column_name = 'writer_seq') THEN
        ALTER TABLE orleansgate_audit RENAME TO orleansgate_audit_hmac;
        ALTER INDEX IF EXISTS orleansgate_audit_pkey RENAME TO orleansgate_audit_hmac_pkey;
        ALTER INDEX IF EXISTS orleansgate_audit_chain_uq RENAME TO orleansgate_audit_hmac_chain_uq;
        ALTER SEQUENCE IF EXISTS orleansgate_audit_seq RENAME TO orleansgate_audit_hmac_seq;
        IF to_regclass('orleansgate_audit_checkpoint') IS NOT NULL THEN
            ALTER TABLE orleansgate_audit_checkpoint RENAME TO orleansgate_audit_hmac_checkpoint;
            ALTER INDEX IF EXISTS orleansgate_audit_checkpoint_pkey RENAME TO orleansgate_audit_hmac_checkpoint_pkey;
        END IF;
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
    -- The writer's own gap-free sequence (1, 2, 3 …): its signatures cover a running digest over its rows in this order.
    writer_seq            bigint      NOT NULL,
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

-- Signatures: each writer signs (ECDSA P-256, a key the database never sees) a running digest over exactly the rows it
-- appended, in writer_seq order: a start, then at short intervals, then an end; a live node seals a dead writer.
-- The same lines go to the append-only checkpoint file outside the database (docs/audit.md).
CREATE TABLE IF NOT EXISTS orleansgate_audit_signature
(
    writer     text        NOT NULL,
    number     bigint      NOT NULL,
    kind       text        NOT NULL,
    at         timestamptz NOT NULL,
    writer_seq bigint      NOT NULL,
    digest     text        NOT NULL,
    key_id     text        NOT NULL,
    signer     text        NOT NULL,
    detail     text        NOT NULL,
    signature  text        NOT NULL,
    PRIMARY KEY (writer, number)
);

-- Append-only: the gateway's role may insert and read, never change or remove. A superuser or the table owner
-- can still disable this trigger; that is why rows are signed by their writer and the signatures are kept outside too.
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
DROP TRIGGER IF EXISTS orleansgate_audit_signature_no_change ON orleansgate_audit_signature;
CREATE TRIGGER orleansgate_audit_signature_no_change BEFORE UPDATE OR DELETE ON orleansgate_audit_signature
    FOR EACH ROW EXECUTE FUNCTION orleansgate_audit_append_only();
DROP TRIGGER IF EXISTS orleansgate_audit_signature_no_truncate ON orleansgate_audit_signature;
CREATE TRIGGER orleansgate_audit_signature_no_truncate BEFORE TRUNCATE ON orleansgate_audit_signature
    FOR EACH STATEMENT EXECUTE FUNCTION orleansgate_audit_append_only();

-- Privileges too, for the role that runs the gateway (also the owner in a single-role setup) and everyone else.
REVOKE UPDATE, DELETE, TRUNCATE ON orleansgate_audit, orleansgate_audit_signature FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON orleansgate_audit, orleansgate_audit_signature FROM %I', current_user);
END
$$;

-- Sealers look for writers that started and neither ended nor were sealed: those rows are few (per process, not per tick).
CREATE INDEX IF NOT EXISTS orleansgate_audit_signature_life_idx ON orleansgate_audit_signature (writer) WHERE kind IN ('start', 'end', 'seal');
