-- Audit records (walking-skeleton shape; hash chaining, checkpoints and the no-update trigger come with the audit issue).
-- Statement text is stored only normalised (literals replaced); raw SQL never lands here.
CREATE SEQUENCE IF NOT EXISTS orleansgate_audit_seq;

CREATE TABLE IF NOT EXISTS orleansgate_audit
(
    seq                   bigint      NOT NULL PRIMARY KEY,
    at                    timestamptz NOT NULL,
    kind                  text        NOT NULL,
    issuer                text        NOT NULL,
    subject               text        NOT NULL,
    token_id              text        NULL,
    session_id            text        NOT NULL,
    edge_node             text        NOT NULL,
    client_address        text        NOT NULL,
    target                text        NOT NULL,
    protocol              text        NOT NULL,
    statement_fingerprint text        NULL,
    statement_normalized  text        NULL,
    decision              text        NULL,
    rule                  text        NULL,
    policy_version        bigint      NULL
);

CREATE INDEX IF NOT EXISTS orleansgate_audit_session_idx ON orleansgate_audit (session_id, seq);
