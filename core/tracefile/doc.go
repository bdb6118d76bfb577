// Package tracefile reads and writes run traces (package trace) as files:
// canonical msgpack, and JSON Lines as its readable twin. Both hold the same
// three parts in the same order: the header (the run's inputs), every event,
// and the footer (the run's outcome).
//
// # Msgpack layout
//
// A stream of msgpack values with no framing around them:
//
//	record 0      the trace.Header, as a map keyed by its codec tags
//	record 1..n   [ "e", event ]   a 2-element array: tag "e", a trace.Event map
//	record n+1    [ "f", footer ]  tag "f", the trace.Footer map
//
// Each record after the header is a fixarray (first byte 0x92), so that a
// reader can tell an event from the footer while streaming. Maps are written
// with their keys sorted, integers in their smallest form and strings as
// msgpack str, so that encoding the same trace always gives the same bytes.
// Keys this version does not know are skipped, so that a newer minor
// version reads.
//
// The reader first frames each record whole, checking every length and
// count it claims against the record's byte limit, and only then lets the
// codec decode it: a corrupt length cannot make it allocate or read beyond
// what the file really holds.
//
// Native builds encode and decode with go-msgpack. The browser build
// (GOOS=js) must not link it, and uses the lite codec instead (lite.go,
// lite_decode.go): written for exactly these records, it writes the same
// bytes and reads every file as go-msgpack does, refusals and their
// messages included; lite_test.go holds the two side by side.
//
// # JSON Lines layout
//
// One JSON object per line, each with a "type" naming the part; the other
// keys are the part's json tags:
//
//	line 1        {"type":"header","format":"smrlab-trace","major":1,...}
//	line 2..n+1   {"type":"event","seq":0,"t":0,"kind":1,...}
//	line n+2      {"type":"footer","events":n,...}
//
// # Refusals
//
// A reader refuses, never silently downgrades, a file that is not a trace,
// has another major version, does not decode (or holds an empty msgpack
// extension, which go-msgpack mishandles), ends before its footer, has
// data after its footer, breaks a limit (EventsMax and friends), or holds an
// event of unknown kind, an event whose Seq is not its position, or a footer
// whose event count disagrees with the events read. Every error says where:
// "record N: ..." for msgpack (the header is record 0), "line N: ..." for
// JSON Lines. A writer refuses to write anything a reader would refuse, and
// a header of a newer minor version than it writes (its new fields are lost).
package tracefile
