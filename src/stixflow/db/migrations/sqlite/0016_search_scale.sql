-- Knowledge base at scale (issue 18): an FTS5 trigram index over objects.search_text (FTS5 answers
-- a LIKE '%…%' of 3+ characters from it, then checks each candidate row: the rows of a scan),
-- the names a search ranks first, and where the event log's kept history starts.
ALTER TABLE objects ADD COLUMN search_names TEXT;
UPDATE objects SET search_names = char(10) || lower(
    COALESCE(json_extract(data, '$.name') || char(10), '')
    || COALESCE(json_extract(data, '$.value') || char(10), '')
    || COALESCE((SELECT group_concat(a.value, char(10)) || char(10) FROM json_each(data, '$.aliases') a), '')
    || COALESCE((SELECT group_concat(a.value, char(10)) || char(10) FROM json_each(data, '$.x_mitre_aliases') a), '')
) WHERE json_valid(data);

CREATE VIRTUAL TABLE objects_fts USING fts5(
    search_text, content='objects', content_rowid='rowid', tokenize='trigram', detail='none'
);
INSERT INTO objects_fts (objects_fts) VALUES ('rebuild');

CREATE TRIGGER objects_fts_insert AFTER INSERT ON objects BEGIN
    INSERT INTO objects_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER objects_fts_delete AFTER DELETE ON objects BEGIN
    INSERT INTO objects_fts (objects_fts, rowid, search_text)
    VALUES ('delete', old.rowid, old.search_text);
END;
CREATE TRIGGER objects_fts_update AFTER UPDATE OF search_text ON objects
WHEN old.search_text IS NOT new.search_text BEGIN
    INSERT INTO objects_fts (objects_fts, rowid, search_text)
    VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO objects_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
END;

-- One row at most: events before ``seq`` were pruned by the retention setting.
CREATE TABLE event_log_horizon (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
