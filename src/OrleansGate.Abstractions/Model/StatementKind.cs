namespace OrleansGate.Model;

/// <summary>
/// What a statement can do, as flags: a statement (or a multi-statement string) carries every kind
/// that any of its parts has, so a policy decides by the worst effect. A read-only rule should
/// allow a statement only when its kinds are exactly <see cref="Read"/> (see
/// <see cref="SqlAction.IsPureRead"/>).
/// </summary>
[Flags]
public enum StatementKind
{
    /// <summary>No statement at all (empty or comment-only text).</summary>
    None = 0,

    /// <summary>Reads data or metadata: SELECT, VALUES, TABLE, SHOW, FETCH, EXPLAIN without ANALYZE, COPY … TO STDOUT.</summary>
    Read = 1 << 0,

    /// <summary>
    /// Changes rows or other shared state: INSERT, UPDATE, DELETE, MERGE, TRUNCATE, COPY … FROM,
    /// SELECT … INTO, REFRESH MATERIALIZED VIEW, NOTIFY / pg_notify, nextval / setval, large-object writes.
    /// </summary>
    Write = 1 << 1,

    /// <summary>Creates, alters or drops schema objects (including temporary tables).</summary>
    Ddl = 1 << 2,

    /// <summary>Changes who may do what: GRANT/REVOKE, roles, ownership, row-level security, user mappings.</summary>
    Privilege = 1 << 3,

    /// <summary>
    /// Changes the identity the session acts as: SET ROLE, SET SESSION AUTHORIZATION, RESET ROLE,
    /// RESET ALL, DISCARD ALL, any set_config() call, and UPDATE of pg_settings.
    /// </summary>
    RoleChange = 1 << 4,

    /// <summary>
    /// Runs code the classifier cannot see: DO, CALL, PREPARE/EXECUTE, CREATE FUNCTION, and functions
    /// that execute SQL text (query_to_xml, dblink…). Treat as opaque.
    /// </summary>
    Procedural = 1 << 5,

    /// <summary>BEGIN, COMMIT, ROLLBACK, SAVEPOINT, SET TRANSACTION, SET CONSTRAINTS, two-phase commit.</summary>
    Transaction = 1 << 6,

    /// <summary>
    /// Server administration: VACUUM, ANALYZE, CLUSTER, REINDEX, CHECKPOINT, LOAD, ALTER SYSTEM, databases,
    /// tablespaces, extensions, replication, server file access, COPY to/from a server file or PROGRAM,
    /// backend signalling.
    /// </summary>
    Admin = 1 << 7,

    /// <summary>Session state other than identity: SET/RESET of settings, DISCARD, LISTEN/UNLISTEN, DEALLOCATE, CLOSE.</summary>
    Session = 1 << 8,

    /// <summary>Takes locks that block other sessions: LOCK TABLE, SELECT … FOR UPDATE/SHARE, advisory locks.</summary>
    Lock = 1 << 9,

    /// <summary>
    /// Not recognised, or not parsed: the most restrictive bucket. Never allow it in a rule that is not
    /// meant to allow everything.
    /// </summary>
    Other = 1 << 10,
}
