-- Connectors: programs that feed stixflow (their own process, our SDK or pycti). The id is
-- chosen by the operator. state is opaque (JSON by convention, '' when empty); state_reset is
-- set by a reset and cleared by the next ping, whose state is then ignored (OpenCTI semantics).
-- info holds what the connector reports on ping (last/next run, buffering). broker_user and
-- broker_secret are the per-connector RabbitMQ account (RabbitMQ back end only).
CREATE TABLE connectors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '[]',
    auto INTEGER NOT NULL DEFAULT 0,
    only_contextual INTEGER NOT NULL DEFAULT 0,
    user_id TEXT,
    state TEXT NOT NULL DEFAULT '',
    state_reset INTEGER NOT NULL DEFAULT 0,
    state_updated_at TEXT,
    info TEXT NOT NULL DEFAULT '{}',
    last_seen_at TEXT,
    broker_user TEXT,
    broker_secret TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Every reset: who, when, how many queued messages were purged.
CREATE TABLE connector_resets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    connector_id TEXT NOT NULL,
    actor_id TEXT,
    purged INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX connector_resets_connector ON connector_resets (connector_id, id);

-- Works opened by connectors: several bundles may be submitted into one work (seq_next numbers
-- their chunks), a multi-part work completes only once the connector marked it processed.
ALTER TABLE works ADD COLUMN seq_next INTEGER NOT NULL DEFAULT 0;
ALTER TABLE works ADD COLUMN multipart INTEGER NOT NULL DEFAULT 0;
ALTER TABLE works ADD COLUMN processed_at TEXT;
ALTER TABLE works ADD COLUMN message TEXT;

-- The enrichment dispatcher's cursor over stream_events.
CREATE TABLE connector_cursors (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
