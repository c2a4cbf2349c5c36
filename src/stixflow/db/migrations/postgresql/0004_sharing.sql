-- Sharing: TAXII 2.1 collections (saved filters), TAXII Push ingesters and their statuses,
-- live streams (saved filters served as Server-Sent Events) and live-stream synchronisers.
-- filters and authorized are JSON objects; booleans are 0/1.
CREATE TABLE taxii_collections (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    filters TEXT NOT NULL DEFAULT '{}',
    public INTEGER NOT NULL DEFAULT 0,
    running INTEGER NOT NULL DEFAULT 1,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE live_streams (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    filters TEXT NOT NULL DEFAULT '{}',
    public INTEGER NOT NULL DEFAULT 0,
    running INTEGER NOT NULL DEFAULT 1,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- A push collection's queue is push_<source>; authorized = {"users": [], "groups": [],
-- "organizations": []} (ids) may push.
CREATE TABLE taxii_push_ingesters (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL UNIQUE,
    user_id TEXT,
    authorized TEXT NOT NULL DEFAULT '{}',
    confidence_to_score INTEGER NOT NULL DEFAULT 0,
    running INTEGER NOT NULL DEFAULT 0,
    created_by TEXT,
    last_push_at TEXT,
    total_objects INTEGER NOT NULL DEFAULT 0,
    last_work_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- One row per accepted push: the work it became, who pushed, the version of each object.
CREATE TABLE taxii_push_statuses (
    work_id TEXT PRIMARY KEY,
    ingester_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    versions TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);

-- A synchroniser follows a remote stixflow live stream; last_event_id is its checkpoint.
CREATE TABLE stream_syncs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL UNIQUE,
    uri TEXT NOT NULL,
    token TEXT NOT NULL,
    stream_id TEXT NOT NULL,
    user_id TEXT,
    running INTEGER NOT NULL DEFAULT 0,
    starting_date TEXT,
    listen_deletion INTEGER NOT NULL DEFAULT 1,
    no_dependencies INTEGER NOT NULL DEFAULT 0,
    ssl_verify INTEGER NOT NULL DEFAULT 1,
    synchronized INTEGER NOT NULL DEFAULT 0,
    last_event_id TEXT,
    last_event_at TEXT,
    events_received INTEGER NOT NULL DEFAULT 0,
    connected INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_error_at TEXT,
    last_work_id TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- The latest event of an object (TAXII date_added, versions, stream snapshots)
CREATE INDEX stream_events_object ON stream_events (object_id, seq);
