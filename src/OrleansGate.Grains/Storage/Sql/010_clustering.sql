-- Cluster membership (Microsoft.Orleans.Clustering.AdoNet).
--
-- Orleans calls the cluster id "DeploymentId". Each cluster has one version row;
-- every change to a member row bumps it in the same transaction, and writers
-- pass the version they last read (@Version). A writer whose version is stale
-- changes nothing and gets false back, re-reads the table and tries again: that
-- is how silos agree on who is alive without any lock held between calls.

CREATE TABLE IF NOT EXISTS orleansgate_cluster
(
    cluster_id varchar(150) NOT NULL PRIMARY KEY,
    version    integer      NOT NULL DEFAULT 0,
    changed_at timestamptz  NOT NULL DEFAULT now()
);

-- One row per silo incarnation: a restarted silo has a new generation, so a new row.
CREATE TABLE IF NOT EXISTS orleansgate_cluster_member
(
    cluster_id      varchar(150) NOT NULL REFERENCES orleansgate_cluster (cluster_id) ON DELETE CASCADE,
    address         varchar(45)  NOT NULL,
    port            integer      NOT NULL,
    generation      integer      NOT NULL,
    silo_name       text         NOT NULL,
    host_name       text         NOT NULL,
    -- Orleans SiloStatus: 1 Created, 2 Joining, 3 Active, 4 ShuttingDown, 5 Stopping, 6 Dead.
    status          integer      NOT NULL,
    -- Client gateway port; 0 when the silo accepts no clients.
    proxy_port      integer      NOT NULL DEFAULT 0,
    -- "silo,time|silo,time" votes of the silos that suspect this one, as Orleans formats them.
    suspect_times   text         NULL,
    start_time      timestamptz  NOT NULL,
    i_am_alive_time timestamptz  NOT NULL,
    PRIMARY KEY (cluster_id, address, port, generation)
);

-- Adds a silo if the caller's view of the table is current. The block's
-- subtransaction makes the version bump and the insert one unit: a duplicate
-- silo rolls the bump back as well.
CREATE OR REPLACE FUNCTION orleansgate_cluster_join(
    p_cluster_id       text,
    p_address          text,
    p_port             integer,
    p_generation       integer,
    p_silo_name        text,
    p_host_name        text,
    p_status           integer,
    p_proxy_port       integer,
    p_start_time       timestamptz,
    p_i_am_alive_time  timestamptz,
    p_expected_version integer)
    RETURNS boolean
    LANGUAGE plpgsql
AS $fn$
BEGIN
    -- The version row doubles as the lock: a concurrent writer holding the same
    -- expected version waits here, then sees the new version and matches nothing.
    UPDATE orleansgate_cluster
       SET version = version + 1, changed_at = now()
     WHERE cluster_id = p_cluster_id
       AND version = p_expected_version;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    INSERT INTO orleansgate_cluster_member
        (cluster_id, address, port, generation, silo_name, host_name, status, proxy_port,
         suspect_times, start_time, i_am_alive_time)
    VALUES
        (p_cluster_id, p_address, p_port, p_generation, coalesce(p_silo_name, ''), coalesce(p_host_name, ''),
         p_status, coalesce(p_proxy_port, 0), NULL, p_start_time, p_i_am_alive_time);
    RETURN true;
EXCEPTION
    WHEN unique_violation THEN
        RETURN false;
END
$fn$;

-- Changes a silo's status and suspicion votes under the same version check.
CREATE OR REPLACE FUNCTION orleansgate_cluster_update(
    p_cluster_id       text,
    p_address          text,
    p_port             integer,
    p_generation       integer,
    p_status           integer,
    p_suspect_times    text,
    p_i_am_alive_time  timestamptz,
    p_expected_version integer)
    RETURNS boolean
    LANGUAGE plpgsql
AS $fn$
BEGIN
    UPDATE orleansgate_cluster
       SET version = version + 1, changed_at = now()
     WHERE cluster_id = p_cluster_id
       AND version = p_expected_version;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleansgate_cluster_member
       SET status = p_status,
           suspect_times = p_suspect_times,
           i_am_alive_time = p_i_am_alive_time
     WHERE cluster_id = p_cluster_id
       AND address = p_address
       AND port = p_port
       AND generation = p_generation;
    IF NOT FOUND THEN
        -- Unknown silo: undo the version bump with the rest of the block.
        RAISE EXCEPTION USING ERRCODE = 'no_data_found';
    END IF;
    RETURN true;
EXCEPTION
    WHEN no_data_found THEN
        RETURN false;
END
$fn$;

-- Result columns are aliased to the names the provider reads (it looks them up
-- by name, case-insensitively): Address, Port, Generation, SiloName, HostName,
-- Status, ProxyPort, SuspectTimes, StartTime, IAmAliveTime and Version.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    -- Creates the cluster's version row on first start. Exactly one row back:
    -- true when this call created it.
    'InsertMembershipVersionKey', $q$
    WITH created AS (
        INSERT INTO orleansgate_cluster (cluster_id) VALUES (@DeploymentId)
        ON CONFLICT (cluster_id) DO NOTHING
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM created);
    $q$
),
(
    'InsertMembershipKey', $q$
    SELECT orleansgate_cluster_join(
        @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
        @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version);
    $q$
),
(
    'UpdateMembershipKey', $q$
    SELECT orleansgate_cluster_update(
        @DeploymentId, @Address, @Port, @Generation, @Status, @SuspectTimes,
        @IAmAliveTime, @Version);
    $q$
),
(
    -- Heartbeat: no version check and no version bump; Orleans does not expect it to fail.
    'UpdateIAmAlivetimeKey', $q$
    UPDATE orleansgate_cluster_member
       SET i_am_alive_time = @IAmAliveTime
     WHERE cluster_id = @DeploymentId
       AND address = @Address
       AND port = @Port
       AND generation = @Generation;
    $q$
),
(
    -- Starts from the version row so the version comes back even when the silo
    -- has no row yet (the member columns are then NULL, which Orleans reads as "absent").
    'MembershipReadRowKey', $q$
    SELECT c.version        AS Version,
           m.address        AS Address,
           m.port           AS Port,
           m.generation     AS Generation,
           m.silo_name      AS SiloName,
           m.host_name      AS HostName,
           m.status         AS Status,
           m.proxy_port     AS ProxyPort,
           m.suspect_times  AS SuspectTimes,
           m.start_time     AS StartTime,
           m.i_am_alive_time AS IAmAliveTime
      FROM orleansgate_cluster c
      LEFT JOIN orleansgate_cluster_member m
             ON m.cluster_id = c.cluster_id
            AND m.address = @Address
            AND m.port = @Port
            AND m.generation = @Generation
     WHERE c.cluster_id = @DeploymentId;
    $q$
),
(
    'MembershipReadAllKey', $q$
    SELECT c.version        AS Version,
           m.address        AS Address,
           m.port           AS Port,
           m.generation     AS Generation,
           m.silo_name      AS SiloName,
           m.host_name      AS HostName,
           m.status         AS Status,
           m.proxy_port     AS ProxyPort,
           m.suspect_times  AS SuspectTimes,
           m.start_time     AS StartTime,
           m.i_am_alive_time AS IAmAliveTime
      FROM orleansgate_cluster c
      LEFT JOIN orleansgate_cluster_member m ON m.cluster_id = c.cluster_id
     WHERE c.cluster_id = @DeploymentId;
    $q$
),
(
    -- Clients (and edges) find silos here; @Status is Active (3).
    'GatewaysQueryKey', $q$
    SELECT address    AS Address,
           proxy_port AS ProxyPort,
           generation AS Generation
      FROM orleansgate_cluster_member
     WHERE cluster_id = @DeploymentId
       AND status = @Status
       AND proxy_port > 0;
    $q$
),
(
    -- Members go with the cluster row (ON DELETE CASCADE).
    'DeleteMembershipTableEntriesKey', $q$
    DELETE FROM orleansgate_cluster WHERE cluster_id = @DeploymentId;
    $q$
),
(
    -- Fallback bulk cleanup, used only when CleanupDefunctSiloEntryKey is absent:
    -- dead silos whose start and last heartbeat are both older than the cutoff
    -- (@IAmAliveTime) and that nobody is still voting on.
    'CleanupDefunctSiloEntriesKey', $q$
    DELETE FROM orleansgate_cluster_member
     WHERE cluster_id = @DeploymentId
       AND status = 6
       AND i_am_alive_time < @IAmAliveTime
       AND start_time < @IAmAliveTime
       AND coalesce(suspect_times, '') = '';
    $q$
),
(
    -- Optional key, preferred by the provider when present: it decides in .NET which
    -- dead rows are old enough, then deletes each one only if the row still holds
    -- the values it read, so a row changed in the meantime survives.
    'CleanupDefunctSiloEntryKey', $q$
    DELETE FROM orleansgate_cluster_member
     WHERE cluster_id = @DeploymentId
       AND address = @Address
       AND port = @Port
       AND generation = @Generation
       AND status = 6
       AND start_time = @StartTime
       AND i_am_alive_time = @IAmAliveTime
       AND coalesce(suspect_times, '') = coalesce(@SuspectTimes, '');
    $q$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;
