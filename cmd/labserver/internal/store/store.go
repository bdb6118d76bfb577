// Package store keeps the classroom rooms of the labserver: rooms, seats,
// every room's ordered inputs, the audit log and a few settings. One schema
// lives in either of two engines: SQLite in a file (the default, embedded,
// pure Go, nothing to set up) or PostgreSQL (several labserver instances
// sharing their rooms, each room leased by one instance at a time).
//
// Whatever Apply returned nil for is stored: the shell sends a room's frames
// only after its records are applied, so a student never sees what a
// restarted server would not replay.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"smrlab/core/room"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
)

// SchemaVersion is the version of the tables this package reads and writes,
// stored in meta under the key "schema". Open refuses a store written by a
// newer labserver instead of misreading it.
const SchemaVersion = 1

// busyTimeoutMs is how long an SQLite connection waits for another writer
// (another connection of this process, or a second process on the same file)
// before it gives up with "database is locked".
const busyTimeoutMs = 10_000

// maxIdleConns is how many connections the store keeps open between uses.
const maxIdleConns = 16

// Store is an open store. It is safe for concurrent use.
type Store struct {
	db     *sql.DB
	engine string // "sqlite" or "postgres"
	where  string // the file, or the database without its password, for errors
	// writeMu queues this process's SQLite writers in Go. SQLite takes one
	// writer at a time anyway; without the queue the others poll under
	// busy_timeout, sleeping up to 100 ms between tries: in BenchmarkApply
	// (8 rooms writing at once, a loaded 2-core machine, 3 runs each way)
	// the slowest Apply took 0.8-2.0 s without it, 0.17-0.52 s with it, at
	// the same p99. PostgreSQL needs no queue.
	writeMu sync.Mutex
}

// lockWrite takes the SQLite writer's turn; the returned func gives it back.
func (s *Store) lockWrite() func() {
	if s.engine != "sqlite" {
		return func() {}
	}
	s.writeMu.Lock()
	return s.writeMu.Unlock
}

// RoomRow is a room as stored: what the teacher opened, its lease, and the
// last progress the shell stored (the time, state hash and clock that a
// restored room must reach again).
type RoomRow struct {
	ID      string
	Code    string
	Spec    room.Spec
	Created int64  // wall ms
	Closed  int64  // wall ms, 0 while open
	Owner   string // the instance that holds the room's lease, "" if none ever did
	LeaseMs int64  // wall ms until which Owner holds the room
	At      int64  // virtual µs of the last stored progress
	Hash    string // the room's state hash at At, "" before any progress
	Clock   room.Clock
}

// Record is the row as the RecordRoom that room.Restore takes.
func (r RoomRow) Record() room.Record {
	return room.Record{Kind: room.RecordRoom, Room: r.ID, Code: r.Code, Spec: r.Spec, Created: r.Created, Closed: r.Closed}
}

// Progress is the row's last stored progress as a RecordProgress, or the
// zero Record if none was stored (what room.Restore takes for "none").
func (r RoomRow) Progress() room.Record {
	if r.Hash == "" {
		return room.Record{}
	}
	return room.Record{Kind: room.RecordProgress, Room: r.ID, At: r.At, Hash: r.Hash, Clock: r.Clock}
}

// IsPostgres reports whether dsn names a PostgreSQL database rather than an
// SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the store named by dsn: a postgres:// or postgresql:// URL, or
// else the path of an SQLite file (created if missing). It creates the
// tables if they are missing and refuses a store of a newer schema.
func Open(ctx context.Context, dsn string) (*Store, error) {
	s, err := open(dsn)
	if err != nil {
		return nil, err
	}
	// Keep connections between writes: database/sql keeps 2 idle by
	// default, and each room's goroutine writes, so more would be closed
	// and opened again (a PostgreSQL connection is a server process; an
	// SQLite one re-reads the schema and re-runs its pragmas).
	s.db.SetMaxIdleConns(maxIdleConns)
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, s.errorf(err, "connect")
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

func open(dsn string) (*Store, error) {
	if IsPostgres(dsn) {
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, fmt.Errorf("store: the PostgreSQL URL is not a URL: %w", err)
		}
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", u.Redacted(), err)
		}
		return &Store{db: db, engine: "postgres", where: u.Redacted()}, nil
	}
	if dsn == "" {
		return nil, errors.New("store: no database given (a file path for SQLite, or postgres://...)")
	}
	if strings.ContainsAny(dsn, "?#") || strings.HasPrefix(dsn, "file:") {
		return nil, fmt.Errorf("store: %q: an SQLite store is a plain file path (without '?', '#' or file:)", dsn)
	}
	// WAL lets readers go on while one connection writes. In WAL mode
	// synchronous=NORMAL syncs the log only at checkpoints: a transaction
	// that committed survives the labserver being killed (SIGKILL, a panic,
	// an OOM kill), since its pages are in the WAL file the OS holds; only a
	// power loss or an OS crash can lose the last transactions, which a
	// classroom server can afford for the speed. _txlock=immediate takes the
	// write lock at BEGIN, so two writers queue on busy_timeout instead of
	// failing when one upgrades a read lock.
	q := "?_txlock=immediate" +
		"&_pragma=" + url.QueryEscape(fmt.Sprintf("busy_timeout(%d)", busyTimeoutMs)) +
		"&_pragma=" + url.QueryEscape("journal_mode(WAL)") +
		"&_pragma=" + url.QueryEscape("synchronous(NORMAL)")
	db, err := sql.Open("sqlite", dsn+q)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", dsn, err)
	}
	return &Store{db: db, engine: "sqlite", where: dsn}, nil
}

// Close closes the store.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return s.errorf(err, "close")
	}
	return nil
}

// Engine says which engine holds the store: "sqlite" or "postgres".
func (s *Store) Engine() string { return s.engine }

// Where names the store for logs: the SQLite file or the PostgreSQL URL
// without its password.
func (s *Store) Where() string { return s.where }

func (s *Store) errorf(err error, format string, args ...any) error {
	return fmt.Errorf("store %s %s: %s: %w", s.engine, s.where, fmt.Sprintf(format, args...), err)
}

// q adapts a query written with PostgreSQL's $1 placeholders to the engine:
// SQLite reads the same numbers as ?1.
func (s *Store) q(query string) string {
	if s.engine == "sqlite" {
		return strings.ReplaceAll(query, "$", "?")
	}
	return query
}

// The tables, the same for both engines but for the audit log's key.
const schemaTables = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rooms (
	id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, spec TEXT NOT NULL, created_ms BIGINT NOT NULL,
	closed_ms BIGINT NOT NULL DEFAULT 0, owner TEXT NOT NULL DEFAULT '', lease_ms BIGINT NOT NULL DEFAULT 0,
	at BIGINT NOT NULL DEFAULT 0, hash TEXT NOT NULL DEFAULT '', clock TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS seats (
	room TEXT, seat INTEGER, token_hash TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
	created_ms BIGINT NOT NULL, PRIMARY KEY (room, seat));
CREATE TABLE IF NOT EXISTS inputs (room TEXT, n BIGINT, body TEXT NOT NULL, PRIMARY KEY (room, n));
`

const auditSQLite = `CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT,
	room TEXT NOT NULL, at_ms BIGINT NOT NULL, actor TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL)`

const auditPostgres = `CREATE TABLE IF NOT EXISTS audit (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	room TEXT NOT NULL, at_ms BIGINT NOT NULL, actor TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL)`

// migrateLockID serialises the schema check of instances that open one
// PostgreSQL database at once (CREATE TABLE IF NOT EXISTS races otherwise).
const migrateLockID = 0x736d726c6162 // "smrlab"

// migrate creates the tables if missing and checks the schema version, in
// one transaction.
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.errorf(err, "begin the schema check")
	}
	defer tx.Rollback()
	audit := auditSQLite
	if s.engine == "postgres" {
		audit = auditPostgres
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLockID)); err != nil {
			return s.errorf(err, "lock the schema check")
		}
	}
	for _, stmt := range append(strings.Split(schemaTables, ";"), audit) {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return s.errorf(err, "create table: %s", firstLine(stmt))
		}
	}
	var v string
	err = tx.QueryRowContext(ctx, s.q(`SELECT value FROM meta WHERE key = $1`), "schema").Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO meta (key, value) VALUES ($1, $2)`), "schema", strconv.Itoa(SchemaVersion)); err != nil {
			return s.errorf(err, "write the schema version")
		}
	case err != nil:
		return s.errorf(err, "read the schema version")
	default:
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("store %s %s: meta schema = %q is not a version number", s.engine, s.where, v)
		}
		if n > SchemaVersion {
			return fmt.Errorf("store %s %s: schema version %d was written by a newer labserver; this one knows version %d: run the newer labserver or another database",
				s.engine, s.where, n, SchemaVersion)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.errorf(err, "commit the schema check")
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// storedClock is the room's clock as stored: every field of room.Clock,
// with the wall time of its anchor (which the protocol's JSON leaves out).
// It converts to and from room.Clock, so a field added there stops the
// build here until it is stored too.
type storedClock struct {
	Playing  bool   `json:"playing"`
	SpeedPpm int64  `json:"speedPpm"`
	At       int64  `json:"at"`
	Ms       int64  `json:"ms"`
	N        uint64 `json:"n"`
}

// Apply stores recs in one transaction: all of them or none. An input whose
// (room, n) is already stored fails the whole transaction: two instances
// writing one room cannot both succeed. On return without error the records
// survive the labserver being killed.
func (s *Store) Apply(ctx context.Context, recs []room.Record) error {
	if len(recs) == 0 {
		return nil
	}
	defer s.lockWrite()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.errorf(err, "apply %d records: begin", len(recs))
	}
	defer tx.Rollback()
	for i, r := range recs {
		if err := s.apply1(ctx, tx, r); err != nil {
			return s.errorf(err, "apply record %d of %d (%s), nothing stored", i+1, len(recs), describe(r))
		}
	}
	if err := tx.Commit(); err != nil {
		return s.errorf(err, "apply %d records: commit, nothing stored", len(recs))
	}
	return nil
}

// describe names a record in an error.
func describe(r room.Record) string {
	switch r.Kind {
	case room.RecordRoom:
		return fmt.Sprintf("room %s code %s", r.Room, r.Code)
	case room.RecordSeat:
		return fmt.Sprintf("seat %d of room %s", r.Seat.Seat, r.Room)
	case room.RecordInput:
		return fmt.Sprintf("input n=%d of room %s", r.Input.N, r.Room)
	case room.RecordAudit:
		return fmt.Sprintf("audit %s of room %s", r.Audit.Kind, r.Room)
	case room.RecordProgress:
		return fmt.Sprintf("progress at %d µs of room %s", r.At, r.Room)
	}
	return fmt.Sprintf("kind %d of room %s", r.Kind, r.Room)
}

func (s *Store) apply1(ctx context.Context, tx *sql.Tx, r room.Record) error {
	if r.Room == "" && r.Kind != room.RecordAudit {
		return errors.New("no room id")
	}
	switch r.Kind {
	case room.RecordRoom:
		spec, err := json.Marshal(r.Spec)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO rooms (id, code, spec, created_ms, closed_ms) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, closed_ms = excluded.closed_ms`),
			r.Room, r.Code, string(spec), r.Created, r.Closed)
		return err
	case room.RecordSeat:
		role, err := json.Marshal(r.Seat.Role)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO seats (room, seat, token_hash, name, role, created_ms) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (room, seat) DO UPDATE SET token_hash = excluded.token_hash, name = excluded.name, role = excluded.role`),
			r.Room, int64(r.Seat.Seat), r.Seat.TokenHash, r.Seat.Name, string(role), r.Seat.Created)
		return err
	case room.RecordInput:
		if r.Input.N == 0 || r.Input.N > 1<<62 {
			return fmt.Errorf("input number %d out of range", r.Input.N)
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO inputs (room, n, body) VALUES ($1, $2, $3)`),
			r.Room, int64(r.Input.N), string(r.Input.Body))
		return err
	case room.RecordAudit:
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit (room, at_ms, actor, kind, detail) VALUES ($1, $2, $3, $4, $5)`),
			r.Room, r.Audit.AtMs, r.Audit.Actor, r.Audit.Kind, r.Audit.Detail)
		return err
	case room.RecordProgress:
		clock, err := json.Marshal(storedClock(r.Clock))
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE rooms SET at = $1, hash = $2, clock = $3 WHERE id = $4`),
			r.At, r.Hash, string(clock), r.Room)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errors.New("no such room")
		}
		return nil
	}
	return fmt.Errorf("unknown record kind %d", r.Kind)
}

const roomColumns = `id, code, spec, created_ms, closed_ms, owner, lease_ms, at, hash, clock`

func (s *Store) scanRoom(row interface{ Scan(...any) error }) (RoomRow, error) {
	var r RoomRow
	var spec, clock string
	if err := row.Scan(&r.ID, &r.Code, &spec, &r.Created, &r.Closed, &r.Owner, &r.LeaseMs, &r.At, &r.Hash, &clock); err != nil {
		return RoomRow{}, err
	}
	if err := json.Unmarshal([]byte(spec), &r.Spec); err != nil {
		return RoomRow{}, fmt.Errorf("room %s: spec: %w", r.ID, err)
	}
	if clock != "" {
		var c storedClock
		if err := json.Unmarshal([]byte(clock), &c); err != nil {
			return RoomRow{}, fmt.Errorf("room %s: clock: %w", r.ID, err)
		}
		r.Clock = room.Clock(c)
	}
	return r, nil
}

// Rooms returns every room, open and closed, oldest first.
func (s *Store) Rooms(ctx context.Context) ([]RoomRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+roomColumns+` FROM rooms ORDER BY created_ms, id`)
	if err != nil {
		return nil, s.errorf(err, "list rooms")
	}
	defer rows.Close()
	var out []RoomRow
	for rows.Next() {
		r, err := s.scanRoom(rows)
		if err != nil {
			return nil, s.errorf(err, "list rooms")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf(err, "list rooms")
	}
	return out, nil
}

// RoomByCode returns the room with the join code, and whether there is one.
func (s *Store) RoomByCode(ctx context.Context, code string) (RoomRow, bool, error) {
	return s.roomWhere(ctx, "code", code)
}

// RoomByID returns the room with the id, and whether there is one.
func (s *Store) RoomByID(ctx context.Context, id string) (RoomRow, bool, error) {
	return s.roomWhere(ctx, "id", id)
}

func (s *Store) roomWhere(ctx context.Context, column, value string) (RoomRow, bool, error) {
	r, err := s.scanRoom(s.db.QueryRowContext(ctx, s.q(`SELECT `+roomColumns+` FROM rooms WHERE `+column+` = $1`), value))
	if errors.Is(err, sql.ErrNoRows) {
		return RoomRow{}, false, nil
	}
	if err != nil {
		return RoomRow{}, false, s.errorf(err, "read room %s %s", column, value)
	}
	return r, true, nil
}

// Seats returns the room's seats in seat order.
func (s *Store) Seats(ctx context.Context, roomID string) ([]room.SeatRow, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT seat, token_hash, name, role, created_ms FROM seats WHERE room = $1 ORDER BY seat`), roomID)
	if err != nil {
		return nil, s.errorf(err, "read the seats of room %s", roomID)
	}
	defer rows.Close()
	var out []room.SeatRow
	for rows.Next() {
		var r room.SeatRow
		var seat int64
		var role string
		if err := rows.Scan(&seat, &r.TokenHash, &r.Name, &role, &r.Created); err != nil {
			return nil, s.errorf(err, "read the seats of room %s", roomID)
		}
		r.Seat = room.SeatID(seat)
		if err := json.Unmarshal([]byte(role), &r.Role); err != nil {
			return nil, s.errorf(err, "read seat %d of room %s: role %q", seat, roomID, role)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf(err, "read the seats of room %s", roomID)
	}
	return out, nil
}

// Inputs returns the room's inputs ordered by n.
func (s *Store) Inputs(ctx context.Context, roomID string) ([]room.Input, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT n, body FROM inputs WHERE room = $1 ORDER BY n`), roomID)
	if err != nil {
		return nil, s.errorf(err, "read the inputs of room %s", roomID)
	}
	defer rows.Close()
	var out []room.Input
	for rows.Next() {
		var n int64
		var body string
		if err := rows.Scan(&n, &body); err != nil {
			return nil, s.errorf(err, "read the inputs of room %s", roomID)
		}
		out = append(out, room.Input{N: uint64(n), Body: []byte(body)})
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf(err, "read the inputs of room %s", roomID)
	}
	return out, nil
}

// auditLine is one line of the exported audit log, fields in this order.
type auditLine struct {
	Room   string `json:"room"`
	AtMs   int64  `json:"at_ms"`
	Actor  string `json:"actor"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// Audit writes the audit log of one room, or of every room when roomID is
// "", to w as JSON Lines in the order the entries were stored.
func (s *Store) Audit(ctx context.Context, roomID string, w io.Writer) error {
	query, args := `SELECT room, at_ms, actor, kind, detail FROM audit ORDER BY id`, []any(nil)
	what := "every room"
	if roomID != "" {
		query, args = s.q(`SELECT room, at_ms, actor, kind, detail FROM audit WHERE room = $1 ORDER BY id`), []any{roomID}
		what = "room " + roomID
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return s.errorf(err, "read the audit log of %s", what)
	}
	defer rows.Close()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for rows.Next() {
		var l auditLine
		if err := rows.Scan(&l.Room, &l.AtMs, &l.Actor, &l.Kind, &l.Detail); err != nil {
			return s.errorf(err, "read the audit log of %s", what)
		}
		if err := enc.Encode(l); err != nil {
			return fmt.Errorf("store: write the audit log of %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return s.errorf(err, "read the audit log of %s", what)
	}
	return nil
}

// Claim takes or renews the room's lease for instance until nowMs+leaseMs.
// It succeeds when instance already owns the room or the lease ran out
// (lease_ms < nowMs), in one UPDATE, so of two instances claiming a free
// room at once exactly one wins. A room that is not stored is an error.
func (s *Store) Claim(ctx context.Context, roomID, instance string, nowMs, leaseMs int64) (bool, error) {
	if instance == "" {
		return false, fmt.Errorf("store: claim room %s: no instance name", roomID)
	}
	unlock := s.lockWrite()
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE rooms SET owner = $1, lease_ms = $2 WHERE id = $3 AND (owner = $1 OR lease_ms < $4)`),
		instance, nowMs+leaseMs, roomID, nowMs)
	unlock()
	if err != nil {
		return false, s.errorf(err, "claim room %s for %s", roomID, instance)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.errorf(err, "claim room %s for %s", roomID, instance)
	}
	if n == 1 {
		return true, nil
	}
	if _, ok, err := s.RoomByID(ctx, roomID); err != nil {
		return false, err
	} else if !ok {
		return false, fmt.Errorf("store %s %s: claim room %s for %s: no such room", s.engine, s.where, roomID, instance)
	}
	return false, nil
}

// Meta returns the setting stored under key, and whether there is one.
func (s *Store) Meta(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT value FROM meta WHERE key = $1`), key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, s.errorf(err, "read meta %s", key)
	}
	return v, true, nil
}

// SetMeta stores value under key, replacing what was there.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	defer s.lockWrite()()
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`), key, value)
	if err != nil {
		return s.errorf(err, "write meta %s", key)
	}
	return nil
}
