-- Knowledge base at scale (issue 18), PostgreSQL: two indexes that cost as much as the objects'
-- primary key each, one entry per object written at a random place of a large index.
--
-- The event log's per-object index: every query on it names one object id (or a list of them)
-- and then reads that object's few events. A hash index answers the same equality lookups from
-- a four-byte hash per event, about a quarter of the B-tree over (object_id, seq).
DROP INDEX stream_events_object;
CREATE INDEX stream_events_object ON stream_events USING hash (object_id);
-- The objects' type index: where the database's collation compares ids as bytes (C, POSIX,
-- C.UTF-8: the same test as PostgresDatabase.ids_in_byte_order), an id starts with its type,
-- so a type's ids are one range of the primary key, as on SQLite (migration 0019). A linguistic
-- collation ignores the dashes: the index stays there.
DO $$
BEGIN
    IF 'x-.' > 'x--f' AND 'x-z' < 'xa' AND 'Z' < 'a' THEN
        DROP INDEX objects_type;
    END IF;
END
$$;
