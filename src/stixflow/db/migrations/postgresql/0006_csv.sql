-- CSV mappers: how a CSV file's columns become STIX objects (the mapper as JSON in config).
-- CSV feeds are ingesters of kind 'csv' (0003); the rows a feed has already queued are kept,
-- as SHA-256 keys, in ingester_items.
CREATE TABLE csv_mappers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    config TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
