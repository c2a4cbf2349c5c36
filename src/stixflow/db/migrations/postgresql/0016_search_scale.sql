-- Knowledge base at scale (issue 18): a pg_trgm GIN index over objects.search_text (a LIKE
-- '%…%' of 3+ characters is answered from the index, same rows as the scan), the names a search
-- ranks first, and where the event log's kept history starts.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE objects ADD COLUMN search_names TEXT;
UPDATE objects SET search_names = E'\n' || lower(
    COALESCE((data::jsonb ->> 'name') || E'\n', '')
    || COALESCE((data::jsonb ->> 'value') || E'\n', '')
    || COALESCE((SELECT string_agg(a, E'\n') || E'\n' FROM jsonb_array_elements_text(
        CASE WHEN jsonb_typeof(data::jsonb -> 'aliases') = 'array'
        THEN data::jsonb -> 'aliases' ELSE '[]'::jsonb END) a), '')
    || COALESCE((SELECT string_agg(a, E'\n') || E'\n' FROM jsonb_array_elements_text(
        CASE WHEN jsonb_typeof(data::jsonb -> 'x_mitre_aliases') = 'array'
        THEN data::jsonb -> 'x_mitre_aliases' ELSE '[]'::jsonb END) a), '')
);
CREATE INDEX objects_search_trgm ON objects USING gin (search_text gin_trgm_ops);

-- One row at most: events before ``seq`` were pruned by the retention setting.
CREATE TABLE event_log_horizon (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
