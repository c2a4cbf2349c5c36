-- Enrichment jobs: the object each enrichment work is about and the connector asked, so that
-- the connector's answer about that very object wins over the stored copy on equal `modified`
-- (stixflow.connectors.enrichment.enriched_object; merge rules in docs/pipeline.md).
CREATE TABLE enrichment_jobs (
    work_id TEXT PRIMARY KEY,
    object_id TEXT NOT NULL,
    connector_id TEXT NOT NULL
);
