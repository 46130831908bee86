-- A folder's origins in their order, from the index alone: the policy table
-- reads every folder's origins at start-up (one ordered range per folder, no
-- row lookups), and adding an origin finds the next position without reading
-- the folder's other rows.
CREATE INDEX folder_origins_order ON folder_origins (folder_id, position, origin);
