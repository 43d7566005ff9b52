-- Joint cases (internal/casework): shared case files on the priority
-- cybercrimes, their leads, correlation keys and attachments.
--
-- Like a request, a case's state is a fold of its events: case_events is
-- the timeline this node holds (events made here, and those the other
-- participants replicated to it), and the columns of cases before "state"
-- are derived from it so lists and search can filter in SQL.

CREATE TABLE cases (
	id        TEXT PRIMARY KEY,
	reference TEXT NOT NULL,
	origin    TEXT NOT NULL,
	category  TEXT NOT NULL,
	status    TEXT NOT NULL,
	title     TEXT NOT NULL,
	parties   TEXT NOT NULL,
	agencies  TEXT NOT NULL,
	exercise  INTEGER NOT NULL,
	search    TEXT NOT NULL,
	lamport   BIGINT NOT NULL,
	created   BIGINT NOT NULL,
	updated   BIGINT NOT NULL,
	state     TEXT NOT NULL
);
CREATE INDEX cases_list ON cases (updated, id);
CREATE INDEX cases_reference ON cases (reference);

CREATE TABLE case_events (
	id          TEXT PRIMARY KEY,
	case_id     TEXT NOT NULL REFERENCES cases (id),
	lamport     BIGINT NOT NULL,
	party       TEXT NOT NULL,
	kind        TEXT NOT NULL,
	actor       TEXT NOT NULL,
	at          BIGINT NOT NULL,
	body        TEXT NOT NULL,
	envelope_id TEXT NOT NULL,
	recorded    BIGINT NOT NULL
);
CREATE INDEX case_events_order ON case_events (case_id, lamport, party, id);

-- Correlation index: one row per normalised value (indicator, account,
-- wallet, e-mail address, hash) per case item. Correlating a case is an
-- index lookup per value, so its cost follows the data, never the number
-- of case pairs.
CREATE TABLE case_keys (
	kind       TEXT NOT NULL,
	value      TEXT NOT NULL,
	case_id    TEXT NOT NULL REFERENCES cases (id),
	item_id    TEXT NOT NULL,
	originator TEXT NOT NULL,
	tlp        INTEGER NOT NULL,
	onward     INTEGER NOT NULL,
	PRIMARY KEY (kind, value, case_id, item_id)
);
CREATE INDEX case_keys_case ON case_keys (case_id);

-- Leads sent and received, into a case or as a proposal for a new one.
CREATE TABLE case_leads (
	id         TEXT PRIMARY KEY,
	case_id    TEXT NOT NULL,
	from_party TEXT NOT NULL,
	to_party   TEXT NOT NULL,
	outgoing   INTEGER NOT NULL,
	status     TEXT NOT NULL,
	reason     TEXT NOT NULL,
	title      TEXT NOT NULL,
	category   TEXT NOT NULL,
	body       TEXT NOT NULL,
	created    BIGINT NOT NULL,
	decided    BIGINT NOT NULL,
	decided_by TEXT NOT NULL
);
CREATE INDEX case_leads_list ON case_leads (created, id);

CREATE TABLE case_attachments (
	id       TEXT PRIMARY KEY,
	case_id  TEXT NOT NULL REFERENCES cases (id),
	item_id  TEXT NOT NULL,
	name     TEXT NOT NULL,
	size     BIGINT NOT NULL,
	sha256   TEXT NOT NULL,
	path     TEXT NOT NULL,
	added_by TEXT NOT NULL,
	added    BIGINT NOT NULL
);
CREATE INDEX case_attachments_case ON case_attachments (case_id, added);
