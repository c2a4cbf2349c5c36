-- Native ingestion: TAXII 2.1 and RSS/Atom feeds pulled by the ingestion manager.
-- config holds the kind's settings (JSON), secret its credentials (JSON, never returned by the
-- API), state its cursor (JSON). source names its queue: push_<source>.
CREATE TABLE ingesters (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL UNIQUE,
    running INTEGER NOT NULL DEFAULT 0,
    user_id TEXT,
    created_by TEXT,
    import_from TEXT,
    scheduling_period TEXT NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    secret TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT '{}',
    generation INTEGER NOT NULL DEFAULT 0,
    last_run_at TEXT,
    last_success_at TEXT,
    last_error TEXT,
    last_error_at TEXT,
    last_run_objects INTEGER NOT NULL DEFAULT 0,
    total_objects INTEGER NOT NULL DEFAULT 0,
    last_work_id TEXT,
    buffering INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (kind, name)
);
CREATE INDEX ingesters_running ON ingesters (running, kind);

-- Items a feed has already turned into objects (RSS: by guid or link), with the name and
-- date they were first mapped with, so that a re-dated or re-ordered item keeps its report id.
CREATE TABLE ingester_items (
    ingester_id TEXT NOT NULL REFERENCES ingesters (id) ON DELETE CASCADE,
    item_key TEXT NOT NULL,
    name TEXT NOT NULL,
    published TEXT NOT NULL,
    generation INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (ingester_id, item_key)
);

-- The ingestion manager's lease on SQLite (PostgreSQL uses an advisory lock instead)
CREATE TABLE ingestion_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL
);
