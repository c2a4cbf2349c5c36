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
CREATE TABLE octi_kill_chain_phases (
    id TEXT PRIMARY KEY,
    kill_chain_name TEXT NOT NULL,
    phase_name TEXT NOT NULL,
    x_opencti_order INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (kill_chain_name, phase_name)
);
