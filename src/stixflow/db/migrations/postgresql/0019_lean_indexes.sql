-- Knowledge base at scale (issue 18): fewer index entries per object, each one a page written at
-- a random place of a large index once the store outgrows memory (and bytes on disk).
--
-- object_sources_source goes: every query on object_sources names object_id, but the list of
-- sources, which now has its own small table (one row per source, written once).
-- The author and relationship-end indexes keep only the rows that have one (partial indexes):
-- most objects have no source_ref or target_ref, and a query naming one never needs NULLs.
-- (objects_type stays here: a database's collation may not order ids as bytes, so a type's ids
-- are not one range of the primary key as they are on SQLite.)
DROP INDEX object_sources_source;
CREATE TABLE known_sources (
    source TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL
);
INSERT INTO known_sources (source, first_seen)
SELECT source, MIN(first_seen) FROM object_sources GROUP BY source;
DROP INDEX objects_author;
CREATE INDEX objects_author ON objects (created_by_ref) WHERE created_by_ref IS NOT NULL;
DROP INDEX objects_source_ref;
CREATE INDEX objects_source_ref ON objects (source_ref) WHERE source_ref IS NOT NULL;
DROP INDEX objects_target_ref;
CREATE INDEX objects_target_ref ON objects (target_ref) WHERE target_ref IS NOT NULL;
