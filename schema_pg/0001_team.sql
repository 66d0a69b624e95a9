-- The team server's schema (docs/team.md): the replicable tables of the
-- local SQLite database (docs/schema.md), every row tagged with the machine
-- and user it came from and keyed by (machine, local key); stored text is
-- plain (a push decompresses), raw lines are bytea (byte-exact).

-- Group roles: a machine's login role is a member of cco_machine, a
-- person's of cco_member, a lead's of cco_lead (docs/team.md).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cco_machine') THEN CREATE ROLE cco_machine NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cco_member') THEN CREATE ROLE cco_member NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cco_lead') THEN CREATE ROLE cco_lead NOLOGIN; END IF;
END $$;

-- Who is who: which login role pushes for which machine and user, which
-- login role reads as which user, which projects are shared with whom.
CREATE TABLE cco_machines (
  machine   text PRIMARY KEY,
  user_name text NOT NULL,
  role_name name NOT NULL
);
CREATE TABLE cco_members (
  role_name name PRIMARY KEY,
  user_name text NOT NULL
);
CREATE TABLE cco_shared_projects (
  project   text NOT NULL,   -- projects.dir_name
  user_name text NOT NULL,   -- shared with this user
  PRIMARY KEY (project, user_name)
);

-- Plain SQL (inlined into the policies): the current role pushes for this
-- machine as this user; the current role may read a row of this machine,
-- user and project.
CREATE FUNCTION cco_owns(m text, u text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM cco_machines c WHERE c.machine = m AND c.user_name = u AND c.role_name = current_user)
$$;
CREATE FUNCTION cco_can_read(m text, u text, p text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT pg_has_role(current_user, 'cco_lead', 'MEMBER')
      OR EXISTS (SELECT 1 FROM cco_members r WHERE r.role_name = current_user
                   AND (r.user_name = u
                        OR EXISTS (SELECT 1 FROM cco_shared_projects s WHERE s.project = p AND s.user_name = r.user_name)))
      OR cco_owns(m, u)
$$;

-- What each machine has pushed: the high-water mark of its change sequence,
-- committed in the same transaction as the rows it covers.
CREATE TABLE push_marks (
  machine    text PRIMARY KEY,
  user_name  text NOT NULL,
  pushed_seq bigint NOT NULL,
  rows       bigint NOT NULL DEFAULT 0,
  pushed_at  timestamptz NOT NULL DEFAULT now(),
  project    text                 -- always NULL (policies take a project)
);

CREATE TABLE projects (
  machine       text NOT NULL,
  user_name     text NOT NULL,
  id            bigint NOT NULL,
  project       text NOT NULL,      -- dir_name
  cwd           text,
  first_seen_ms bigint,
  change_seq    bigint NOT NULL,
  gid           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,  -- one id across machines, for filters
  PRIMARY KEY (machine, id)
);

CREATE TABLE conversations (
  machine         text NOT NULL,
  user_name       text NOT NULL,
  id              bigint NOT NULL,
  project         text NOT NULL,
  session_id      text NOT NULL,
  project_id      bigint,
  title           text,
  title_source    text,
  message_count   bigint,
  tool_use_count  bigint,
  total_tokens    bigint,
  started_ms      bigint,
  ended_ms        bigint,
  change_seq      bigint NOT NULL,
  PRIMARY KEY (machine, id)
);
CREATE INDEX conversations_session ON conversations (session_id);

CREATE TABLE messages (
  machine               text NOT NULL,
  user_name             text NOT NULL,
  id                    bigint NOT NULL,
  project               text NOT NULL,
  conversation_id       bigint NOT NULL,
  uuid                  text,
  parent_uuid           text,
  type                  text NOT NULL,
  subtype               text,
  timestamp_ms          bigint,
  model                 text,
  api_message_id        text,
  request_id            text,
  is_sidechain          integer,
  is_meta               integer,
  agent_id              text,
  input_tokens          bigint,
  output_tokens         bigint,
  cache_creation_tokens bigint,
  cache_read_tokens     bigint,
  content               text,       -- searchable text; NULL with --usage-only
  raw                   bytea,      -- the line, byte-exact; NULL with --usage-only
  stop_reason           text,
  revisions             integer,
  change_seq            bigint NOT NULL,
  -- Full-text search over the first 200,000 characters (a tsvector holds
  -- at most 1 MB).
  content_tsv           tsvector GENERATED ALWAYS AS (to_tsvector('simple', left(coalesce(content, ''), 200000))) STORED,
  PRIMARY KEY (machine, id)
);
CREATE INDEX messages_tsv ON messages USING gin (content_tsv);
CREATE INDEX messages_conversation ON messages (machine, conversation_id, timestamp_ms);

CREATE TABLE events (
  machine         text NOT NULL,
  user_name       text NOT NULL,
  id              bigint NOT NULL,
  project         text NOT NULL,
  conversation_id bigint NOT NULL,
  uuid            text,
  type            text NOT NULL,
  subtype         text,
  timestamp_ms    bigint,
  raw             bytea,
  revisions       integer,
  change_seq      bigint NOT NULL,
  PRIMARY KEY (machine, id)
);

CREATE TABLE tool_executions (
  machine           text NOT NULL,
  user_name         text NOT NULL,
  id                bigint NOT NULL,
  project           text NOT NULL,
  tool_use_id       text NOT NULL,
  conversation_id   bigint,
  project_id        bigint,
  use_message_id    bigint,
  result_message_id bigint,
  tool_name         text,
  model             text,
  input             text,   -- NULL with --usage-only
  status            text,
  output            text,   -- NULL with --usage-only
  started_ms        bigint,
  completed_ms      bigint,
  duration_ms       bigint,
  tool_duration_ms  bigint,
  change_seq        bigint NOT NULL,
  PRIMARY KEY (machine, id)
);
CREATE INDEX tool_executions_started ON tool_executions (started_ms);

CREATE TABLE usage_winners (
  machine               text NOT NULL,
  user_name             text NOT NULL,
  dedup_key             text NOT NULL,
  project               text NOT NULL,
  api_message_id        text,
  request_id            text,
  source                text,
  source_id             bigint,
  conversation_id       bigint,
  project_id            bigint,
  report_session        text,
  agent_id              text NOT NULL,   -- the agent whose transcript the winner came from; '' for the main one
  agent_type            text NOT NULL,
  timestamp_ms          bigint NOT NULL,
  model                 text NOT NULL,
  input_tokens          bigint NOT NULL,
  output_tokens         bigint NOT NULL,
  cache_creation_tokens bigint NOT NULL,
  cache_read_tokens     bigint NOT NULL,
  cost_nanousd          bigint NOT NULL,
  priced                integer NOT NULL,
  change_seq            bigint NOT NULL,
  PRIMARY KEY (machine, dedup_key)
);
CREATE INDEX usage_winners_time ON usage_winners (timestamp_ms);
CREATE INDEX usage_winners_session ON usage_winners (report_session);

-- Rollups derived from the pushed winners (the sums of docs/schema.md
-- token_rollups, per machine and user): read with the reader's rights.
CREATE VIEW token_rollups WITH (security_invoker = true) AS
SELECT machine, user_name, project,
       timestamp_ms - ((timestamp_ms % 900000) + 900000) % 900000 AS bucket_ms, model,
       sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
       sum(cache_creation_tokens) AS cache_creation_tokens, sum(cache_read_tokens) AS cache_read_tokens,
       sum(cost_nanousd) AS cost_nanousd, count(*) AS api_calls, count(*) FILTER (WHERE priced = 0) AS unpriced_calls
FROM usage_winners
GROUP BY machine, user_name, project, 4, model;

-- Row-level security: a machine role writes only its own machine's rows;
-- reading follows cco_can_read.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['push_marks', 'projects', 'conversations', 'messages', 'events', 'tool_executions', 'usage_winners']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING (cco_can_read(machine, user_name, project))', t || '_read', t);
    EXECUTE format('CREATE POLICY %I ON %I FOR ALL TO cco_machine USING (cco_owns(machine, user_name)) WITH CHECK (cco_owns(machine, user_name))', t || '_write', t);
    EXECUTE format('GRANT SELECT ON %I TO cco_member, cco_lead, cco_machine', t);
    EXECUTE format('GRANT INSERT, UPDATE, DELETE ON %I TO cco_machine', t);
  END LOOP;
END $$;
GRANT SELECT ON cco_machines, cco_members, cco_shared_projects TO cco_machine, cco_member, cco_lead;
GRANT SELECT ON token_rollups TO cco_machine, cco_member, cco_lead;
