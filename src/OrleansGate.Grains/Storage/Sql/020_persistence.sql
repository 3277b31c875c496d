-- Grain state (Microsoft.Orleans.Persistence.AdoNet).
--
-- The provider identifies a grain by its service, its type name and its key,
-- where the key is split into two 64-bit halves (GUID and integer keys) plus an
-- optional string (string keys and key extensions). It also sends two 32-bit
-- hashes of type and key so lookups can use a narrow index.
--
-- Optimistic concurrency: "version" is the ETag. A write names the version it
-- read (NULL for "I found nothing") and gets the new version back; anything
-- else - NULL or no row - is reported by Orleans as InconsistentStateException
-- and the write changes nothing.

CREATE TABLE IF NOT EXISTS orleansgate_grain_state
(
    service_id      varchar(150) NOT NULL,
    grain_type_hash integer      NOT NULL,
    grain_type      text         NOT NULL,
    grain_id_hash   integer      NOT NULL,
    grain_id_n0     bigint       NOT NULL,
    grain_id_n1     bigint       NOT NULL,
    grain_id_ext    text         NULL,
    -- NULL after a clear: the row (and its version) stays so the next write is still checked.
    payload         bytea        NULL,
    version         integer      NOT NULL,
    modified_at     timestamptz  NOT NULL DEFAULT now()
);

-- One row per grain, so two activations racing on the first write cannot both
-- insert. A missing key extension (NULL) and an empty one ('') are different
-- grains; plain unique indexes never see NULLs as equal, hence the two
-- expressions instead of the column itself.
CREATE UNIQUE INDEX IF NOT EXISTS orleansgate_grain_state_grain
    ON orleansgate_grain_state
       (service_id, grain_type_hash, grain_id_hash, grain_id_n0, grain_id_n1, grain_type,
        (grain_id_ext IS NULL), coalesce(grain_id_ext, ''));

CREATE OR REPLACE FUNCTION orleansgate_grain_state_write(
    p_service_id       text,
    p_grain_type_hash  integer,
    p_grain_type       text,
    p_grain_id_hash    integer,
    p_grain_id_n0      bigint,
    p_grain_id_n1      bigint,
    p_grain_id_ext     text,
    p_expected_version integer,
    p_payload          bytea)
    RETURNS integer
    LANGUAGE plpgsql
AS $fn$
DECLARE
    v_new_version integer;
BEGIN
    IF p_expected_version IS NULL THEN
        -- First write of this grain: only if no row exists; the unique index settles races.
        INSERT INTO orleansgate_grain_state
            (service_id, grain_type_hash, grain_type, grain_id_hash, grain_id_n0, grain_id_n1,
             grain_id_ext, payload, version)
        VALUES
            (p_service_id, p_grain_type_hash, p_grain_type, p_grain_id_hash, p_grain_id_n0, p_grain_id_n1,
             p_grain_id_ext, p_payload, 1)
        ON CONFLICT DO NOTHING
        RETURNING version INTO v_new_version;
    ELSE
        UPDATE orleansgate_grain_state
           SET payload = p_payload,
               version = orleansgate_next_version(version),
               modified_at = now()
         WHERE service_id = p_service_id
           AND grain_type_hash = p_grain_type_hash
           AND grain_id_hash = p_grain_id_hash
           AND grain_id_n0 = p_grain_id_n0
           AND grain_id_n1 = p_grain_id_n1
           AND grain_type = p_grain_type
           AND grain_id_ext IS NOT DISTINCT FROM p_grain_id_ext
           AND version = p_expected_version
        RETURNING version INTO v_new_version;
    END IF;

    -- NULL tells the provider the version did not match.
    RETURN v_new_version;
END
$fn$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    -- No row: the grain has no state yet (Orleans creates a default one, ETag NULL).
    -- A row with a NULL payload: cleared state, whose version still counts.
    'ReadFromStorageKey', $q$
    SELECT payload AS PayloadBinary,
           version AS Version
      FROM orleansgate_grain_state
     WHERE service_id = @ServiceId
       AND grain_type_hash = @GrainTypeHash
       AND grain_id_hash = @GrainIdHash
       AND grain_id_n0 = @GrainIdN0
       AND grain_id_n1 = @GrainIdN1
       AND grain_type = @GrainTypeString
       AND grain_id_ext IS NOT DISTINCT FROM @GrainIdExtensionString;
    $q$
),
(
    'WriteToStorageKey', $q$
    SELECT orleansgate_grain_state_write(
               @ServiceId, @GrainTypeHash, @GrainTypeString, @GrainIdHash,
               @GrainIdN0, @GrainIdN1, @GrainIdExtensionString,
               @GrainStateVersion, @PayloadBinary) AS NewGrainStateVersion;
    $q$
),
(
    -- ClearStateAsync with DeleteStateOnClear = false (the default): keep the row,
    -- drop the payload, move the version on. The provider reads the first column.
    'ClearStorageKey', $q$
    UPDATE orleansgate_grain_state
       SET payload = NULL,
           version = orleansgate_next_version(version),
           modified_at = now()
     WHERE service_id = @ServiceId
       AND grain_type_hash = @GrainTypeHash
       AND grain_id_hash = @GrainIdHash
       AND grain_id_n0 = @GrainIdN0
       AND grain_id_n1 = @GrainIdN1
       AND grain_type = @GrainTypeString
       AND grain_id_ext IS NOT DISTINCT FROM @GrainIdExtensionString
       AND version = @GrainStateVersion
    RETURNING version AS NewGrainStateVersion;
    $q$
),
(
    -- ClearStateAsync with DeleteStateOnClear = true (the provider refuses that
    -- option at start if this key is missing). It must return a value that differs
    -- from the ETag it was given, so it returns the version the row would have had next.
    'DeleteStorageKey', $q$
    DELETE FROM orleansgate_grain_state
     WHERE service_id = @ServiceId
       AND grain_type_hash = @GrainTypeHash
       AND grain_id_hash = @GrainIdHash
       AND grain_id_n0 = @GrainIdN0
       AND grain_id_n1 = @GrainIdN1
       AND grain_type = @GrainTypeString
       AND grain_id_ext IS NOT DISTINCT FROM @GrainIdExtensionString
       AND version = @GrainStateVersion
    RETURNING orleansgate_next_version(version) AS NewGrainStateVersion;
    $q$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;
