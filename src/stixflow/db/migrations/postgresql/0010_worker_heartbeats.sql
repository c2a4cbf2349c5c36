-- Workers say they are alive (metrics: stixflow_worker_up; restore refuses a database in use).
CREATE TABLE worker_heartbeats (
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    name TEXT NOT NULL,
    started_at TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    handled INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (host, pid)
);
