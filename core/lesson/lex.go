package lesson

import "strings"

// token is one word of a lesson line with its 1-based column; a quoted
// string ("A leader serves") is one token, without its quotes.
type token struct {
	text   string
	col    int
	quoted bool
}

// stripComment cuts a line at a # that starts a comment: at the start of the
// line or after a space or tab, and not inside a quoted string. A # inside
// a word (a link's #page=5) is text.
func stripComment(line string) string {
	inQuote := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '"':
			inQuote = !inQuote
		case c == '#' && !inQuote && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return line[:i]
		}
	}
	return line
}

// lex splits a line (comment already cut) into tokens. An unterminated
// quote is reported by its column (0: none).
func lex(line string) ([]token, int) {
	var out []token
	i := 0
	for i < len(line) {
		c := line[i]
		if c == ' ' || c == '\t' || c == '\r' {
			i++
			continue
		}
		if c == '"' {
			end := strings.IndexByte(line[i+1:], '"')
			if end < 0 {
				return out, i + 1
			}
			out = append(out, token{text: line[i+1 : i+1+end], col: i + 1, quoted: true})
			i += end + 2
			continue
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' {
			j++
		}
		out = append(out, token{text: line[i:j], col: i + 1})
		i = j
	}
	return out, 0
}

// restFrom is the text of a line from column col (1-based), trimmed.
func restFrom(line string, col int) string {
	if col-1 >= len(line) {
		return ""
	}
	return strings.TrimSpace(line[col-1:])
}

func texts(ts []token) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.text
	}
	return out
}
