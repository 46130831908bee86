-- Folders and their CORS policy. One row per folder path ("/", "/brand/", ...).
-- List-valued policy fields are JSON arrays of strings; origins get their own
-- table so one origin can be added or removed without rewriting the policy.
CREATE TABLE folders (
  -- AUTOINCREMENT: an id is never reused, so a client holding the id of a
  -- deleted folder can never change or delete another one by mistake.
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  path            TEXT    NOT NULL UNIQUE CHECK (substr(path, 1, 1) = '/' AND substr(path, -1, 1) = '/'),
  methods         TEXT    NOT NULL,
  allow_headers   TEXT    NOT NULL,
  expose_headers  TEXT    NOT NULL,
  max_age         INTEGER NOT NULL CHECK (max_age >= 0),
  credentials     INTEGER NOT NULL CHECK (credentials IN (0, 1)),
  private_network INTEGER NOT NULL DEFAULT 0 CHECK (private_network IN (0, 1)),
  mode            TEXT    NOT NULL CHECK (mode IN ('cors', 'strict')),
  cache_control   TEXT    NOT NULL,
  created_at      TEXT    NOT NULL,
  updated_at      TEXT    NOT NULL
);

CREATE TABLE folder_origins (
  folder_id INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
  origin    TEXT    NOT NULL,
  position  INTEGER NOT NULL,
  PRIMARY KEY (folder_id, origin)
);

-- Admin tokens: only the SHA-256 of the secret is kept.
CREATE TABLE tokens (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  scope        TEXT NOT NULL CHECK (scope IN ('read', 'write')),
  hash         TEXT NOT NULL UNIQUE,
  created_at   TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at   TEXT
);

-- Every change made through the admin API: who, what, when, before/after (JSON).
CREATE TABLE audit_log (
  id     INTEGER PRIMARY KEY,
  at     TEXT NOT NULL,
  actor  TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  before TEXT,
  after  TEXT
);
CREATE INDEX audit_log_target ON audit_log (target);

-- Bumped by triggers on every policy change; processes compare it (together
-- with PRAGMA data_version) to know when to recompile their in-memory table.
CREATE TABLE policy_version (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
);
INSERT INTO policy_version (id, version) VALUES (1, 0);

CREATE TRIGGER folders_ins AFTER INSERT ON folders BEGIN UPDATE policy_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER folders_upd AFTER UPDATE ON folders BEGIN UPDATE policy_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER folders_del AFTER DELETE ON folders BEGIN UPDATE policy_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER origins_ins AFTER INSERT ON folder_origins BEGIN UPDATE policy_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER origins_del AFTER DELETE ON folder_origins BEGIN UPDATE policy_version SET version = version + 1 WHERE id = 1; END;

-- "/" always exists and by default shares nothing cross-origin.
INSERT INTO folders (path, methods, allow_headers, expose_headers, max_age, credentials, private_network, mode, cache_control, created_at, updated_at)
VALUES ('/', '["GET","HEAD"]', '["Range"]', '["Content-Length","Content-Range","Accept-Ranges","ETag"]', 600, 0, 0, 'cors', 'public, max-age=3600',
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
