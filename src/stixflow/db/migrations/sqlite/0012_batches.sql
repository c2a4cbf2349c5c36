-- pycti's messages carry no number: the digest of each one applied to a work, written in the
-- transaction that applies it, so a message redelivered after a crash between that commit and
-- its ack is recognised and not counted twice (stixflow.pipeline.works.claim_delivery).
CREATE TABLE work_deliveries (
    work_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (work_id, digest)
);

-- The size of each queued message as published (bodies are stored compressed), so a queue's
-- size in bytes is known: pycti reads it (connector_queue_details.messages_size) to pause.
ALTER TABLE queue_messages ADD COLUMN body_size INTEGER NOT NULL DEFAULT 0;

-- A worker finds the next ready message of a queue without scanning the others' (the embedded
-- broker's ``_next_queue``: one indexed probe per queue instead of a scan of every message).
CREATE INDEX queue_messages_queue_ready ON queue_messages (queue, available_at, id);
