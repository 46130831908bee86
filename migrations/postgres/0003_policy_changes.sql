-- Which folder path each policy change touched, so every host recompiles
-- only those folders instead of all of them, and a notification to every
-- host. Both come from triggers, so they commit (or roll back) with the
-- change itself, whichever host or tool made it; NOTIFY is delivered at
-- commit. Identities are never reused, so "everything after N" stays exact
-- across pruning.
CREATE TABLE policy_changes (
  seq  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  path TEXT COLLATE "C" NOT NULL
);

-- The version row is updated FIRST: its row lock, held until commit, makes
-- every other policy-changing transaction wait before it takes a sequence
-- number. So sequence numbers are handed out in commit order, and a host that
-- has read the log up to N can never later see a commit below N.
CREATE OR REPLACE FUNCTION crossport_policy_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  folder_path TEXT;
BEGIN
  UPDATE policy_version SET version = version + 1 WHERE id = 1;
  IF TG_TABLE_NAME = 'folders' THEN
    IF TG_OP <> 'DELETE' THEN
      INSERT INTO policy_changes (path) VALUES (NEW.path);
    END IF;
    IF TG_OP = 'DELETE' OR OLD.path <> NEW.path THEN
      INSERT INTO policy_changes (path) VALUES (OLD.path);
    END IF;
  ELSE
    -- When a folder's deletion cascades to its origins the folder row is gone
    -- and nothing is logged here: the folder's own entry covers it.
    SELECT path INTO folder_path FROM folders
      WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.folder_id ELSE NEW.folder_id END;
    IF FOUND THEN
      INSERT INTO policy_changes (path) VALUES (folder_path);
    END IF;
  END IF;
  -- Identical payloads in one transaction are delivered once.
  PERFORM pg_notify('crossport_changes', '{"kind":"policy"}');
  RETURN NULL;
END
$$;

-- Keep the last 50,000 entries; a host further behind than that (or one that
-- missed entries for any other reason) rebuilds its table in full.
CREATE FUNCTION crossport_prune_policy_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM policy_changes WHERE seq <= NEW.seq - 50000;
  RETURN NULL;
END
$$;
CREATE TRIGGER policy_changes_prune AFTER INSERT ON policy_changes
  FOR EACH ROW EXECUTE FUNCTION crossport_prune_policy_changes();

-- A token revoked, deleted or changed is out of force on every host at once:
-- hosts that keep anything about tokens drop it on this notification. Its
-- last use, written on every request, notifies nobody.
CREATE FUNCTION crossport_token_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.scope <> NEW.scope OR OLD.hash <> NEW.hash THEN
    PERFORM pg_notify('crossport_changes', '{"kind":"token"}');
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER tokens_changed AFTER UPDATE OR DELETE ON tokens
  FOR EACH ROW EXECUTE FUNCTION crossport_token_changed();
