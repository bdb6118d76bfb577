package lesson

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRenderMarkdown: the subset, and everything else escaped.
func TestRenderMarkdown(t *testing.T) {
	cases := []struct {
		name string
		in   []string
		want string
	}{
		{"paragraphs", []string{"one", "two", "", "three"}, "<p>one two</p><p>three</p>"},
		{"inline", []string{"*em* **strong** `a < b`"}, "<p><em>em</em> <strong>strong</strong> <code>a &lt; b</code></p>"},
		{"lists", []string{"Steps:", "- one", "- two", "1. first", "2. second"},
			"<p>Steps:</p><ul><li>one</li><li>two</li></ul><ol><li>first</li><li>second</li></ol>"},
		{"link", []string{"See [§5.2](https://raft.github.io/raft.pdf#page=5)."},
			`<p>See <a href="https://raft.github.io/raft.pdf#page=5" target="_blank" rel="noopener noreferrer">§5.2</a>.</p>`},
		{"javascript link is text", []string{"[x](javascript:alert(1))"}, "<p>[x](javascript:alert(1))</p>"},
		{"quote in url is text", []string{`[x](https://a.b/"onmouseover=x)`}, "<p>[x](https://a.b/&#34;onmouseover=x)</p>"},
		{"html is text", []string{`<script>alert("x")</script> & 'q'`},
			"<p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;q&#39;</p>"},
		{"unclosed marks are text", []string{"a * b ` c ** d [e](f"}, "<p>a * b ` c ** d [e](f</p>"},
		{"markup inside code is text", []string{"`*not em*`"}, "<p><code>*not em*</code></p>"},
		{"empty", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, RenderMarkdown(c.in))
		})
	}
}

// FuzzRenderMarkdown: whatever the narration, the HTML has no tag but the
// subset's and no attribute but a link's.
func FuzzRenderMarkdown(f *testing.F) {
	f.Add("*a* **b** `c` [d](https://e) <i>")
	f.Fuzz(func(t *testing.T, s string) {
		out := RenderMarkdown(strings.Split(s, "\n"))
		rest := out
		for {
			i := strings.IndexByte(rest, '<')
			if i < 0 {
				break
			}
			rest = rest[i+1:]
			ok := false
			for _, tag := range []string{"p>", "/p>", "em>", "/em>", "strong>", "/strong>", "code>", "/code>", "ul>",
				"/ul>", "ol>", "/ol>", "li>", "/li>", "/a>", `a href="http`} {
				if strings.HasPrefix(rest, tag) {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("unexpected markup in %q: %q", s, out)
			}
		}
	})
}
