package export_test

// Validators that read each format back as the tool that opens it would,
// and the negative cases that prove each of them can fail.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// ---- Perfetto: the Chrome Trace Event Format ----

type perfettoEvent struct {
	Name string          `json:"name"`
	Cat  string          `json:"cat"`
	Ph   string          `json:"ph"`
	Ts   *float64        `json:"ts"`
	Dur  *float64        `json:"dur"`
	Pid  *int            `json:"pid"`
	Tid  *int            `json:"tid"`
	ID   json.RawMessage `json:"id"`
	Bp   string          `json:"bp"`
	S    string          `json:"s"`
	Args map[string]any  `json:"args"`
}

type perfettoFile struct {
	TraceEvents     []perfettoEvent `json:"traceEvents"`
	DisplayTimeUnit string          `json:"displayTimeUnit"`
	Metadata        map[string]any  `json:"metadata"`
}

type track struct{ pid, tid int }

// ns turns microseconds with fractions into whole nanoseconds.
func ns(us float64) int64 { return int64(math.Round(us * 1000)) }

// validatePerfetto checks the rules Perfetto and chrome://tracing rely on:
// every event has ph, ts, pid and tid; a complete slice has a duration of
// zero or more; the slices of one track nest (none ends inside another that
// it started inside of); every track is named; every flow start has one
// finish with the same name and category, no earlier, and each end binds to
// a slice that encloses it on its track; every async begin has its end.
func validatePerfetto(data []byte) error {
	var f perfettoFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("not Trace Event Format JSON: %w", err)
	}
	if f.DisplayTimeUnit != "ms" && f.DisplayTimeUnit != "ns" {
		return fmt.Errorf("displayTimeUnit %q", f.DisplayTimeUnit)
	}
	if len(f.TraceEvents) == 0 {
		return errors.New("no traceEvents")
	}
	named, used := map[track]bool{}, map[track]string{}
	slicesOf := map[track][][2]int64{}
	type flowEnd struct {
		ts   int64
		at   track
		name string
	}
	starts, finishes := map[string]flowEnd{}, map[string]flowEnd{}
	asyncOpen := map[string]int64{}
	for i, e := range f.TraceEvents {
		if e.Ph == "" || e.Ts == nil || e.Pid == nil || e.Tid == nil {
			return fmt.Errorf("event %d (%s): lacks ph, ts, pid or tid", i, e.Name)
		}
		at, ts := track{*e.Pid, *e.Tid}, ns(*e.Ts)
		switch e.Ph {
		case "M":
			if e.Name == "thread_name" {
				if name, _ := e.Args["name"].(string); name == "" {
					return fmt.Errorf("event %d: thread_name without a name", i)
				}
				named[at] = true
			}
		case "X":
			if e.Dur == nil || *e.Dur < 0 {
				return fmt.Errorf("event %d (%s): a complete slice needs a duration >= 0", i, e.Name)
			}
			slicesOf[at] = append(slicesOf[at], [2]int64{ts, ts + ns(*e.Dur)})
		case "i":
			if e.S != "t" && e.S != "p" && e.S != "g" {
				return fmt.Errorf("event %d (%s): instant scope %q", i, e.Name, e.S)
			}
		case "s", "f":
			if len(e.ID) == 0 {
				return fmt.Errorf("event %d (%s): flow event without an id", i, e.Name)
			}
			key := e.Cat + "/" + string(e.ID)
			m := starts
			if e.Ph == "f" {
				m = finishes
				if e.Bp != "e" {
					return fmt.Errorf("event %d: flow finish %s binds to the next slice, not its own", i, key)
				}
			}
			if _, dup := m[key]; dup {
				return fmt.Errorf("event %d: flow %s has two %q events", i, key, e.Ph)
			}
			m[key] = flowEnd{ts, at, e.Name}
		case "b":
			key := e.Cat + "/" + string(e.ID)
			if _, dup := asyncOpen[key]; dup {
				return fmt.Errorf("event %d: async slice %s begins twice", i, key)
			}
			asyncOpen[key] = ts
		case "e":
			key := e.Cat + "/" + string(e.ID)
			from, ok := asyncOpen[key]
			if !ok || ts < from {
				return fmt.Errorf("event %d: async end %s without an earlier begin", i, key)
			}
			delete(asyncOpen, key)
		default:
			return fmt.Errorf("event %d: unexpected phase %q", i, e.Ph)
		}
		if e.Ph != "M" && used[at] == "" {
			used[at] = fmt.Sprintf("event %d (%s)", i, e.Name)
		}
	}
	for at, first := range used {
		if !named[at] {
			return fmt.Errorf("%s: track pid %d tid %d has no thread_name", first, at.pid, at.tid)
		}
	}
	for key := range asyncOpen {
		return fmt.Errorf("async slice %s never ends", key)
	}
	for at, list := range slicesOf {
		if err := checkNesting(list); err != nil {
			return fmt.Errorf("track pid %d tid %d: %w", at.pid, at.tid, err)
		}
	}
	keys := make([]string, 0, len(starts))
	for k := range starts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		s := starts[key]
		fin, ok := finishes[key]
		switch {
		case !ok:
			return fmt.Errorf("flow %s starts but never finishes", key)
		case fin.ts < s.ts:
			return fmt.Errorf("flow %s finishes before it starts", key)
		case fin.name != s.name:
			return fmt.Errorf("flow %s: start %q and finish %q differ in name", key, s.name, fin.name)
		case !encloses(slicesOf[s.at], s.ts):
			return fmt.Errorf("flow %s starts where no slice encloses it", key)
		case !encloses(slicesOf[fin.at], fin.ts):
			return fmt.Errorf("flow %s finishes where no slice encloses it", key)
		}
		delete(finishes, key)
	}
	for key := range finishes {
		return fmt.Errorf("flow %s finishes but never starts", key)
	}
	return nil
}

// checkNesting checks that slices [start, end] on one track nest.
func checkNesting(list [][2]int64) error {
	list = slices.Clone(list)
	slices.SortStableFunc(list, func(a, b [2]int64) int {
		if a[0] != b[0] {
			return int(a[0] - b[0])
		}
		return int(b[1] - a[1])
	})
	var stack [][2]int64
	for _, s := range list {
		for len(stack) > 0 && stack[len(stack)-1][1] <= s[0] {
			stack = stack[:len(stack)-1]
		}
		if n := len(stack); n > 0 && s[1] > stack[n-1][1] {
			return fmt.Errorf("slice %d..%d ns overlaps slice %d..%d ns without nesting in it", s[0], s[1],
				stack[n-1][0], stack[n-1][1])
		}
		stack = append(stack, s)
	}
	return nil
}

func encloses(list [][2]int64, ts int64) bool {
	for _, s := range list {
		if s[0] <= ts && ts < s[1] {
			return true
		}
	}
	return false
}

func TestPerfettoValidatorRejects(t *testing.T) {
	good := export1(t, "perfetto", tiny(t))
	require.NoError(t, validatePerfetto(good))
	lines := strings.Split(string(good), "\n")
	find := func(substr string) int {
		for i, l := range lines {
			if strings.Contains(l, substr) {
				return i
			}
		}
		t.Fatalf("no line holds %q", substr)
		return -1
	}
	edit := func(i int, old, new string) []byte {
		c := slices.Clone(lines)
		require.Contains(t, c[i], old)
		c[i] = strings.Replace(c[i], old, new, 1)
		return []byte(strings.Join(c, "\n"))
	}
	drop := func(i int) []byte {
		c := slices.Clone(lines)
		c = slices.Delete(c, i, i+1)
		return []byte(strings.Join(c, "\n"))
	}
	cases := map[string][]byte{
		"not JSON":             good[:len(good)/2],
		"lost flow finish":     edit(find(`"ph":"f"`), `"ph":"f"`, `"ph":"i","s":"t"`),
		"flow finish not bp e": edit(find(`"ph":"f"`), `"bp":"e"`, `"bp":"x"`),
		"negative duration":    edit(find(`"cat":"term","ph":"X"`), `"dur":`, `"dur":-`),
		"unnamed track":        drop(find(`"name":"thread_name"`)),
		"no timestamp":         edit(find(`"ph":"i"`), `"ts":`, `"tz":`),
		"async never ends":     edit(find(`"ph":"e"`), `"ph":"e"`, `"ph":"i","s":"t"`),
		"overlapping slices":   edit(find(`"name":"deliver ClientRequest ← C2"`), `"dur":0.001`, `"dur":1000000000`),
	}
	for name, bad := range cases {
		require.Error(t, validatePerfetto(bad), name)
	}
}

// ---- EDN: a small reader for the subset a Jepsen history uses ----

type keyword string

// ednReader reads maps, vectors, keywords, strings, integers, nil and
// booleans; commas are whitespace.
type ednReader struct {
	s   string
	pos int
}

func (r *ednReader) skip() {
	for r.pos < len(r.s) && strings.IndexByte(" \t\n\r,", r.s[r.pos]) >= 0 {
		r.pos++
	}
}

func (r *ednReader) errf(format string, args ...any) error {
	return fmt.Errorf("column %d: %s", r.pos+1, fmt.Sprintf(format, args...))
}

func (r *ednReader) value() (any, error) {
	r.skip()
	if r.pos >= len(r.s) {
		return nil, r.errf("unexpected end")
	}
	switch c := r.s[r.pos]; {
	case c == '{':
		r.pos++
		m := map[keyword]any{}
		for {
			r.skip()
			if r.pos < len(r.s) && r.s[r.pos] == '}' {
				r.pos++
				return m, nil
			}
			k, err := r.value()
			if err != nil {
				return nil, err
			}
			kw, ok := k.(keyword)
			if !ok {
				return nil, r.errf("map key %v is not a keyword", k)
			}
			if _, dup := m[kw]; dup {
				return nil, r.errf("key %s twice", kw)
			}
			v, err := r.value()
			if err != nil {
				return nil, err
			}
			m[kw] = v
		}
	case c == '[':
		r.pos++
		var list []any
		for {
			r.skip()
			if r.pos < len(r.s) && r.s[r.pos] == ']' {
				r.pos++
				return list, nil
			}
			v, err := r.value()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
	case c == '"':
		return r.str()
	case c == ':':
		start := r.pos
		r.pos++
		for r.pos < len(r.s) && (isSymbolChar(r.s[r.pos])) {
			r.pos++
		}
		if r.pos == start+1 {
			return nil, r.errf("empty keyword")
		}
		return keyword(r.s[start:r.pos]), nil
	case c == '-' || c >= '0' && c <= '9':
		start := r.pos
		r.pos++
		for r.pos < len(r.s) && r.s[r.pos] >= '0' && r.s[r.pos] <= '9' {
			r.pos++
		}
		return strconv.ParseInt(r.s[start:r.pos], 10, 64)
	default:
		start := r.pos
		for r.pos < len(r.s) && isSymbolChar(r.s[r.pos]) {
			r.pos++
		}
		switch r.s[start:r.pos] {
		case "nil":
			return nil, nil
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, r.errf("unexpected %q", r.s[start:max(r.pos, start+1)])
	}
}

func isSymbolChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("*+!-_?<>=/.", c) >= 0
}

func (r *ednReader) str() (string, error) {
	r.pos++ // the quote
	var b strings.Builder
	for r.pos < len(r.s) {
		c := r.s[r.pos]
		r.pos++
		switch {
		case c == '"':
			return b.String(), nil
		case c == '\n':
			return "", r.errf("newline inside a string")
		case c != '\\':
			b.WriteByte(c)
			continue
		}
		if r.pos >= len(r.s) {
			break
		}
		esc := r.s[r.pos]
		r.pos++
		switch esc {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '"', '\\':
			b.WriteByte(esc)
		case 'u':
			if r.pos+4 > len(r.s) {
				return "", r.errf("short \\u escape")
			}
			n, err := strconv.ParseUint(r.s[r.pos:r.pos+4], 16, 32)
			if err != nil {
				return "", r.errf("bad \\u escape")
			}
			b.WriteRune(rune(n))
			r.pos += 4
		default:
			return "", r.errf("unknown escape \\%c", esc)
		}
	}
	return "", r.errf("unterminated string")
}

// readEDNLine reads one line holding exactly one value.
func readEDNLine(line string) (any, error) {
	r := &ednReader{s: line}
	v, err := r.value()
	if err != nil {
		return nil, err
	}
	if r.skip(); r.pos != len(r.s) {
		return nil, r.errf("more after the value")
	}
	return v, nil
}

// validateEDN checks a Jepsen history: each line a map with :type among
// :invoke, :ok, :fail, :info, an :f keyword, a [key value] :value, an
// integer :process, :time that never goes back and :index counting lines;
// a process invokes one operation at a time and each invoke has exactly one
// completion, of the same :f.
func validateEDN(data []byte) error {
	if len(data) == 0 || data[len(data)-1] != '\n' {
		return errors.New("the history does not end with a newline")
	}
	open := map[int64]keyword{} // process → :f of its pending invoke
	lastTime := int64(-1)
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		v, err := readEDNLine(line)
		if err != nil {
			return fmt.Errorf("line %d: %w", i+1, err)
		}
		m, ok := v.(map[keyword]any)
		if !ok {
			return fmt.Errorf("line %d: not a map", i+1)
		}
		typ, _ := m[":type"].(keyword)
		f, _ := m[":f"].(keyword)
		process, pok := m[":process"].(int64)
		at, tok := m[":time"].(int64)
		index, iok := m[":index"].(int64)
		value, vok := m[":value"].([]any)
		switch {
		case !slices.Contains([]keyword{":invoke", ":ok", ":fail", ":info"}, typ):
			return fmt.Errorf("line %d: :type %v", i+1, m[":type"])
		case f == "" || !pok || !tok || !iok:
			return fmt.Errorf("line %d: lacks :f, :process, :time or :index", i+1)
		case !vok || len(value) != 2:
			return fmt.Errorf("line %d: :value is not [key value]", i+1)
		case index != int64(i):
			return fmt.Errorf("line %d: :index %d", i+1, index)
		case at < lastTime:
			return fmt.Errorf("line %d: :time goes back", i+1)
		}
		lastTime = at
		pending, busy := open[process]
		switch {
		case typ == ":invoke" && busy:
			return fmt.Errorf("line %d: process %d invokes while its %s is pending", i+1, process, pending)
		case typ == ":invoke":
			open[process] = f
		case !busy:
			return fmt.Errorf("line %d: process %d completes %s without an invoke", i+1, process, f)
		case pending != f:
			return fmt.Errorf("line %d: process %d completes %s, invoked %s", i+1, process, f, pending)
		default:
			delete(open, process)
		}
	}
	for p, f := range open {
		return fmt.Errorf("process %d: its %s never completes", p, f)
	}
	return nil
}

func TestEDNReader(t *testing.T) {
	v, err := readEDNLine(`{:a [1 -2 nil true], :b "q\"\\\n\u00e9", :c {:d :e}}`)
	require.NoError(t, err)
	require.Equal(t, map[keyword]any{":a": []any{int64(1), int64(-2), nil, true}, ":b": "q\"\\\né",
		":c": map[keyword]any{":d": keyword(":e")}}, v)
	for _, bad := range []string{`{:a "x}`, `{:a 1`, `{"k" 1}`, `{:a 1} 2`, `{:a "\q"}`, `[1 2`, `{:a :}`} {
		_, err := readEDNLine(bad)
		require.Error(t, err, bad)
	}
}

func TestEDNValidatorRejects(t *testing.T) {
	good := string(export1(t, "edn", tiny(t)))
	require.NoError(t, validateEDN([]byte(good)))
	lines := strings.SplitAfter(good, "\n")
	cases := map[string]string{
		"truncated line":        good[:len(good)-10] + "\n",
		"no completion":         strings.Join(lines[:1], ""),
		"completion first":      strings.Join(lines[1:2], ""),
		"unknown type":          strings.Replace(good, ":type :ok", ":type :done", 1),
		"broken string":         strings.Replace(good, `["k`, `["k\`, 1),
		"two invokes at once":   lines[0] + strings.Replace(lines[0], ":index 0", ":index 1", 1),
		"completion of other f": strings.Replace(strings.Join(lines[:2], ""), ":type :ok, :f :", ":type :ok, :f :x", 1),
	}
	for name, bad := range cases {
		require.Error(t, validateEDN([]byte(bad)), name)
	}
}

// ---- ShiViz ----

var (
	sendText    = regexp.MustCompile(`^(\S+) -> (\S+) \w+#(\d+)( .*)?$`)
	deliverText = regexp.MustCompile(`^(\S+) <- (\S+) \w+#(\d+)$`)
)

// validateShiViz reads a log as ShiViz does: the first line is the parsing
// expression (ShiViz's (?<name> groups become Go's (?P<name>), the second
// the executions delimiter (empty), the rest the log. Every two lines must
// match the expression; every clock must be a JSON object of positive
// counts holding its host, whose own count goes up by one per event; and a
// delivery's clock is at least its send's, host by host.
func validateShiViz(data []byte) error {
	head, body, ok := strings.Cut(string(data), "\n")
	if !ok {
		return errors.New("no parsing expression line")
	}
	delim, body, ok := strings.Cut(body, "\n")
	if !ok || delim != "" {
		return fmt.Errorf("second line %q: want an empty delimiter line", delim)
	}
	re, err := regexp.Compile("(?m)" + strings.ReplaceAll(strings.ReplaceAll(head, `(?<`, `(?P<`), `\n`, "\n"))
	if err != nil {
		return fmt.Errorf("the parsing expression does not compile: %w", err)
	}
	for _, g := range []string{"host", "clock", "event"} {
		if re.SubexpIndex(g) < 0 {
			return fmt.Errorf("the parsing expression has no %s group", g)
		}
	}
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if len(lines)%2 != 0 {
		return fmt.Errorf("%d log lines: want two per event", len(lines))
	}
	own := map[string]float64{}
	sent := map[string]map[string]float64{}
	for i := 0; i < len(lines); i += 2 {
		rec := lines[i] + "\n" + lines[i+1]
		m := re.FindStringSubmatch(rec)
		if m == nil || m[0] != rec {
			return fmt.Errorf("log lines %d-%d do not match the parsing expression", i+3, i+4)
		}
		host, event := m[re.SubexpIndex("host")], m[re.SubexpIndex("event")]
		var clock map[string]float64
		if err := json.Unmarshal([]byte(m[re.SubexpIndex("clock")]), &clock); err != nil {
			return fmt.Errorf("line %d: the clock is not a JSON object of counts: %w", i+4, err)
		}
		for h, n := range clock {
			if n < 1 || n != math.Trunc(n) {
				return fmt.Errorf("line %d: count %v for %s", i+4, n, h)
			}
		}
		if clock[host] != own[host]+1 {
			return fmt.Errorf("line %d: %s's own count is %v, want %v", i+4, host, clock[host], own[host]+1)
		}
		own[host] = clock[host]
		if s := sendText.FindStringSubmatch(event); s != nil && s[1] == host && !strings.Contains(event, " dropped (") &&
			!strings.HasSuffix(event, " duplicated") {
			sent[s[3]] = clock
		}
		if d := deliverText.FindStringSubmatch(event); d != nil && d[1] == host {
			before, ok := sent[d[3]]
			if !ok {
				return fmt.Errorf("line %d: message %s delivered, never sent", i+3, d[3])
			}
			for h, n := range before {
				if clock[h] < n {
					return fmt.Errorf("line %d: the delivery of message %s knows %v of %s, its send %v", i+4, d[3],
						clock[h], h, n)
				}
			}
		}
	}
	return nil
}

func TestShiVizValidatorRejects(t *testing.T) {
	good := string(export1(t, "shiviz", tiny(t)))
	require.NoError(t, validateShiViz([]byte(good)))
	lines := strings.Split(good, "\n")
	// The first delivery: its receiver forgets what the send told it.
	deliver := -1
	for i, l := range lines {
		if deliverText.MatchString(strings.SplitN(l, " ", 2)[len(strings.SplitN(l, " ", 2))-1]) {
			deliver = i
			break
		}
	}
	require.Positive(t, deliver)
	host := strings.Fields(lines[deliver+1])[0]
	forgetful := slices.Clone(lines)
	forgetful[deliver+1] = host + ` {"` + host + `":` + ownCount(t, lines[deliver+1], host) + `}`
	cases := map[string]string{
		"bad expression":    strings.Replace(good, "(?<clock>", "(?<clock", 1),
		"no delimiter line": strings.Replace(good, "\n\n", "\n", 1),
		"clock not JSON":    strings.Replace(good, `":1}`, `":1`, 1),
		"own count skips":   strings.Replace(good, `{"C1":2}`, `{"C1":3}`, 1),
		"odd line count":    strings.TrimSuffix(good, "\n") + "\nextra\n",
		"delivery forgets":  strings.Join(forgetful, "\n"),
	}
	for name, bad := range cases {
		require.Error(t, validateShiViz([]byte(bad)), name)
	}
}

func ownCount(t *testing.T, line, host string) string {
	t.Helper()
	_, clock, _ := strings.Cut(line, " ")
	var c map[string]float64
	require.NoError(t, json.Unmarshal([]byte(clock), &c))
	return strconv.FormatFloat(c[host], 'f', -1, 64)
}
