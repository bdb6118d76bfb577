package scenario

import (
	"fmt"
	"strconv"
	"strings"

	"smrlab/core/sim"
)

// token is one whitespace-separated word of a line, with its 1-based column.
type token struct {
	text string
	col  int
}

// Error is a problem in a scenario file, with its place.
type Error struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (e *Error) Error() string {
	file := e.File
	if file == "" {
		file = "scenario"
	}
	if e.Col > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", file, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", file, e.Line, e.Msg)
}

// tokenize splits a line into words, dropping a trailing # comment.
func tokenize(line string) []token {
	var out []token
	i := 0
	for i < len(line) {
		c := line[i]
		if c == '#' {
			break
		}
		if c == ' ' || c == '\t' || c == '\r' {
			i++
			continue
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' && line[j] != '#' {
			j++
		}
		out = append(out, token{text: line[i:j], col: i + 1})
		i = j
	}
	return out
}

// parseDuration reads "150ms", "1.5s", "200us", "2m", or "0".
func parseDuration(s string) (int64, error) {
	if s == "0" {
		return 0, nil
	}
	units := []struct {
		suffix string
		micros int64
	}{{"us", 1}, {"µs", 1}, {"ms", sim.Millisecond}, {"s", sim.Second}, {"m", 60 * sim.Second}}
	for _, u := range units {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok || num == "" {
			continue
		}
		v, err := parseDecimal(num, u.micros)
		if err != nil {
			return 0, fmt.Errorf("bad duration %q: %v", s, err)
		}
		return v, nil
	}
	return 0, fmt.Errorf("bad duration %q (write it like 150ms, 1.5s, 200us or 2m)", s)
}

// durationMax bounds every duration in a scenario: a day of virtual time.
const durationMax = 24 * 3600 * sim.Second

// parseDecimal multiplies a non-negative decimal number by scale, exactly,
// without floating point (determinism rule 3).
func parseDecimal(num string, scale int64) (int64, error) {
	whole, frac, _ := strings.Cut(num, ".")
	if whole == "" && frac == "" {
		return 0, fmt.Errorf("no digits")
	}
	w := int64(0)
	if whole != "" {
		var err error
		if w, err = strconv.ParseInt(whole, 10, 64); err != nil || w < 0 {
			return 0, fmt.Errorf("not a number")
		}
	}
	if w > durationMax/max(scale, 1) {
		return 0, fmt.Errorf("too large")
	}
	v := w * scale
	div := int64(1)
	for i, c := range frac {
		if c < '0' || c > '9' || i >= 9 {
			return 0, fmt.Errorf("bad fraction")
		}
		div *= 10
		v += int64(c-'0') * scale / div
	}
	return v, nil
}

// parsePPM reads a probability: "1%", "0.5%", "2500ppm", or "0".
func parsePPM(s string) (uint32, error) {
	var v int64
	var err error
	switch {
	case s == "0":
		return 0, nil
	case strings.HasSuffix(s, "%"):
		v, err = parseDecimal(strings.TrimSuffix(s, "%"), 10_000)
	case strings.HasSuffix(s, "ppm"):
		v, err = strconv.ParseInt(strings.TrimSuffix(s, "ppm"), 10, 64)
	default:
		return 0, fmt.Errorf("bad probability %q (write it like 1%%, 0.5%% or 2500ppm)", s)
	}
	if err != nil || v < 0 || v > sim.PPM {
		return 0, fmt.Errorf("bad probability %q (0%% to 100%%)", s)
	}
	return uint32(v), nil
}

// parseSignedPPM reads a signed rate change: "+5%", "-2%", "+1000ppm".
func parseSignedPPM(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	p, err := parsePPM(strings.TrimLeft(s, "+-"))
	if err != nil {
		return 0, err
	}
	if neg {
		if p >= sim.PPM {
			return 0, fmt.Errorf("a clock cannot run at %s of its rate", s)
		}
		return -int64(p), nil
	}
	return int64(p), nil
}

// parseSignedDuration reads "+100ms", "-5ms", "0".
func parseSignedDuration(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	d, err := parseDuration(strings.TrimLeft(s, "+-"))
	if neg {
		d = -d
	}
	return d, err
}

// parseRange reads "1ms..5ms" or a single duration.
func parseRange(s string) (int64, int64, error) {
	lo, hi, ok := strings.Cut(s, "..")
	a, err := parseDuration(lo)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		return a, a, nil
	}
	b, err := parseDuration(hi)
	if err != nil {
		return 0, 0, err
	}
	if b < a {
		return 0, 0, fmt.Errorf("range %q runs backwards", s)
	}
	return a, b, nil
}

func parseBool(s string) (bool, error) {
	switch s {
	case "on", "true", "yes":
		return true, nil
	case "off", "false", "no":
		return false, nil
	}
	return false, fmt.Errorf("want on or off, not %q", s)
}

// parseInt reads a bounded integer.
func parseInt(s string, lo, hi int64) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("want a whole number from %d to %d, not %q", lo, hi, s)
	}
	return v, nil
}
