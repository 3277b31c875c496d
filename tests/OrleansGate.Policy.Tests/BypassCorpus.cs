using OrleansGate.Policy.Classification;
using G = OrleansGate.Policy.Classification.DangerousFunctionGroups;
using K = OrleansGate.Model.StatementKind;

namespace OrleansGate.Policy.Tests;

/// <summary>
/// Statements that regex and first-keyword guards let through as reads. Each row: the text, a kind it
/// must carry, and the dangerous group it must report (or null).
/// </summary>
internal static class BypassCorpus
{
    public static TheoryData<string, StatementKind, string?> Statements { get; } = new()
    {
        // Multi-statement strings: every statement counts.
        { "SELECT 1; DROP TABLE t", K.Ddl, null },
        { "select 1;delete from t", K.Write, null },
        { "SELECT 1; SET ROLE postgres", K.RoleChange, null },
        { "SELECT * FROM t; COMMIT; DROP TABLE t", K.Ddl, null },
        { "COPY t TO STDOUT; DELETE FROM t", K.Write, null },

        // DML nested in CTEs and set operations.
        { "WITH x AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM x", K.Write, null },
        { "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", K.Write, null },
        { "WITH i AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM i", K.Write, null },
        { "WITH a AS (SELECT 1), b AS (DELETE FROM t RETURNING 1) SELECT * FROM a", K.Write, null },
        { "SELECT * FROM (WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d) s", K.Write, null },
        { "(WITH d AS (DELETE FROM t RETURNING 1) SELECT * FROM d) UNION SELECT 2", K.Write, null },

        // EXPLAIN ANALYZE runs the statement.
        { "EXPLAIN ANALYZE DELETE FROM t", K.Write, null },
        { "EXPLAIN (ANALYZE true) DELETE FROM t", K.Write, null },
        { "EXPLAIN (ANALYZE 1, FORMAT JSON) UPDATE t SET a = 1", K.Write, null },
        { "EXPLAIN (ANALYZE on) INSERT INTO t VALUES (1)", K.Write, null },
        { "EXPLAIN (ANALYZE, ANALYZE false) DELETE FROM t", K.Write, null },
        { "EXPLAIN ANALYZE WITH d AS (DELETE FROM t RETURNING 1) SELECT * FROM d", K.Write, null },

        // COPY.
        { "COPY (DELETE FROM t RETURNING *) TO STDOUT", K.Write, null },
        { "COPY (UPDATE t SET a = 1 RETURNING *) TO STDOUT", K.Write, null },
        { "COPY t FROM STDIN", K.Write, null },
        { "COPY t TO '/tmp/out.csv'", K.Admin, G.FileAccess },
        { "COPY t FROM '/etc/passwd'", K.Admin, G.FileAccess },
        { "COPY (SELECT 1) TO PROGRAM 'curl http://example.invalid'", K.Admin, G.Program },
        { "COPY t FROM PROGRAM 'id'", K.Admin, G.Program },

        // Dangerous functions, including hidden by quoting, schema or Unicode escapes.
        { "SELECT dblink_exec('dbname=postgres', 'DROP TABLE t')", K.Procedural, G.Dblink },
        { "SELECT * FROM dblink('host=example.invalid', 'SELECT 1') AS x(a int)", K.Procedural, G.Dblink },
        { "SELECT public.dblink_connect('c', 'dbname=postgres')", K.Admin, G.Dblink },
        { "SELECT pg_read_file('/etc/passwd')", K.Admin, G.FileAccess },
        { "SELECT pg_catalog.pg_read_binary_file('/etc/shadow')", K.Admin, G.FileAccess },
        { "SELECT \"pg_read_file\"('/etc/passwd')", K.Admin, G.FileAccess },
        { "SELECT U&\"pg\\005fread\\005ffile\"('/etc/passwd')", K.Admin, G.FileAccess },
        { "SELECT * FROM pg_ls_dir('.')", K.Admin, G.FileAccess },
        { "SELECT lo_import('/etc/passwd')", K.Admin, G.FileAccess },
        { "SELECT lo_export(16401, '/tmp/x')", K.Admin, G.FileAccess },
        { "SELECT lo_create(0)", K.Write, G.LargeObjects },
        { "SELECT lo_get(16401)", K.Write, G.LargeObjects },
        { "SELECT pg_terminate_backend(1234)", K.Admin, G.Signal },
        { "SELECT pg_cancel_backend(pid) FROM pg_stat_activity", K.Admin, G.Signal },
        { "SELECT pg_reload_conf()", K.Admin, G.Signal },
        { "SELECT query_to_xml('DELETE FROM t RETURNING 1', true, false, '')", K.Procedural, G.DynamicSql },
        { "SELECT table_to_xml('secrets', true, false, '')", K.Procedural, G.DynamicSql },
        { "SELECT pg_switch_wal()", K.Admin, G.Admin },
        { "SELECT count(*) FROM t WHERE pg_read_file('/etc/passwd') IS NOT NULL", K.Admin, G.FileAccess },
        // Planning alone does not run it, but the group is still reported: a policy refusing the group refuses this too.
        { "EXPLAIN SELECT pg_read_file('/etc/passwd')", K.Read, G.FileAccess },

        // Role and session identity.
        { "SELECT set_config('role', 'postgres', false)", K.RoleChange, G.Config },
        { "SELECT pg_catalog.set_config('session_authorization', 'postgres', false)", K.RoleChange, G.Config },
        { "SELECT set_config('search_path', 'evil', true)", K.RoleChange, G.Config },
        { "SET ROLE postgres", K.RoleChange, null },
        { "SET SESSION AUTHORIZATION postgres", K.RoleChange, null },
        { "RESET ROLE", K.RoleChange, null },
        { "RESET ALL", K.RoleChange, null },
        { "SET role = 'postgres'", K.RoleChange, null },
        { "SET LOCAL ROLE postgres", K.RoleChange, null },
        { "DISCARD ALL", K.RoleChange, null },
        { "UPDATE pg_settings SET setting = 'postgres' WHERE name = 'role'", K.RoleChange, null },

        // Procedural: the classifier cannot see what runs.
        { "DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$", K.Procedural, null },
        { "DO LANGUAGE plpgsql 'BEGIN NULL; END'", K.Procedural, null },
        { "CALL cleanup()", K.Procedural, null },
        { "PREPARE p AS DELETE FROM t; EXECUTE p", K.Write, null },
        { "EXECUTE p", K.Procedural, null },
        { "PREPARE q AS SELECT 1", K.Procedural, null },
        { "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'DELETE FROM t RETURNING 1'", K.Procedural, null },
        { "CREATE OR REPLACE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN END $$", K.Ddl, null },

        // Transactions, locks, administration.
        { "BEGIN", K.Transaction, null },
        { "ROLLBACK", K.Transaction, null },
        { "PREPARE TRANSACTION 'x'", K.Admin, null },
        { "LOCK TABLE t IN ACCESS EXCLUSIVE MODE", K.Lock, null },
        { "SELECT * FROM t FOR UPDATE", K.Lock, null },
        { "SELECT * FROM t FOR SHARE SKIP LOCKED", K.Lock, null },
        { "DECLARE c CURSOR FOR SELECT * FROM t FOR UPDATE", K.Lock, null },
        { "SELECT pg_advisory_lock(1)", K.Lock, null },
        { "VACUUM FULL t", K.Admin, null },
        { "ANALYZE t", K.Admin, null },
        { "ALTER SYSTEM SET log_statement = 'none'", K.Admin, null },
        { "LOAD 'auto_explain'", K.Admin, null },
        { "CHECKPOINT", K.Admin, null },
        { "CREATE EXTENSION dblink", K.Admin, null },
        { "SET session_replication_role = replica", K.Admin, null },

        // Privileges.
        { "GRANT ALL ON t TO PUBLIC", K.Privilege, null },
        { "REVOKE SELECT ON t FROM bob", K.Privilege, null },
        { "ALTER ROLE bob SUPERUSER", K.Privilege, null },
        { "CREATE ROLE eve LOGIN PASSWORD 'x'", K.Privilege, null },
        { "ALTER TABLE t OWNER TO eve", K.Privilege, null },
        { "ALTER TABLE t DISABLE ROW LEVEL SECURITY", K.Privilege, null },
        { "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO eve", K.Privilege, null },

        // Writes that do not start with a write keyword, and DDL.
        { "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", K.Write, null },
        { "INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET id = excluded.id", K.Write, null },
        { "TRUNCATE t", K.Write, null },
        { "NOTIFY ch, 'x'", K.Write, null },
        { "SELECT pg_notify('ch', 'x')", K.Write, null },
        { "SELECT nextval('s')", K.Write, null },
        { "SELECT setval('s', 1)", K.Write, null },
        { "SELECT * INTO x FROM t", K.Write, null },
        { "CREATE TABLE x AS SELECT * FROM t", K.Ddl, null },
        { "CREATE TEMP TABLE x (a int)", K.Ddl, null },
        { "CREATE MATERIALIZED VIEW mv AS SELECT 1", K.Ddl, null },
        { "REFRESH MATERIALIZED VIEW mv", K.Write, null },
        { "CREATE RULE r AS ON INSERT TO t DO INSTEAD DELETE FROM u", K.Ddl, null },
        { "LISTEN ch", K.Session, null },
        { "DISCARD PLANS", K.Session, null },
        { "SET search_path = evil, public", K.Session, null },

        // Settings that change how the target reads statement text (refused by the gateway's lexical-settings guard).
        { "SET client_encoding = 'SJIS'", K.Session, null },
        { "SET NAMES 'BIG5'", K.Session, null },
        { "SET LOCAL standard_conforming_strings = off", K.Admin, null },
        { "SELECT set_config('client_encoding', 'GBK', false)", K.RoleChange, G.Config },
        { "SELECT 1; SET client_encoding TO 'UHC'", K.Session, null },

        // Lexical tricks: dollar quoting, nested comments, case and whitespace.
        { "SELECT $a$ ; $a$; DELETE FROM t", K.Write, null },
        { "SELECT $$x$$; DROP TABLE t --", K.Ddl, null },
        { "/* /* nested */ still a comment */ DELETE FROM t", K.Write, null },
        { "SELECT 1 /* outer /* inner */ ; DROP TABLE u */ ; DELETE FROM t", K.Write, null },
        { "-- just a comment\nDELETE FROM t", K.Write, null },
        { "dElEtE\tFROM\n t", K.Write, null },
        { "\n\n   UpDaTe t SET a=1", K.Write, null },
        // With standard_conforming_strings on (the parser's and the server's default) a backslash does
        // not escape the quote, so the DROP is a statement of its own.
        { "SELECT '\\'; DROP TABLE t; --'", K.Ddl, null },
        { "SET standard_conforming_strings = off", K.Admin, null },
    };
}
