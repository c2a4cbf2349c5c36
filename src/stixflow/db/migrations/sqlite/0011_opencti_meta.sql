-- OpenCTI's labels and external references are entities of their own, with ids connectors
-- keep (label.create, external_reference.create) and pass back when they edit an object.
CREATE TABLE octi_labels (
    id TEXT PRIMARY KEY,
    value TEXT NOT NULL UNIQUE,
    color TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE octi_external_references (
    id TEXT PRIMARY KEY,
    source_name TEXT NOT NULL,
    url TEXT,
    external_id TEXT,
    description TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE octi_vocabularies (
    id TEXT PRIMARY KEY,
    category TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (category, name)
);
