-- References to objects the store does not hold (yet): filled when an object is written, emptied
-- when the target arrives (under its id or an alias; stixflow.store.missing).
CREATE TABLE object_missing_refs (
    object_id TEXT NOT NULL,
    ref_id TEXT NOT NULL,
    PRIMARY KEY (object_id, ref_id)
);
CREATE INDEX object_missing_refs_ref ON object_missing_refs (ref_id);
