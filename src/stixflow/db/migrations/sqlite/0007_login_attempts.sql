-- Failed password checks, counted per account (lower-cased email) and per client address within
-- a window (access/throttle.py): past a limit, login answers 429 before hashing anything. Kept
-- in the database so that every API process shares the counts; rows older than the window are
-- deleted as new failures arrive.
CREATE TABLE login_failures (
    scope TEXT NOT NULL,
    subject TEXT NOT NULL,
    failed_at REAL NOT NULL
);
CREATE INDEX login_failures_subject ON login_failures (scope, subject, failed_at);
CREATE INDEX login_failures_age ON login_failures (failed_at);
