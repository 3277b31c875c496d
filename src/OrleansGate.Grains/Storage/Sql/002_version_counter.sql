-- Grain state and reminder rows carry an integer version that Orleans hands back
-- as the ETag and compares for equality only. A hot grain may write often enough
-- to reach the top of integer over the life of a deployment, so the counter wraps
-- to 1 instead of failing the write with "integer out of range".
-- (Membership versions are not wrapped: Orleans orders membership snapshots by
-- that number, and it only moves when a silo joins, leaves or is suspected.)
CREATE OR REPLACE FUNCTION orleansgate_next_version(current_version integer)
    RETURNS integer
    LANGUAGE sql
    IMMUTABLE
    STRICT
AS $fn$
    SELECT CASE WHEN current_version >= 2147483647 THEN 1 ELSE current_version + 1 END;
$fn$;
