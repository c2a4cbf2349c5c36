-- Knowledge base
CREATE TABLE objects (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    spec_version TEXT,
    created TEXT,
    modified TEXT,
    name TEXT,
    search_text TEXT,
    created_by_ref TEXT,
    source_ref TEXT,
    target_ref TEXT,
    revoked INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE INDEX objects_type ON objects (type, id);
CREATE INDEX objects_modified ON objects (modified);
CREATE INDEX objects_author ON objects (created_by_ref);
CREATE INDEX objects_source_ref ON objects (source_ref);
CREATE INDEX objects_target_ref ON objects (target_ref);

CREATE TABLE object_markings (
    object_id TEXT NOT NULL,
    marking_id TEXT NOT NULL,
    PRIMARY KEY (object_id, marking_id)
);
CREATE INDEX object_markings_marking ON object_markings (marking_id);

CREATE TABLE object_aliases (
    alias_id TEXT PRIMARY KEY,
    object_id TEXT NOT NULL
);
CREATE INDEX object_aliases_object ON object_aliases (object_id);

CREATE TABLE object_sources (
    object_id TEXT NOT NULL,
    source TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (object_id, source)
);
CREATE INDEX object_sources_source ON object_sources (source);

CREATE TABLE object_creators (
    object_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (object_id, user_id)
);
CREATE INDEX object_creators_user ON object_creators (user_id);

-- Works: one per import, with progress counters
CREATE TABLE works (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    user_id TEXT,
    status TEXT NOT NULL,
    expected INTEGER NOT NULL DEFAULT 0,
    processed INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    completed_at TEXT
);
CREATE INDEX works_source ON works (source, created_at);

CREATE TABLE work_errors (
    work_id TEXT NOT NULL,
    object_id TEXT,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX work_errors_work ON work_errors (work_id);

CREATE TABLE work_messages (
    work_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (work_id, seq)
);

-- Queues: the registry (every back end) and the embedded broker's messages
CREATE TABLE queues (
    name TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE queue_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    body BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    leased INTEGER NOT NULL DEFAULT 0,
    available_at REAL NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX queue_messages_ready ON queue_messages (available_at, id);
CREATE INDEX queue_messages_queue ON queue_messages (queue);

CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    body BLOB NOT NULL,
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    work_id TEXT,
    created_at TEXT NOT NULL
);

-- Identity and access (extended by later migrations)
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT,
    is_admin INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);

-- Durable event log for live streams (appended in commit order, see store/events.py)
CREATE TABLE stream_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    object_id TEXT NOT NULL,
    object_type TEXT NOT NULL,
    data BLOB NOT NULL,
    patch TEXT,
    source TEXT,
    user_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX stream_events_created ON stream_events (created_at);
