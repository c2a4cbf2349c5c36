-- Knowledge base at scale (issue 18): the markings an object carries are stored once per distinct
-- set (store/marking_sets.py). The object's row names its set (objects.marking_set, NULL for
-- none); object_markings, one row per object and marking, goes.
CREATE TABLE marking_sets (
    id INTEGER PRIMARY KEY,
    markings TEXT NOT NULL UNIQUE
);
CREATE TABLE marking_set_members (
    set_id INTEGER NOT NULL,
    marking_id TEXT NOT NULL,
    PRIMARY KEY (set_id, marking_id)
) WITHOUT ROWID;
ALTER TABLE objects ADD COLUMN marking_set INTEGER;

-- A set's key: its marking ids in order, joined by spaces (object_markings is read in its
-- primary key's order, object then marking). The keys are looked up by object, once per row.
CREATE TEMP TABLE object_marking_keys (
    object_id TEXT PRIMARY KEY,
    markings TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO object_marking_keys (object_id, markings)
SELECT object_id, group_concat(marking_id, ' ')
FROM (SELECT object_id, marking_id FROM object_markings ORDER BY object_id, marking_id)
GROUP BY object_id;
INSERT INTO marking_sets (markings)
SELECT DISTINCT markings FROM object_marking_keys ORDER BY markings;
INSERT INTO marking_set_members (set_id, marking_id)
SELECT DISTINCT s.id, m.marking_id
FROM object_marking_keys k
JOIN marking_sets s ON s.markings = k.markings
JOIN object_markings m ON m.object_id = k.object_id;
UPDATE objects SET marking_set = (
    SELECT s.id FROM object_marking_keys k JOIN marking_sets s ON s.markings = k.markings
    WHERE k.object_id = objects.id
);
DROP TABLE object_marking_keys;
DROP TABLE object_markings;
