-- Knowledge base at scale (issue 18): an object's creating source and user live in its own row
-- (objects.source, objects.creator), written with the row and never changed by an update.
-- object_sources and object_creators keep only the other sources and users that brought the
-- object again: most objects come from one feed, so most objects have no side rows, and a new
-- object writes no entry at a random place of their primary keys.
--
-- The earliest source (and user) of each object moves into its row; ties go to the smallest name.
ALTER TABLE objects ADD COLUMN source TEXT;
ALTER TABLE objects ADD COLUMN creator TEXT;
UPDATE objects SET
    source = (
        SELECT s.source FROM object_sources s WHERE s.object_id = objects.id
        ORDER BY s.first_seen, s.source LIMIT 1
    ),
    creator = (
        SELECT c.user_id FROM object_creators c WHERE c.object_id = objects.id
        ORDER BY c.first_seen, c.user_id LIMIT 1
    );
DELETE FROM object_sources
WHERE source = (SELECT o.source FROM objects o WHERE o.id = object_sources.object_id);
DELETE FROM object_creators
WHERE user_id = (SELECT o.creator FROM objects o WHERE o.id = object_creators.object_id);
