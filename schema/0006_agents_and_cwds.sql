-- 0006: agent types from Claude Code's sidecars, and every working directory
-- seen in each project (for `cco report --project`). See docs/schema.md.

-- `agentType` of the agent-<id>.meta.json sidecar beside an agent-<id>.jsonl
-- transcript (Claude Code 2.1: "general-purpose", "Explore", …); NULL when
-- there is none or the file is not an agent's.
ALTER TABLE files ADD COLUMN agent_type TEXT;

-- Every `cwd` a message of the project carried. Claude Code names a project
-- directory after the working directory with '/' and '.' replaced by '-', so
-- several directories share one project (/home/u/deja-vu and
-- /home/u/deja/vu), and a session may move to subdirectories: projects.cwd
-- holds only the first.
CREATE TABLE project_cwds (
  project_id INTEGER NOT NULL REFERENCES projects(id),
  cwd        TEXT NOT NULL,
  PRIMARY KEY (project_id, cwd)
) WITHOUT ROWID;

-- Maintained with the messages: one JSON lookup per stored line that names a
-- cwd, in the writer's transaction.
CREATE TRIGGER project_cwds_insert AFTER INSERT ON messages WHEN instr(new.raw, '"cwd"') > 0 BEGIN
  INSERT OR IGNORE INTO project_cwds(project_id, cwd)
    SELECT f.project_id, c.cwd FROM files f, (SELECT json_extract(new.raw, '$.cwd') AS cwd) c
    WHERE f.id = new.file_id AND typeof(c.cwd) = 'text';
END;

INSERT OR IGNORE INTO project_cwds(project_id, cwd)
  SELECT f.project_id, c.cwd
  FROM (SELECT file_id, json_extract(raw, '$.cwd') AS cwd FROM messages WHERE instr(raw, '"cwd"') > 0) c
  JOIN files f ON f.id = c.file_id
  WHERE typeof(c.cwd) = 'text';
