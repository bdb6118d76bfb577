package tracefile

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"smrlab/core/trace"
)

// Limits on what one trace file may hold. They bound the memory a reader
// needs, whatever the input; a writer refuses a trace that breaks one.
const (
	// EventsMax is the most events one file may hold.
	EventsMax = 50_000_000
	// ScenarioBytesMax bounds the scenario text in the header.
	ScenarioBytesMax = 1 << 20
	// ScenarioNameBytesMax bounds the scenario's name in the header.
	ScenarioNameBytesMax = 256
	// ActionsMax is the most user actions a header may hold.
	ActionsMax = 10_000
	// ActionBytesMax bounds one user action.
	ActionBytesMax = 1 << 10
	// BugsMax is the most bug toggles a header may name.
	BugsMax = 64
	// BugNameBytesMax bounds one bug toggle's name.
	BugNameBytesMax = 64
	// EventTextBytesMax bounds an event's Text.
	EventTextBytesMax = 4 << 10
	// ViolationBytesMax bounds the footer's Violation.
	ViolationBytesMax = 4 << 10
)

// Limits on one encoded record, derived from the limits above with room for
// field names, length prefixes and fields that a newer minor version may add.
const (
	headerRecordBytesMax = ScenarioBytesMax + ScenarioNameBytesMax +
		ActionsMax*(ActionBytesMax+8) + BugsMax*(BugNameBytesMax+8) + 64<<10
	recordBytesMax = EventTextBytesMax + ViolationBytesMax + 8<<10
	// jsonEscapeBytesMax is the most bytes JSON spends on one byte of a
	// string ("\u0001").
	jsonEscapeBytesMax = 6
	headerLineBytesMax = jsonEscapeBytesMax * headerRecordBytesMax
	lineBytesMax       = jsonEscapeBytesMax * recordBytesMax
)

// errNoFooter reports a file that ends cleanly between two records but before
// its footer: a run that was cut short, or a copy that was.
var errNoFooter = errors.New("truncated: the file ends without a footer")

// checkVersion refuses a file of another format or major version.
func checkVersion(format string, major, minor int) error {
	if format != trace.Format {
		return fmt.Errorf("not a trace: format is %q, want %q", format, trace.Format)
	}
	if major != trace.VersionMajor {
		return fmt.Errorf("file has trace version %d.%d; this build reads version %d.x only",
			major, minor, trace.VersionMajor)
	}
	if minor < 0 {
		return fmt.Errorf("minor version %d is negative", minor)
	}
	return nil
}

// checkHeader checks a header's version and limits.
func checkHeader(h *trace.Header) error {
	if err := checkVersion(h.Format, h.Major, h.Minor); err != nil {
		return err
	}
	if err := checkString(h.ScenarioName, ScenarioNameBytesMax); err != nil {
		return fmt.Errorf("scenario_name: %w", err)
	}
	if err := checkString(h.Scenario, ScenarioBytesMax); err != nil {
		return fmt.Errorf("scenario: %w", err)
	}
	if err := checkList("bugs", h.Bugs, BugsMax, BugNameBytesMax); err != nil {
		return err
	}
	if err := checkList("actions", h.Actions, ActionsMax, ActionBytesMax); err != nil {
		return err
	}
	if h.Until < 0 {
		return fmt.Errorf("until is %d µs, a negative time", h.Until)
	}
	return nil
}

// checkEvent checks the event at position pos (counting from 0).
func checkEvent(e *trace.Event, pos uint64) error {
	if pos >= EventsMax {
		return fmt.Errorf("more than %d events, the limit", EventsMax)
	}
	if e.Seq != pos {
		return fmt.Errorf("seq is %d, want %d (events are numbered from 0 in order)", e.Seq, pos)
	}
	if !e.Kind.Valid() {
		return fmt.Errorf("unknown event kind %d", uint8(e.Kind))
	}
	if err := checkString(e.Text, EventTextBytesMax); err != nil {
		return fmt.Errorf("text: %w", err)
	}
	return nil
}

// checkFooter checks a footer that follows the given number of events.
func checkFooter(f *trace.Footer, events uint64) error {
	if f.Events != events {
		return fmt.Errorf("footer counts %d events, but %d precede it", f.Events, events)
	}
	if err := checkString(f.Violation, ViolationBytesMax); err != nil {
		return fmt.Errorf("footer violation: %w", err)
	}
	return nil
}

// checkList checks a list's length and each of its strings.
func checkList(name string, list []string, itemsMax, bytesMax int) error {
	if len(list) > itemsMax {
		return fmt.Errorf("%s: %d items, more than the limit of %d", name, len(list), itemsMax)
	}
	for i, s := range list {
		if err := checkString(s, bytesMax); err != nil {
			return fmt.Errorf("%s[%d]: %w", name, i, err)
		}
	}
	return nil
}

// checkString refuses a string that is too long or not UTF-8: JSON cannot
// carry other bytes, and both formats must hold the same traces.
func checkString(s string, bytesMax int) error {
	if len(s) > bytesMax {
		return fmt.Errorf("%d bytes, more than the limit of %d", len(s), bytesMax)
	}
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	return nil
}
