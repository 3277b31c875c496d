-- Where each silo answers a liveness probe (its HTTP listener's /healthz), written by the silo into its own member row
-- once it is up. Edge-only nodes probe their gateways there (GatewayHealthProbe): a stopped silo keeps its TCP
-- connections open and is declared dead only after about 30 s, and an Orleans client would go on sending it calls
-- until then. NULL for silos without an HTTP listener (never probed) and for rows written before this column.
ALTER TABLE orleansgate_cluster_member ADD COLUMN IF NOT EXISTS health_url text NULL;
