package trace

import (
	"strconv"

	"smrlab/core/minijson"
)

// AppendJSON appends the header as encoding/json marshals it (the browser's
// build has no encoding/json: see core/minijson).
func (h *Header) AppendJSON(b []byte) []byte {
	b = append(b, `{"format":`...)
	b = minijson.AppendString(b, h.Format)
	b = append(b, `,"major":`...)
	b = strconv.AppendInt(b, int64(h.Major), 10)
	b = append(b, `,"minor":`...)
	b = strconv.AppendInt(b, int64(h.Minor), 10)
	b = append(b, `,"scenario_name":`...)
	b = minijson.AppendString(b, h.ScenarioName)
	b = append(b, `,"scenario":`...)
	b = minijson.AppendString(b, h.Scenario)
	b = append(b, `,"seed":"`...)
	b = strconv.AppendUint(b, h.Seed, 10)
	b = append(b, `","bugs":`...)
	b = minijson.AppendStrings(b, h.Bugs)
	b = append(b, `,"actions":`...)
	b = minijson.AppendStrings(b, h.Actions)
	b = append(b, `,"until":`...)
	b = strconv.AppendInt(b, h.Until, 10)
	return append(b, '}')
}

// ParseHeaderJSON reads a header written by AppendJSON or encoding/json,
// refusing keys it does not know (as json.Decoder.DisallowUnknownFields).
func ParseHeaderJSON(data []byte) (Header, error) {
	var h Header
	r := minijson.NewReader(data)
	err := r.Object(func(key string) error {
		var err error
		var n int64
		switch key {
		case "format":
			h.Format, err = r.String()
		case "major":
			n, err = r.Int()
			h.Major = int(n)
		case "minor":
			n, err = r.Int()
			h.Minor = int(n)
		case "scenario_name":
			h.ScenarioName, err = r.String()
		case "scenario":
			h.Scenario, err = r.String()
		case "seed":
			h.Seed, err = r.QuotedUint()
		case "bugs":
			h.Bugs, err = r.Strings()
		case "actions":
			h.Actions, err = r.Strings()
		case "until":
			h.Until, err = r.Int()
		default:
			err = r.UnknownKey(key)
		}
		return err
	})
	if err == nil {
		err = r.End()
	}
	return h, err
}
