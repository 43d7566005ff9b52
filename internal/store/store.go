// Package store is the node's persistence layer: one interface, implemented
// once in portable SQL over database/sql and opened on SQLite (store/sqlite)
// or PostgreSQL (store/postgres). Domain packages never see SQL; they call
// the methods of Queries, inside InTx when several writes must commit
// together.
//
// Times are stored as Unix microseconds (BIGINT) and flags as integers so
// that the same statements run unchanged on both backends; only
// placeholders, error codes and locking differ, and those live in Dialect.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Callers map them to user-facing answers at the edge.
var (
	// ErrNotFound: the object does not exist (HTTP 404). It is also the
	// answer for objects the caller may not see, so existence is not leaked.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: a unique key is already taken (HTTP 409); retrying the
	// same write will fail again.
	ErrConflict = errors.New("store: conflict")
	// ErrAppendOnly: a write tried to change or remove an append-only record
	// (the audit trail). It indicates a bug or tampering and must be raised.
	ErrAppendOnly = errors.New("store: record is append-only")
)

// Store is an open database.
type Store interface {
	Queries
	// InTx runs fn in one write transaction: everything fn writes commits
	// together when it returns nil and is rolled back otherwise, including
	// when ctx is cancelled (for example by a draining shutdown).
	InTx(ctx context.Context, fn func(q Queries) error) error
	// Backend names the database engine ("sqlite" or "postgres").
	Backend() string
	// Ping checks that the database answers; /readyz uses it.
	Ping(ctx context.Context) error
	// SchemaVersion is the number of the last applied migration.
	SchemaVersion(ctx context.Context) (int, error)
	Close() error
}

// Queries are the reads and writes the domain needs. Every method that
// changes state is used by a domain service that also appends the matching
// audit entry in the same transaction.
type Queries interface {
	LedgerQueries
	ProgressQueries
	ExerciseQueries
	CreateAgency(ctx context.Context, a Agency) error
	ListAgencies(ctx context.Context) ([]Agency, error)
	GetAgency(ctx context.Context, code string) (Agency, error)

	CreateUser(ctx context.Context, u User) error
	GetUser(ctx context.Context, id string) (User, error)
	GetUserByName(ctx context.Context, username string) (User, error)
	ListUsers(ctx context.Context) ([]User, error)
	SetUserDisabled(ctx context.Context, id string, disabled bool) error

	CreateToken(ctx context.Context, t Token) error
	GetTokenByHash(ctx context.Context, hash string) (Token, error)
	ListTokens(ctx context.Context, userID string) ([]Token, error)
	RevokeToken(ctx context.Context, id string, at time.Time) error
	TouchToken(ctx context.Context, id string, at time.Time) error

	CreateContact(ctx context.Context, c Contact) error
	ListContacts(ctx context.Context) ([]Contact, error)
	GetContact(ctx context.Context, id string) (Contact, error)
	DeleteContact(ctx context.Context, id string) error

	CreateShift(ctx context.Context, s Shift) error
	// ListShifts returns the shifts that overlap [from, to), ordered by start.
	ListShifts(ctx context.Context, from, to time.Time) ([]Shift, error)

	UpsertPeer(ctx context.Context, p Peer) error
	GetPeer(ctx context.Context, party string) (Peer, error)
	ListPeers(ctx context.Context) ([]Peer, error)
	TouchPeer(ctx context.Context, party string, at time.Time) error

	// AppendAudit adds e to the end of the audit trail, filling Seq,
	// PrevHash and Hash. It is the only write the audit table accepts.
	AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	// ListAudit returns entries with Seq > after, oldest first, at most limit.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)

	FederationQueries
	IntelQueries
	RequestQueries
	WebQueries
	SampleQueries
	CaseQueries
}

// Agency is an organisation of the node's party (ministry of justice, police
// cyber unit, CERT...).
type Agency struct {
	Code    string    `json:"code"`
	Name    string    `json:"name"`
	Kind    string    `json:"kind"`
	Created time.Time `json:"created"`
}

// User is an account on the node. Roles are auth.Role values.
type User struct {
	ID           string    `json:"id"`
	Username     string    `json:"username"`
	DisplayName  string    `json:"display_name"`
	Agency       string    `json:"agency"`
	Roles        []string  `json:"roles"`
	PasswordHash string    `json:"-"`
	Language     string    `json:"language"`
	TimeZone     string    `json:"time_zone"`
	Disabled     bool      `json:"disabled"`
	Created      time.Time `json:"created"`
}

// Token is an API token. Only its SHA-256 hash is stored; the secret is
// shown once at creation.
type Token struct {
	ID       string    `json:"id"`
	UserID   string    `json:"user_id"`
	Name     string    `json:"name"`
	Hash     string    `json:"-"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires,omitzero"`
	LastUsed time.Time `json:"last_used,omitzero"`
	Revoked  time.Time `json:"revoked,omitzero"`
}

// Contact is a point of contact of the party's 24/7 network.
type Contact struct {
	ID        string    `json:"id"`
	Agency    string    `json:"agency"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Languages []string  `json:"languages"`
	TimeZone  string    `json:"time_zone"`
	Phone     string    `json:"phone,omitempty"`
	Email     string    `json:"email,omitempty"`
	Created   time.Time `json:"created"`
}

// Shift puts a contact on call for [Start, End) as primary or backup.
type Shift struct {
	ID        string    `json:"id"`
	ContactID string    `json:"contact_id"`
	Position  string    `json:"position"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
}

// Peer is a paired node whose keys are pinned.
type Peer struct {
	Party          string    `json:"party"`
	Name           string    `json:"name"`
	Endpoint       string    `json:"endpoint"`
	SigningKey     []byte    `json:"signing_key"`
	EncryptionKey  []byte    `json:"encryption_key"`
	TLSFingerprint string    `json:"tls_fingerprint"`
	Descriptor     []byte    `json:"-"`
	Added          time.Time `json:"added"`
	Updated        time.Time `json:"updated"`
	LastContact    time.Time `json:"last_contact,omitzero"`
}

// AuditEntry records one state-changing action. Entries are chained: Hash
// covers PrevHash and every field, so a removed or altered row breaks the
// chain (audit.VerifyChain).
type AuditEntry struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	BeforeHash string    `json:"before_hash,omitempty"`
	AfterHash  string    `json:"after_hash,omitempty"`
	Detail     string    `json:"detail,omitempty"`
	PrevHash   string    `json:"prev_hash"`
	Hash       string    `json:"hash"`
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	After      int64
	Limit      int
	Actor      string
	ObjectType string
	ObjectID   string
}
