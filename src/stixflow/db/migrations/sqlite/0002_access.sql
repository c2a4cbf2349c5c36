-- Identity and access: groups (capabilities, allowed and default markings), memberships,
-- organizations, token expiry and addresses, the audit log.
ALTER TABLE users ADD COLUMN organization_id TEXT;

ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE token_addresses (
    token_id TEXT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (token_id, address)
);

-- capabilities, allowed_markings and default_markings are JSON arrays of strings
CREATE TABLE groups (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    capabilities TEXT NOT NULL DEFAULT '[]',
    allowed_markings TEXT NOT NULL DEFAULT '[]',
    default_markings TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL
);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- The STIX identity (identity_class organization) of each row is in objects, same id
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT NOT NULL DEFAULT '',
    address TEXT
);
CREATE INDEX audit_log_action ON audit_log (action, id);

-- Built in from the start: administrators (BYPASS) and the seeds' Connectors group, allowed
-- TLP:RED (the TLP 2.0 id), which implies every lower TLP level. Existing admins join Administrators.
INSERT INTO groups (id, name, description, capabilities, allowed_markings, default_markings, created_at)
VALUES ('00000000-0000-4000-8000-000000000001', 'Administrators', 'Platform administrators',
        '["BYPASS"]', '[]', '[]', '1970-01-01T00:00:00.000Z');
INSERT INTO groups (id, name, description, capabilities, allowed_markings, default_markings, created_at)
VALUES ('00000000-0000-4000-8000-000000000002', 'Connectors',
        'One [C] or [F] user per connector or feed (best practice)',
        '["KNOWLEDGE","KNOWLEDGE_UPDATE","CONNECTORAPI","CONNECTOR_STATE","TAXIIAPI","INGESTION"]',
        '["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]', '[]',
        '1970-01-01T00:00:00.000Z');
INSERT INTO group_members (group_id, user_id)
SELECT '00000000-0000-4000-8000-000000000001', id FROM users WHERE is_admin = 1;
