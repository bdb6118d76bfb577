package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strings"

	"smrlab/core/room"
	"smrlab/exercises"
	"smrlab/lessons"
	"smrlab/scenarios"
)

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // an API answer, read as JSON, never as HTML
	if err := enc.Encode(v); err != nil {
		writeError(w, http.StatusInternalServerError, "encoding the answer: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// writeError answers {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, struct {
		Error string `json:"error"`
	}{msg})
}

// teacher lets a request through only with the teacher key, as
// "Authorization: Bearer <key>". Wrong keys spend the address's budget of
// failures, so that the key cannot be guessed quickly.
func (h *Hub) teacher(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		switch {
		case !ok || key == "":
			h.met.refused.WithLabelValues("teacher_key").Inc()
			writeError(w, http.StatusUnauthorized, "this needs the teacher key, sent as the header Authorization: Bearer <key>")
		case h.keyFails.spent(remoteHost(r.RemoteAddr)):
			h.met.refused.WithLabelValues("key_rate").Inc()
			writeError(w, http.StatusTooManyRequests, "too many wrong teacher keys from your address: wait a few seconds")
		case !h.keyMatches(strings.TrimSpace(key)):
			h.keyFails.allow(remoteHost(r.RemoteAddr))
			h.met.refused.WithLabelValues("teacher_key").Inc()
			h.log.Info("wrong teacher key", "addr", r.RemoteAddr, "path", r.URL.Path)
			writeError(w, http.StatusForbidden, "wrong teacher key")
		default:
			next(w, r)
		}
	}
}

// createRequest is the body of POST /api/rooms.
type createRequest struct {
	Scenario string   `json:"scenario"` // a shipped scenario's file name; "" for the exercise's or the lab's
	Source   string   `json:"source"`   // a scenario's text, instead of a shipped one
	Seed     uint64   `json:"seed"`
	Bugs     []string `json:"bugs"`
	Exercise string   `json:"exercise"` // a shipped exercise's name; "" is free play
	Title    string   `json:"title"`
}

// createdRoom is the answer to POST /api/rooms.
type createdRoom struct {
	ID        string `json:"id"`
	Code      string `json:"code"`
	Join      string `json:"join"`
	Projector string `json:"projector"`
	Teacher   string `json:"teacher"`
}

// createRoom is POST /api/rooms: a new room, stored and claimed here.
func (h *Hub) createRoom(w http.ResponseWriter, r *http.Request) {
	var req createRequest
	if err := decodeStrict(http.MaxBytesReader(w, r.Body, h.lim.bodyBytesMax), &req); err != nil {
		writeError(w, http.StatusBadRequest, "the room's settings: "+err.Error())
		return
	}
	spec, err := h.spec(req)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	h.mu.Lock()
	n := len(h.byID) + len(h.loading)
	h.mu.Unlock()
	if n >= h.cfg.Rooms {
		h.met.refused.WithLabelValues("rooms").Inc()
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("this labserver serves %d rooms, its limit (-rooms): close one first", n))
		return
	}
	l, err := h.open(r.Context(), spec)
	if err != nil {
		var bad *badSpec
		if errors.As(err, &bad) {
			writeError(w, http.StatusBadRequest, bad.Error())
			return
		}
		h.log.Error("opening a room", "err", err)
		writeError(w, http.StatusInternalServerError, "opening the room: "+err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, createdRoom{
		ID: l.id, Code: l.code,
		Join:      "/join?code=" + l.code,
		Projector: "/?room=" + l.code + "&as=projector",
		Teacher:   "/?room=" + l.code + "&as=teacher",
	})
}

// badSpec is a room the teacher asked for that cannot be opened.
type badSpec struct{ err error }

func (e *badSpec) Error() string { return e.err.Error() }

// spec turns the request into the room's spec, reading the shipped
// scenario and exercise files it names.
func (h *Hub) spec(req createRequest) (room.Spec, error) {
	spec := room.Spec{Seed: req.Seed, Bugs: req.Bugs, Title: strings.TrimSpace(req.Title)}
	if len(spec.Title) > 100 {
		return spec, errors.New("title: at most 100 bytes")
	}
	switch {
	case req.Source != "":
		spec.File, spec.Scenario = "room.scn", req.Source
		if req.Scenario != "" {
			spec.File = path.Base(req.Scenario)
		}
	case req.Scenario != "":
		src, err := shippedScenario(req.Scenario)
		if err != nil {
			return spec, fmt.Errorf("scenario: %w", err)
		}
		spec.File, spec.Scenario = req.Scenario, string(src)
	}
	if req.Exercise != "" {
		src, ok := exercises.Source(req.Exercise)
		if !ok {
			return spec, fmt.Errorf("exercise: %q: no such exercise is shipped (GET /api/exercises lists them)", req.Exercise)
		}
		spec.Exercise, spec.ExerciseSource = req.Exercise, string(src)
		ex, err := room.ParseExercise(req.Exercise+".exercise", src)
		if err != nil {
			return spec, err
		}
		if spec.Scenario == "" && ex.Scenario != "" {
			src, err := shippedScenario(ex.Scenario)
			if err != nil {
				return spec, fmt.Errorf("exercise %s's scenario: %w", ex.Name, err)
			}
			spec.File, spec.Scenario = ex.Scenario, string(src)
		}
	}
	return spec, nil
}

// shippedScenario reads a scenario of package scenarios by its file name.
func shippedScenario(name string) ([]byte, error) {
	if !strings.HasSuffix(name, ".scn") || strings.ContainsAny(name, `/\`) {
		return nil, fmt.Errorf("%q: want the plain name of a shipped .scn file", name)
	}
	src, ok := scenarios.Source(name)
	if !ok {
		return nil, fmt.Errorf("%q: no such scenario is shipped", name)
	}
	return src, nil
}

// open makes a new room: a fresh id and join code, its native run, its
// records stored and its lease claimed before anyone hears of it.
func (h *Hub) open(ctx context.Context, spec room.Spec) (*roomLoop, error) {
	for range 10 {
		id, code := newRoomID(), newJoinCode()
		if _, taken, err := h.st.RoomByCode(ctx, code); err != nil {
			return nil, err
		} else if taken {
			continue
		}
		now := nowMs()
		r, out, err := newRoomSafely(id, code, spec, now)
		if err != nil {
			return nil, &badSpec{err}
		}
		if err := h.apply(ctx, out.Records); err != nil {
			return nil, err
		}
		if ok, err := h.claim(ctx, id, now); err != nil || !ok {
			return nil, fmt.Errorf("claiming the new room %s: %v", code, err)
		}
		l := newRoomLoop(h, r, now)
		h.mu.Lock()
		h.byID[id], h.byCode[code] = l, l
		h.met.rooms.Inc()
		h.wg.Add(1)
		go l.run()
		h.mu.Unlock()
		h.log.Info("room opened", "room", id, "code", code, "scenario", r.Spec().File, "seed", spec.Seed, "exercise", spec.Exercise)
		return l, nil
	}
	return nil, errors.New("no free join code after 10 tries")
}

// newRoomSafely is room.New, with a panic turned into an error.
func newRoomSafely(id, code string, spec room.Spec, now int64) (r *room.Room, out room.Output, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("opening the room panicked: %v", p)
		}
	}()
	return room.New(id, code, spec, now)
}

// roomInfo is a row of GET /api/rooms.
type roomInfo struct {
	ID       string `json:"id"`
	Code     string `json:"code"`
	Title    string `json:"title"`
	Exercise string `json:"exercise"`
	Created  int64  `json:"created"`
	Closed   int64  `json:"closed"`
	Seats    int    `json:"seats"`  // student seats
	Online   int    `json:"online"` // connections to this instance now
	Owner    string `json:"owner"`
}

// listRooms is GET /api/rooms: every room, open and closed, newest first.
func (h *Hub) listRooms(w http.ResponseWriter, r *http.Request) {
	rows, err := h.st.Rooms(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "listing the rooms: "+err.Error())
		return
	}
	list := make([]roomInfo, 0, len(rows))
	for _, row := range rows {
		seats, err := h.st.Seats(r.Context(), row.ID)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "listing the rooms: "+err.Error())
			return
		}
		info := roomInfo{ID: row.ID, Code: row.Code, Title: row.Spec.Title, Exercise: row.Spec.Exercise,
			Created: row.Created, Closed: row.Closed, Owner: row.Owner}
		for _, s := range seats {
			if s.Seat != room.Teacher {
				info.Seats++
			}
		}
		h.mu.Lock()
		if l := h.byID[row.ID]; l != nil {
			info.Online = int(l.online.Load())
		}
		h.mu.Unlock()
		list = append(list, info)
	}
	slices.SortStableFunc(list, func(a, b roomInfo) int { return int(b.Created - a.Created) })
	writeJSON(w, http.StatusOK, list)
}

// withRoom runs fn in the room's goroutine, restoring the room here first
// when no other live instance serves it.
func (h *Hub) withRoom(ctx context.Context, id string, fn func(l *roomLoop)) error {
	l, err := h.loadRoom(ctx, id)
	if err != nil {
		return err
	}
	return l.call(ctx, func() { fn(l) })
}

// closeRoom is POST /api/rooms/{id}/close. The closed room keeps its
// seats, inputs and audit log; its recording stays downloadable.
func (h *Hub) closeRoom(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	row, ok, err := h.st.RoomByID(r.Context(), id)
	switch {
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	case !ok:
		writeError(w, http.StatusNotFound, "no room has the id "+id)
		return
	case row.Closed != 0:
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "code": row.Code, "closed": row.Closed})
		return
	}
	var closed int64
	err = h.withRoom(r.Context(), id, func(l *roomLoop) {
		now := nowMs()
		if l.handle(l.r.Close(now, "teacher"), nil) {
			closed = now
		}
	})
	if err != nil || closed == 0 {
		h.apiRefusal(w, err, "closing room "+row.Code)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "code": row.Code, "closed": closed})
}

// apiRefusal answers a failed room operation.
func (h *Hub) apiRefusal(w http.ResponseWriter, err error, what string) {
	var ref *refusal
	switch {
	case errors.As(err, &ref) && ref.reason == "owner":
		writeError(w, http.StatusConflict, ref.msg)
	case errors.As(err, &ref):
		writeError(w, http.StatusServiceUnavailable, ref.msg)
	case err == nil:
		writeError(w, http.StatusServiceUnavailable, what+": the room stopped; try again")
	default:
		writeError(w, http.StatusInternalServerError, what+": "+err.Error())
	}
}

// recording is GET /api/rooms/{id}/recording: the branch as a trace
// header, which the single-user lab imports. A room served here answers
// from its goroutine; any other (closed, or on another instance) is
// replayed from the store, read-only.
func (h *Hub) recording(w http.ResponseWriter, r *http.Request) {
	rec, code, ok := h.fromRoom(w, r, func(rm *room.Room) []byte { return rm.Recording() })
	if ok {
		h.writeRecording(w, rec, code)
	}
}

// fromRoom computes f on the room of the request's {id}: in the room's
// goroutine when it is loaded here, else on a replay of its stored inputs
// (a closed room, or one another instance serves). It writes the error and
// returns false when there is no such room.
func (h *Hub) fromRoom(w http.ResponseWriter, r *http.Request, f func(*room.Room) []byte) ([]byte, string, bool) {
	id := r.PathValue("id")
	var out []byte
	h.mu.Lock()
	l := h.byID[id]
	h.mu.Unlock()
	if l != nil && l.call(r.Context(), func() { out = f(l.r) }) == nil {
		return out, l.code, true
	}
	row, ok, err := h.st.RoomByID(r.Context(), id)
	switch {
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
		return nil, "", false
	case !ok:
		writeError(w, http.StatusNotFound, "no room has the id "+id)
		return nil, "", false
	}
	rm, err := h.replay(r.Context(), row, nowMs())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return nil, "", false
	}
	return f(rm), row.Code, true
}

// grades is GET /api/rooms/{id}/grades.csv and grades.jsonl: the class's
// points (core/class), one row a student, or every scored event with its
// evidence; for a closed room too.
func (h *Hub) grades(ext string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data, code, ok := h.fromRoom(w, r, func(rm *room.Room) []byte {
			if ext == "csv" {
				return rm.GradesCSV()
			}
			return rm.GradesJSONL()
		})
		if !ok {
			return
		}
		ctype := "text/csv; charset=utf-8"
		if ext == "jsonl" {
			ctype = "application/x-ndjson"
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Disposition", `attachment; filename="room-`+code+`-grades.`+ext+`"`)
		w.Write(data)
	}
}

func (h *Hub) writeRecording(w http.ResponseWriter, rec []byte, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="room-`+code+`.json"`)
	w.Write(rec)
}

// audit is GET /api/audit.jsonl and GET /api/rooms/{id}/audit.jsonl.
func (h *Hub) audit(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id != "" {
		if _, ok, err := h.st.RoomByID(r.Context(), id); err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		} else if !ok {
			writeError(w, http.StatusNotFound, "no room has the id "+id)
			return
		}
	}
	var buf bytes.Buffer
	if err := h.st.Audit(r.Context(), id, &buf); err != nil {
		writeError(w, http.StatusInternalServerError, "reading the audit log: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/jsonl; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// exercises is GET /api/exercises: the shipped exercises, for the teacher's
// form (public: they hold no secret).
func (h *Hub) exercises(w http.ResponseWriter, r *http.Request) {
	list, err := exercises.List()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, list)
}

// lessons is GET /api/lessons: the shipped course, for the teacher's
// lesson picker (a lesson frame names a lesson by its file name).
func (h *Hub) lessons(w http.ResponseWriter, r *http.Request) {
	list, err := lessons.List()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, list)
}

// healthz is GET /healthz: the store answers.
func (h *Hub) healthz(w http.ResponseWriter, r *http.Request) {
	if _, _, err := h.st.Meta(r.Context(), teacherKeyMeta); err != nil {
		writeError(w, http.StatusServiceUnavailable, "the store does not answer: "+err.Error())
		return
	}
	h.mu.Lock()
	n := len(h.byID)
	h.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "instance": h.cfg.Instance, "store": h.st.Engine(),
		"rooms": n, "connections": h.conns.Load()})
}

// decodeStrict decodes one JSON value, refusing unknown fields and
// trailing data.
func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}
