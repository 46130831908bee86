-- Which folder path each policy change touched, so every process
-- recompiles only those folders instead of all of them. Filled by triggers,
-- so the entry commits (or rolls back) with the change itself, whichever
-- process or tool made it. AUTOINCREMENT: a sequence number is never reused,
-- so "everything after N" stays exact across pruning.
CREATE TABLE policy_changes (
  seq  INTEGER PRIMARY KEY AUTOINCREMENT,
  path TEXT NOT NULL
);

CREATE TRIGGER folders_ins_log AFTER INSERT ON folders BEGIN
  INSERT INTO policy_changes (path) VALUES (NEW.path);
END;
CREATE TRIGGER folders_upd_log AFTER UPDATE ON folders BEGIN
  INSERT INTO policy_changes (path) VALUES (NEW.path);
  INSERT INTO policy_changes (path) SELECT OLD.path WHERE OLD.path <> NEW.path;
END;
CREATE TRIGGER folders_del_log AFTER DELETE ON folders BEGIN
  INSERT INTO policy_changes (path) VALUES (OLD.path);
END;
-- When a folder's deletion cascades to its origins the folder row is gone and
-- these insert nothing: the folder's own entry covers it.
CREATE TRIGGER origins_ins_log AFTER INSERT ON folder_origins BEGIN
  INSERT INTO policy_changes (path) SELECT path FROM folders WHERE id = NEW.folder_id;
END;
CREATE TRIGGER origins_del_log AFTER DELETE ON folder_origins BEGIN
  INSERT INTO policy_changes (path) SELECT path FROM folders WHERE id = OLD.folder_id;
END;

-- Keep the last 50,000 entries; a process further behind than that (or one
-- that missed entries for any other reason) rebuilds its table in full.
CREATE TRIGGER policy_changes_prune AFTER INSERT ON policy_changes BEGIN
  DELETE FROM policy_changes WHERE seq <= NEW.seq - 50000;
END;
