/**
 * The SQLite schema as an append-only list of migrations: migration i brings `PRAGMA user_version` from i
 * to i + 1. Never edit a shipped migration; add one.
 *
 * Times are INTEGER milliseconds since the epoch (compact, and range scans compare numbers). Lists that are
 * only displayed are JSON text. Query paths planned for later (incidents, the API): traces by time, by
 * verdict and time, by agent and time, and by foreign country or ASN through `foreign_hops`, which holds
 * only the few hops credibly abroad, of detours only (migration 2). `hops` has NO index on ip: at a million
 * traces (15 million hop rows) a secondary index on a random key slows every insert; `hops` is clustered by
 * (trace_id, ttl, seq) instead, so rows are appended and read back per trace.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );

  CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    token_id INTEGER NOT NULL UNIQUE REFERENCES tokens(id),
    name TEXT NOT NULL,
    lat REAL,
    lon REAL,
    engines TEXT NOT NULL DEFAULT '[]',
    max_concurrent INTEGER,
    max_per_minute INTEGER,
    agent_version TEXT,
    protocol_version INTEGER,
    address TEXT,
    connected INTEGER NOT NULL DEFAULT 0 CHECK (connected IN (0, 1)),
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL
  );

  CREATE TABLE results (
    id INTEGER PRIMARY KEY,
    result_id TEXT NOT NULL UNIQUE,
    agent_id TEXT NOT NULL REFERENCES agents(id),
    task_id TEXT,
    target TEXT NOT NULL,
    engine TEXT NOT NULL CHECK (engine IN ('scamper', 'mtr', 'traceroute')),
    started_at INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    received_at INTEGER NOT NULL,
    output TEXT NOT NULL,
    error TEXT
  );
  CREATE INDEX results_received ON results(received_at);
  -- Small: only results that did not parse, for the operator to look at (and to count cheaply).
  CREATE INDEX results_with_error ON results(received_at) WHERE error IS NOT NULL;

  CREATE TABLE traces (
    id INTEGER PRIMARY KEY,
    result_id INTEGER REFERENCES results(id),
    origin TEXT NOT NULL CHECK (origin IN ('agent', 'import')),
    agent_id TEXT,
    source_ip TEXT,
    destination_ip TEXT,
    destination_name TEXT,
    tool TEXT NOT NULL,
    method TEXT NOT NULL,
    ip_version INTEGER NOT NULL CHECK (ip_version IN (4, 6)),
    started_at INTEGER NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('domestic', 'detour', 'foreign-endpoint', 'inconclusive')),
    confidence TEXT CHECK (confidence IN ('confirmed', 'probable')),
    home_country TEXT NOT NULL,
    countries TEXT NOT NULL,
    foreign_countries TEXT NOT NULL,
    foreign_asns TEXT NOT NULL,
    extra_km REAL,
    verdict_json TEXT NOT NULL
  );
  CREATE INDEX traces_started ON traces(started_at);
  CREATE INDEX traces_verdict_started ON traces(verdict, started_at);
  CREATE INDEX traces_agent_started ON traces(agent_id, started_at);
  CREATE INDEX traces_result ON traces(result_id);

  CREATE TABLE hops (
    trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
    ttl INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    ip TEXT,
    rtt_ms REAL,
    replies INTEGER NOT NULL,
    status TEXT,
    country TEXT,
    asn INTEGER,
    PRIMARY KEY (trace_id, ttl, seq)
  ) WITHOUT ROWID;

  CREATE TABLE foreign_hops (
    trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
    ttl INTEGER NOT NULL,
    ip TEXT NOT NULL,
    country TEXT NOT NULL,
    asn INTEGER,
    confirmed INTEGER NOT NULL CHECK (confirmed IN (0, 1))
  );
  CREATE INDEX foreign_hops_country ON foreign_hops(country, trace_id);
  CREATE INDEX foreign_hops_asn ON foreign_hops(asn, trace_id);
  CREATE INDEX foreign_hops_trace ON foreign_hops(trace_id);
  `,
  // 1: the operators' history (server/incidents, server/history, server/alerts, server/import, server/retention):
  // incidents and their evidence, per-pair baselines, webhook deliveries, the key that makes imports
  // idempotent, and what retention has purged (partial indexes over what is still kept, so purging never
  // rescans what is gone).
  `
  CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    subject TEXT NOT NULL,
    agent_id TEXT,
    destination_prefix TEXT NOT NULL,
    countries TEXT NOT NULL,
    asns TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    trace_count INTEGER NOT NULL,
    confirmed_count INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    closed_at INTEGER,
    last_clear_at INTEGER,
    first_trace_id INTEGER NOT NULL,
    last_trace_id INTEGER NOT NULL
  );
  CREATE INDEX incidents_key ON incidents(key, last_seen);
  CREATE INDEX incidents_pair ON incidents(subject, destination_prefix, last_seen);
  CREATE INDEX incidents_open ON incidents(last_seen) WHERE state = 'open';

  CREATE TABLE incident_traces (
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    trace_id INTEGER NOT NULL REFERENCES traces(id),
    PRIMARY KEY (incident_id, trace_id)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX incident_traces_trace ON incident_traces(trace_id);

  CREATE TABLE baselines (
    id INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    target TEXT NOT NULL,
    agent_id TEXT,
    normal_json TEXT,
    latest_json TEXT NOT NULL,
    changed INTEGER NOT NULL CHECK (changed IN (0, 1)),
    UNIQUE (subject, target)
  );
  CREATE INDEX baselines_agent ON baselines(agent_id);

  CREATE TABLE history_state (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    event TEXT NOT NULL,
    incident_id INTEGER,
    url TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'dropped')),
    attempts INTEGER NOT NULL,
    http_status INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );

  ALTER TABLE traces ADD COLUMN import_key TEXT;
  CREATE UNIQUE INDEX traces_import_key ON traces(import_key) WHERE import_key IS NOT NULL;
  ALTER TABLE traces ADD COLUMN hops_purged_at INTEGER;
  -- Where the prober was when it measured (the agent's declared location, or the Atlas probe's), and the
  -- path's ASNs in order (JSON), which the verdict alone does not keep: what baselines compare.
  ALTER TABLE traces ADD COLUMN source_lat REAL;
  ALTER TABLE traces ADD COLUMN source_lon REAL;
  ALTER TABLE traces ADD COLUMN path_asns TEXT;
  CREATE INDEX traces_hops_kept ON traces(started_at) WHERE hops_purged_at IS NULL;
  CREATE INDEX traces_verdict_id ON traces(verdict);
  CREATE INDEX results_output_kept ON results(received_at) WHERE output <> '';
`,
  // 2: the operators' API at a million traces. `foreign_hops` keeps detours only (the sole reader asks for
  // detours; foreign-endpoint traces were most of its rows, so "detours via CA" read 635,000 of them).
  // (verdict, started_at) gains confidence, so a month of stats is counted from the index, not from the
  // 3.8 KB rows; the index it replaces served nothing the wider one does not.
  `
  DELETE FROM foreign_hops WHERE trace_id NOT IN (SELECT id FROM traces WHERE verdict = 'detour');
  DROP INDEX traces_verdict_started;
  CREATE INDEX traces_verdict_started_confidence ON traces(verdict, started_at, confidence);
`,
  // 3: the verdict `implausible` (server/plausibility: a trace no real tool could print, kept, never judged).
  // SQLite cannot change a CHECK constraint in place, so \`traces\` is rebuilt the way SQLite documents
  // (https://www.sqlite.org/lang_altertable.html#otheralter): same columns and ids, copied, renamed, indexes
  // recreated. migrate() runs it with foreign keys off (else dropping the old table would cascade into hops) and
  // checks them before the commit. It copies every trace once: on a large database the upgrade takes a while.
  `
  CREATE TABLE traces_v3 (
    id INTEGER PRIMARY KEY,
    result_id INTEGER REFERENCES results(id),
    origin TEXT NOT NULL CHECK (origin IN ('agent', 'import')),
    agent_id TEXT,
    source_ip TEXT,
    destination_ip TEXT,
    destination_name TEXT,
    tool TEXT NOT NULL,
    method TEXT NOT NULL,
    ip_version INTEGER NOT NULL CHECK (ip_version IN (4, 6)),
    started_at INTEGER NOT NULL,
    verdict TEXT NOT NULL
      CHECK (verdict IN ('domestic', 'detour', 'foreign-endpoint', 'inconclusive', 'implausible')),
    confidence TEXT CHECK (confidence IN ('confirmed', 'probable')),
    home_country TEXT NOT NULL,
    countries TEXT NOT NULL,
    foreign_countries TEXT NOT NULL,
    foreign_asns TEXT NOT NULL,
    extra_km REAL,
    verdict_json TEXT NOT NULL,
    import_key TEXT,
    hops_purged_at INTEGER,
    source_lat REAL,
    source_lon REAL,
    path_asns TEXT
  );
  INSERT INTO traces_v3 (id, result_id, origin, agent_id, source_ip, destination_ip, destination_name, tool,
    method, ip_version, started_at, verdict, confidence, home_country, countries, foreign_countries, foreign_asns,
    extra_km, verdict_json, import_key, hops_purged_at, source_lat, source_lon, path_asns)
  SELECT id, result_id, origin, agent_id, source_ip, destination_ip, destination_name, tool,
    method, ip_version, started_at, verdict, confidence, home_country, countries, foreign_countries, foreign_asns,
    extra_km, verdict_json, import_key, hops_purged_at, source_lat, source_lon, path_asns
  FROM traces;
  DROP TABLE traces;
  ALTER TABLE traces_v3 RENAME TO traces;
  CREATE INDEX traces_started ON traces(started_at);
  CREATE INDEX traces_agent_started ON traces(agent_id, started_at);
  CREATE INDEX traces_result ON traces(result_id);
  CREATE UNIQUE INDEX traces_import_key ON traces(import_key) WHERE import_key IS NOT NULL;
  CREATE INDEX traces_hops_kept ON traces(started_at) WHERE hops_purged_at IS NULL;
  CREATE INDEX traces_verdict_id ON traces(verdict);
  CREATE INDEX traces_verdict_started_confidence ON traces(verdict, started_at, confidence);
`,
  // 4: trust (issue 11). Tokens get a role (an agent's token or an operator's API key) and an owner (who runs
  // the agent: witness independence); `tasks` holds every task issued, so a result is accepted only as the
  // answer to one, once, within its window, also after a restart.
  `
  ALTER TABLE tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'operator'));
  ALTER TABLE tokens ADD COLUMN owner TEXT;
  CREATE TABLE tasks (
    task_id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents(id),
    target TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    deadline INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('issued', 'answered')),
    result_id TEXT,
    result_digest TEXT,
    answered_at INTEGER
  );
  CREATE INDEX tasks_issued ON tasks(issued_at);
`,
  // 5: witnesses and vantage checks (issue 11; server/incidents/witnesses.ts, server/trust/). Incidents group by
  // cause and keep their witnesses (a short JSON list) and when they were corroborated; incidents from before
  // were published when they opened, so they count as corroborated then. Per agent: its location status with
  // the evidence and its witness facts (agent_vantage), an operator's override (kept apart, so re-evaluation
  // never loses it), and the lowest RTT per thing it measured (vantage_samples, one row each, so the table
  // grows with what agents reach, not with traces).
  `
  ALTER TABLE incidents ADD COLUMN witnesses_json TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE incidents ADD COLUMN witness_count INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE incidents ADD COLUMN corroborated_at INTEGER;
  UPDATE incidents SET corroborated_at = first_seen;
  CREATE TABLE agent_vantage (
    agent_id TEXT PRIMARY KEY REFERENCES agents(id),
    status TEXT NOT NULL CHECK (status IN ('verified', 'unverified', 'contradicted')),
    owner TEXT,
    address_prefix TEXT,
    asn INTEGER,
    city TEXT,
    location_json TEXT NOT NULL,
    evaluated_at INTEGER NOT NULL
  );
  CREATE TABLE vantage_overrides (
    agent_id TEXT PRIMARY KEY REFERENCES agents(id),
    by_whom TEXT NOT NULL,
    note TEXT NOT NULL,
    at INTEGER NOT NULL
  );
  CREATE TABLE vantage_samples (
    agent_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('first-hop', 'mesh', 'landmark')),
    subject TEXT NOT NULL,
    rtt_ms REAL NOT NULL,
    lat REAL,
    lon REAL,
    asn INTEGER,
    city TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (agent_id, kind, subject)
  ) WITHOUT ROWID;
  CREATE INDEX vantage_samples_peer ON vantage_samples(subject) WHERE kind = 'mesh';
  CREATE INDEX vantage_samples_updated ON vantage_samples(updated_at);
`,
  // 6: implausible traces per agent (issue 19): the trust status and GET /api/v1/agents count them, a partial
  // index holds only those rows, so counting one agent's reads just its implausible traces.
  `
  CREATE INDEX traces_implausible_agent ON traces(agent_id, started_at) WHERE verdict = 'implausible';
`,
  // 7: router constraints (issue 15): per router address and agent the lowest RTT ever seen, with the agent's
  // position then (server/store/router-constraint-store.ts); one row per (address, agent), read by address.
  `
  CREATE TABLE router_constraints (
    ip TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    rtt_ms REAL NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    at INTEGER NOT NULL,
    name TEXT,
    PRIMARY KEY (ip, agent_id)
  ) WITHOUT ROWID;
`,
  // Alerts worth waking for (issue 14, item 3). A trace that arrived long after it ended (serve --late-after)
  // is marked late; a delivery names the webhook rule that let it through; maintenance windows per agent or
  // per target (an address or prefix) silence the alerts of what they cover, and the delivery record says so.
  `
  ALTER TABLE traces ADD COLUMN late INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1));
  ALTER TABLE webhook_deliveries ADD COLUMN rule TEXT;
  CREATE TABLE maintenance_windows (
    id INTEGER PRIMARY KEY,
    agent_id TEXT,
    target TEXT,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CHECK ((agent_id IS NULL) <> (target IS NULL)),
    CHECK (ends_at > starts_at)
  );
  CREATE INDEX maintenance_windows_ends ON maintenance_windows(ends_at);
`,
  // 9: the replayable event stream (issue 12; server/store/event-store.ts). AUTOINCREMENT: a seq is never
  // reused, even after retention deleted the newest rows, so a reader's Last-Event-ID stays meaningful. `at`
  // is indexed for retention; `events.pruned_through` is the retention mark (every seq up to it deleted).
  `
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    at INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX events_at ON events(at);
  INSERT INTO history_state (name, value) VALUES ('events.pruned_through', 0) ON CONFLICT (name) DO NOTHING;
`,
  // 10: several coordinators on one store (issue 12; sqlite/leases.ts, sqlite/deliveries.ts): which
  // coordinator instance holds each agent (one agent per token) until when, and which one sends each webhook
  // delivery.
  `
  CREATE TABLE agent_leases (
    token_id INTEGER PRIMARY KEY REFERENCES tokens(id),
    instance_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX agent_leases_instance ON agent_leases(instance_id);
  ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT;
  ALTER TABLE webhook_deliveries ADD COLUMN claimed_until INTEGER;
  CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(id) WHERE status = 'pending';
`,
  // Usual paths and route changes (issue 14, item 4; server/incidents/baseline.ts): a baseline keeps the counts
  // its usual AS and router paths come from (tally_json, bounded); each change of a pair's AS path is a row.
  `
  ALTER TABLE baselines ADD COLUMN tally_json TEXT;
  CREATE TABLE route_changes (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('new-path', 'new-usual')),
    subject TEXT NOT NULL,
    agent_id TEXT,
    target TEXT NOT NULL,
    at INTEGER NOT NULL,
    trace_id INTEGER NOT NULL,
    before_json TEXT NOT NULL,
    after_json TEXT NOT NULL,
    left_home INTEGER NOT NULL CHECK (left_home IN (0, 1))
  );
  CREATE INDEX route_changes_agent ON route_changes(agent_id, id);
  CREATE INDEX route_changes_target ON route_changes(target, id);
  CREATE INDEX route_changes_at ON route_changes(at);
  -- Imported RIPE Atlas traces show their probe (item 5); earlier imports have it in their key atlas:MSM:PRB:TS.
  ALTER TABLE traces ADD COLUMN probe_id INTEGER;
  UPDATE traces SET probe_id = CAST(substr(substr(import_key, instr(substr(import_key, 7), ':') + 7), 1,
      instr(substr(import_key, instr(substr(import_key, 7), ':') + 7), ':') - 1) AS INTEGER)
    WHERE import_key GLOB 'atlas:[0-9]*:[0-9]*:[0-9]*';
`,
  // Operators' corrections of router locations and the placement-change log (issue 15, items 5 and 6;
  // server/store/location-correction-store.ts). Re-judging finds the traces that used an address through
  // `hops_ip`: the one secondary index on hops. It costs every hop insert an index entry (STACK.md measured
  // the slowdown as the table grows); without it a correction could only be checked against, and re-judge,
  // what a scan of the window's traces finds. Partial: silent TTLs have no address.
  `
  CREATE TABLE location_corrections (
    ip TEXT PRIMARY KEY,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    country TEXT NOT NULL,
    region TEXT,
    city TEXT,
    note TEXT NOT NULL,
    by_whom TEXT NOT NULL,
    at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE placement_changes (
    id INTEGER PRIMARY KEY,
    ip TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('set', 'remove')),
    by_whom TEXT NOT NULL,
    at INTEGER NOT NULL,
    before_json TEXT,
    after_json TEXT,
    note TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending', 'applied', 'failed')),
    applied_at INTEGER,
    window_from INTEGER,
    traces_rejudged INTEGER NOT NULL DEFAULT 0,
    verdicts_changed INTEGER NOT NULL DEFAULT 0,
    changes_json TEXT NOT NULL DEFAULT '[]',
    error TEXT
  );
  CREATE INDEX placement_changes_pending ON placement_changes(id) WHERE state = 'pending';
  CREATE INDEX placement_changes_ip ON placement_changes(ip, id);
  CREATE INDEX hops_ip ON hops(ip) WHERE ip IS NOT NULL;
`,
  // Issue 13: a paste an operator saves from the map is a trace of origin `paste`, with who saved it (the
  // operator key's name). SQLite cannot widen the origin CHECK in place, so `traces` is rebuilt as in migration 3
  // (same columns and ids, copied, renamed, indexes recreated; foreign keys off, checked before the commit).
  // A column or index added to `traces` by an earlier step must be listed here too:
  // test/store/paste-migration.test.ts fails when one is lost.
  `
  CREATE TABLE traces_v13 (
    id INTEGER PRIMARY KEY,
    result_id INTEGER REFERENCES results(id),
    origin TEXT NOT NULL CHECK (origin IN ('agent', 'import', 'paste')),
    agent_id TEXT,
    source_ip TEXT,
    destination_ip TEXT,
    destination_name TEXT,
    tool TEXT NOT NULL,
    method TEXT NOT NULL,
    ip_version INTEGER NOT NULL CHECK (ip_version IN (4, 6)),
    started_at INTEGER NOT NULL,
    verdict TEXT NOT NULL
      CHECK (verdict IN ('domestic', 'detour', 'foreign-endpoint', 'inconclusive', 'implausible')),
    confidence TEXT CHECK (confidence IN ('confirmed', 'probable')),
    home_country TEXT NOT NULL,
    countries TEXT NOT NULL,
    foreign_countries TEXT NOT NULL,
    foreign_asns TEXT NOT NULL,
    extra_km REAL,
    verdict_json TEXT NOT NULL,
    import_key TEXT,
    hops_purged_at INTEGER,
    source_lat REAL,
    source_lon REAL,
    path_asns TEXT,
    late INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    probe_id INTEGER,
    saved_by TEXT
  );
  INSERT INTO traces_v13 (id, result_id, origin, agent_id, source_ip, destination_ip, destination_name, tool,
    method, ip_version, started_at, verdict, confidence, home_country, countries, foreign_countries, foreign_asns,
    extra_km, verdict_json, import_key, hops_purged_at, source_lat, source_lon, path_asns, late, probe_id)
  SELECT id, result_id, origin, agent_id, source_ip, destination_ip, destination_name, tool,
    method, ip_version, started_at, verdict, confidence, home_country, countries, foreign_countries, foreign_asns,
    extra_km, verdict_json, import_key, hops_purged_at, source_lat, source_lon, path_asns, late, probe_id
  FROM traces;
  DROP TABLE traces;
  ALTER TABLE traces_v13 RENAME TO traces;
  CREATE INDEX traces_started ON traces(started_at);
  CREATE INDEX traces_agent_started ON traces(agent_id, started_at);
  CREATE INDEX traces_result ON traces(result_id);
  CREATE UNIQUE INDEX traces_import_key ON traces(import_key) WHERE import_key IS NOT NULL;
  CREATE INDEX traces_hops_kept ON traces(started_at) WHERE hops_purged_at IS NULL;
  CREATE INDEX traces_verdict_id ON traces(verdict);
  CREATE INDEX traces_verdict_started_confidence ON traces(verdict, started_at, confidence);
  CREATE INDEX traces_implausible_agent ON traces(agent_id, started_at) WHERE verdict = 'implausible';
`,
  // 14 (issue 12, sqlite/leases.ts): the coordinators sharing this file, each with the machine and process it
  // runs as, so a lease whose holder's process is gone is taken over at once (PostgreSQL reads its sessions).
  `
  CREATE TABLE coordinator_instances (
    instance_id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    joined_at INTEGER NOT NULL
  );
`,
  // Issue 14 item 4, opt-in `route.changed` webhooks (server/alerts/route-change-alerts.ts): a delivery names
  // the route change it announces instead of an incident; one per (change, webhook), so coordinators sharing
  // the file that all see a change create its delivery once.
  `
  ALTER TABLE webhook_deliveries ADD COLUMN route_change_id INTEGER;
  CREATE UNIQUE INDEX webhook_deliveries_route_change ON webhook_deliveries(route_change_id, url)
    WHERE route_change_id IS NOT NULL;
`,
  // Issue 17 (server/store/verdict-codec.ts): a verdict is stored once, deflated, in verdict_z, with
  // verdict_json ''; rows stored before keep their JSON text and are read as they are (converting every row
  // would rewrite the whole table on a large store).
  `
  ALTER TABLE traces ADD COLUMN verdict_z BLOB;
`,
  // Issue 15 item 6 (server/placement/constraint-rejudge.ts): a placement change may be made by the stored
  // router constraints (kind 'constraints'); SQLite cannot alter a CHECK, so the table is rebuilt.
  `
  CREATE TABLE placement_changes_next (
    id INTEGER PRIMARY KEY,
    ip TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('set', 'remove', 'constraints')),
    by_whom TEXT NOT NULL,
    at INTEGER NOT NULL,
    before_json TEXT,
    after_json TEXT,
    note TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending', 'applied', 'failed')),
    applied_at INTEGER,
    window_from INTEGER,
    traces_rejudged INTEGER NOT NULL DEFAULT 0,
    verdicts_changed INTEGER NOT NULL DEFAULT 0,
    changes_json TEXT NOT NULL DEFAULT '[]',
    error TEXT
  );
  INSERT INTO placement_changes_next SELECT id, ip, kind, by_whom, at, before_json, after_json, note, state,
    applied_at, window_from, traces_rejudged, verdicts_changed, changes_json, error FROM placement_changes;
  DROP TABLE placement_changes;
  ALTER TABLE placement_changes_next RENAME TO placement_changes;
  CREATE INDEX placement_changes_pending ON placement_changes(id) WHERE state = 'pending';
  CREATE INDEX placement_changes_ip ON placement_changes(ip, id);
`,
];
