-- Reminders (Microsoft.Orleans.Reminders.AdoNet).
--
-- Each silo owns a slice of the consistent-hash ring and loads the reminders
-- whose grain hash falls in it; the version is the reminder's ETag, checked when
-- a reminder is removed.

CREATE TABLE IF NOT EXISTS orleansgate_reminder
(
    service_id    varchar(150) NOT NULL,
    grain_id      text         NOT NULL,
    reminder_name text         NOT NULL,
    -- The grain's uniform hash (a uint in .NET) stored as a signed integer; the
    -- provider sends the ring bounds the same way and picks the query to match.
    grain_hash    integer      NOT NULL,
    start_time    timestamptz  NOT NULL,
    period_ms     bigint       NOT NULL,
    version       integer      NOT NULL,
    PRIMARY KEY (service_id, grain_id, reminder_name)
);

CREATE INDEX IF NOT EXISTS orleansgate_reminder_ring
    ON orleansgate_reminder (service_id, grain_hash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    -- Returns the new ETag in a column named Version. @Period arrives as int or
    -- bigint depending on its size.
    'UpsertReminderRowKey', $q$
    INSERT INTO orleansgate_reminder AS r
        (service_id, grain_id, reminder_name, grain_hash, start_time, period_ms, version)
    VALUES
        (@ServiceId, @GrainId, @ReminderName, @GrainHash, @StartTime, @Period::bigint, 1)
    ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
        SET grain_hash = excluded.grain_hash,
            start_time = excluded.start_time,
            period_ms = excluded.period_ms,
            version = orleansgate_next_version(r.version)
    RETURNING r.version AS Version;
    $q$
),
(
    'ReadReminderRowsKey', $q$
    SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime,
           period_ms AS Period, version AS Version
      FROM orleansgate_reminder
     WHERE service_id = @ServiceId
       AND grain_id = @GrainId;
    $q$
),
(
    'ReadReminderRowKey', $q$
    SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime,
           period_ms AS Period, version AS Version
      FROM orleansgate_reminder
     WHERE service_id = @ServiceId
       AND grain_id = @GrainId
       AND reminder_name = @ReminderName;
    $q$
),
(
    -- Ring slice (begin, end] that does not wrap in signed order.
    'ReadRangeRows1Key', $q$
    SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime,
           period_ms AS Period, version AS Version
      FROM orleansgate_reminder
     WHERE service_id = @ServiceId
       AND grain_hash > @BeginHash
       AND grain_hash <= @EndHash;
    $q$
),
(
    -- Ring slice (begin, end] that wraps past the top (also the whole ring when begin = end).
    'ReadRangeRows2Key', $q$
    SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime,
           period_ms AS Period, version AS Version
      FROM orleansgate_reminder
     WHERE service_id = @ServiceId
       AND (grain_hash > @BeginHash OR grain_hash <= @EndHash);
    $q$
),
(
    -- Exactly one row back: true when the reminder existed with that ETag and is gone.
    'DeleteReminderRowKey', $q$
    WITH removed AS (
        DELETE FROM orleansgate_reminder
         WHERE service_id = @ServiceId
           AND grain_id = @GrainId
           AND reminder_name = @ReminderName
           AND version = @Version
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM removed);
    $q$
),
(
    'DeleteReminderRowsKey', $q$
    DELETE FROM orleansgate_reminder WHERE service_id = @ServiceId;
    $q$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;
