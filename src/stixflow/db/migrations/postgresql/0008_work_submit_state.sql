-- Works that cannot orphan: while a submit queues a work's chunks, submitting counts the submits
-- under way and submit_updated_at is their heartbeat; queued counts the objects queued so far;
-- progress_at is the last time anything happened to the work. The reaper marks a work whose
-- submit stopped (or that made no progress, nothing of it left queued) 'failed', with a reason.
ALTER TABLE works ADD COLUMN submitting INTEGER NOT NULL DEFAULT 0;
ALTER TABLE works ADD COLUMN queued INTEGER NOT NULL DEFAULT 0;
ALTER TABLE works ADD COLUMN submit_updated_at TEXT;
ALTER TABLE works ADD COLUMN progress_at TEXT;
ALTER TABLE works ADD COLUMN reason TEXT;
CREATE INDEX works_status ON works (status);
