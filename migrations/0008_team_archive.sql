-- Archived teams (DELETE /admin/teams/{team_id}): the team and its usage stay for the record,
-- its keys are revoked (their revoked_at is the team's archived_at), and default listings hide it.
ALTER TABLE teams ADD COLUMN archived_at TEXT;

-- Names are unique among live teams only: an archived team keeps its name in the record, and a
-- new team may take it (the two differ by id everywhere the name is shown).
DROP INDEX teams_name;
CREATE UNIQUE INDEX teams_name ON teams(name) WHERE archived_at IS NULL;

-- No key is minted for an archived team, not even by a request that read the team as live just
-- before the archive committed: the insert fails, and the route answers 409 team_archived.
CREATE TRIGGER api_keys_team_not_archived BEFORE INSERT ON api_keys
WHEN (SELECT archived_at FROM teams WHERE id = NEW.team_id) IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, 'team_archived');
END;
