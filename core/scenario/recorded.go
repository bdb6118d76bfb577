package scenario

// A recorded action is a click saved from an interactive session
// (lab.ScenarioOf writes them): "recorded at 1.234567s crash S2". It does
// what "at 1.234567s crash S2" does, but runs after every other event of its
// microsecond, as the click did when the session was live. A plain "at"
// action runs before the events scheduled for the same moment, so a file
// without the marking would replay the clicks in another order and reach
// another state.

// parseRecorded reads "recorded at TIME ACTION".
func (p *parser) parseRecorded(kw token, args []token) error {
	if len(args) < 3 || args[0].text != "at" {
		return p.errAt(kw, "recorded takes a timed action, like: recorded at 1.5s crash S2")
	}
	n := len(p.raw)
	if err := p.parseAt(args[0], args[1:]); err != nil {
		return err
	}
	p.raw[n].user = true
	return nil
}

// ParseDuration reads a duration as scenario files write it ("150ms",
// "1.5s", "1234567us", "2m" or "0") in microseconds.
func ParseDuration(s string) (int64, error) { return parseDuration(s) }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SeedMax is the largest seed a scenario file can name.
const SeedMax = 1 << 62
