package lesson

import "strings"

// RenderMarkdown renders a step's narration (its say lines) to HTML. The
// subset: paragraphs (an empty say line ends one), *em*, **strong**,
// `code`, "- " and "1. " list items, and links [text](https://...) to
// http and https URLs only. Everything else is text: every character the
// author wrote is escaped, so the narration cannot inject markup.
func RenderMarkdown(lines []string) string {
	var b strings.Builder
	block := "" // "p", "ul", "ol" or ""
	closeBlock := func() {
		switch block {
		case "p":
			b.WriteString("</p>")
		case "ul":
			b.WriteString("</ul>")
		case "ol":
			b.WriteString("</ol>")
		}
		block = ""
	}
	for _, raw := range lines {
		line := strings.TrimSpace(raw)
		if line == "" {
			closeBlock()
			continue
		}
		kind, text := "p", line
		if rest, ok := strings.CutPrefix(line, "- "); ok {
			kind, text = "ul", rest
		} else if rest, ok := numbered(line); ok {
			kind, text = "ol", rest
		}
		switch {
		case kind == "p" && block == "p":
			b.WriteByte(' ')
		case kind != block:
			closeBlock()
			b.WriteString("<" + kind + ">")
			block = kind
		}
		if kind != "p" {
			b.WriteString("<li>")
		}
		inline(&b, text, 0)
		if kind != "p" {
			b.WriteString("</li>")
		}
	}
	closeBlock()
	return b.String()
}

// numbered cuts "12. " from a line.
func numbered(line string) (string, bool) {
	i := 0
	for i < len(line) && i < 4 && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	if i == 0 || !strings.HasPrefix(line[i:], ". ") {
		return "", false
	}
	return line[i+2:], true
}

// inline renders emphasis, code and links; depth bounds nesting.
func inline(b *strings.Builder, s string, depth int) {
	for len(s) > 0 {
		switch {
		case s[0] == '`':
			if end := strings.IndexByte(s[1:], '`'); end > 0 {
				b.WriteString("<code>")
				escape(b, s[1:1+end])
				b.WriteString("</code>")
				s = s[end+2:]
				continue
			}
		case strings.HasPrefix(s, "**") && depth < 4:
			if end := strings.Index(s[2:], "**"); end > 0 {
				b.WriteString("<strong>")
				inline(b, s[2:2+end], depth+1)
				b.WriteString("</strong>")
				s = s[end+4:]
				continue
			}
		case s[0] == '*' && depth < 4:
			if end := strings.IndexByte(s[1:], '*'); end > 0 && s[1] != ' ' {
				b.WriteString("<em>")
				inline(b, s[1:1+end], depth+1)
				b.WriteString("</em>")
				s = s[end+2:]
				continue
			}
		case s[0] == '[' && depth < 4:
			if text, url, rest, ok := link(s); ok {
				b.WriteString(`<a href="`)
				escape(b, url)
				b.WriteString(`" target="_blank" rel="noopener noreferrer">`)
				inline(b, text, depth+1)
				b.WriteString("</a>")
				s = rest
				continue
			}
		}
		escape(b, s[:1])
		s = s[1:]
	}
}

// link reads [text](url) at the start of s, for an http or https url with
// no space, quote or angle bracket in it.
func link(s string) (text, url, rest string, ok bool) {
	mid := strings.Index(s, "](")
	if mid < 2 || strings.ContainsAny(s[1:mid], "[]") {
		return "", "", "", false
	}
	end := strings.IndexByte(s[mid+2:], ')')
	if end < 0 {
		return "", "", "", false
	}
	url = s[mid+2 : mid+2+end]
	lower := strings.ToLower(url)
	if !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "http://") ||
		len(url) <= len("https://") || strings.ContainsAny(url, " \t\"'<>\\`") || hasControl(url) {
		return "", "", "", false
	}
	return s[1:mid], url, s[mid+2+end+1:], true
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// escape writes s with HTML's special characters escaped.
func escape(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&#34;")
		case '\'':
			b.WriteString("&#39;")
		default:
			b.WriteByte(c)
		}
	}
}
