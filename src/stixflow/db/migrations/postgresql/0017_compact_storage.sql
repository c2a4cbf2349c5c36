-- Bounded storage (issue 18). Object bodies are now written packed (store/compact.py: JSON
-- deflated with a preset dictionary), so objects.data becomes bytea; the JSON text already
-- there becomes its UTF-8 bytes, which readers still take as JSON (it starts with '{').
ALTER TABLE objects ALTER COLUMN data TYPE bytea USING convert_to(data, 'UTF8');

-- Every query that names marking_id or user_id in these tables also names object_id
-- (EXISTS ... WHERE f.object_id = o.id AND f.marking_id = ?): the primary key answers it.
DROP INDEX object_markings_marking;
DROP INDEX object_creators_user;

-- Event patches are packed like the bodies; the JSON text already there becomes its UTF-8
-- bytes, read as JSON (it starts with '[').
ALTER TABLE stream_events ALTER COLUMN patch TYPE bytea USING convert_to(patch, 'UTF8');
