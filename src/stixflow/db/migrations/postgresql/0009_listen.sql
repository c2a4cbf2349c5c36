-- The listen side of connectors (issue 13): where a connector in pycti's HTTP listen mode wants
-- its jobs POSTed, and the files users upload for import connectors (stored in the database so
-- that every machine of an instance sees them; content in chunks of at most 1 MiB).
CREATE TABLE connector_callbacks (
    connector_id TEXT PRIMARY KEY,
    uri TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE files (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    markings TEXT NOT NULL DEFAULT '[]',
    entity_id TEXT,
    uploaded_by TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX files_created ON files (created_at);

CREATE TABLE file_chunks (
    file_id TEXT NOT NULL,
    part INTEGER NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (file_id, part)
);

CREATE TABLE file_jobs (
    work_id TEXT PRIMARY KEY,
    file_id TEXT NOT NULL,
    connector_id TEXT NOT NULL
);
CREATE INDEX file_jobs_file ON file_jobs (file_id);
