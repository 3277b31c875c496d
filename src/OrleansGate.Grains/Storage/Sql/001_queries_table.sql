-- The query catalogue of the Orleans ADO.NET providers.
--
-- Clustering, persistence and reminders each read it once at start with
--   SELECT QueryKey, QueryText FROM OrleansQuery
-- and then run only the texts they found, binding their own named parameters
-- (@DeploymentId, @GrainIdHash, @ServiceId ...). The table name and its two
-- columns are therefore fixed by that contract; the tables and functions the
-- texts point at (orleansgate_*) are ours.
--
-- Unquoted, so PostgreSQL folds the names to lower case on both sides.
CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL PRIMARY KEY,
    QueryText text        NOT NULL
);
