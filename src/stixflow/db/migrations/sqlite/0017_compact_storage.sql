-- Bounded storage (issue 18). Object bodies, event payloads and patches are now written packed
-- (store/compact.py: JSON deflated with a preset dictionary) into the same columns (a BLOB in
-- a TEXT column stays a BLOB); rows written before keep their form (JSON text, plain zlib
-- streams) and read as they did, so no row is rewritten here.
--
-- The tables keyed by (object_id, x) become WITHOUT ROWID tables clustered on that key: the
-- key is stored once instead of twice (the table and its primary-key index). The indexes on
-- object_markings.marking_id and object_creators.user_id go: every query names object_id
-- with them (EXISTS ... WHERE f.object_id = o.id AND f.marking_id = ?), answered by the key.
CREATE TABLE object_markings_0017 (
    object_id TEXT NOT NULL,
    marking_id TEXT NOT NULL,
    PRIMARY KEY (object_id, marking_id)
) WITHOUT ROWID;
INSERT INTO object_markings_0017 (object_id, marking_id)
SELECT object_id, marking_id FROM object_markings;
DROP TABLE object_markings;
ALTER TABLE object_markings_0017 RENAME TO object_markings;

CREATE TABLE object_aliases_0017 (
    alias_id TEXT PRIMARY KEY,
    object_id TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO object_aliases_0017 (alias_id, object_id) SELECT alias_id, object_id FROM object_aliases;
DROP TABLE object_aliases;
ALTER TABLE object_aliases_0017 RENAME TO object_aliases;
CREATE INDEX object_aliases_object ON object_aliases (object_id);

CREATE TABLE object_sources_0017 (
    object_id TEXT NOT NULL,
    source TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (object_id, source)
) WITHOUT ROWID;
INSERT INTO object_sources_0017 (object_id, source, first_seen, last_seen)
SELECT object_id, source, first_seen, last_seen FROM object_sources;
DROP TABLE object_sources;
ALTER TABLE object_sources_0017 RENAME TO object_sources;
CREATE INDEX object_sources_source ON object_sources (source);

CREATE TABLE object_creators_0017 (
    object_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (object_id, user_id)
) WITHOUT ROWID;
INSERT INTO object_creators_0017 (object_id, user_id, first_seen)
SELECT object_id, user_id, first_seen FROM object_creators;
DROP TABLE object_creators;
ALTER TABLE object_creators_0017 RENAME TO object_creators;

CREATE TABLE object_missing_refs_0017 (
    object_id TEXT NOT NULL,
    ref_id TEXT NOT NULL,
    PRIMARY KEY (object_id, ref_id)
) WITHOUT ROWID;
INSERT INTO object_missing_refs_0017 (object_id, ref_id)
SELECT object_id, ref_id FROM object_missing_refs;
DROP TABLE object_missing_refs;
ALTER TABLE object_missing_refs_0017 RENAME TO object_missing_refs;
CREATE INDEX object_missing_refs_ref ON object_missing_refs (ref_id);
