package main

import (
	"fmt"
	"github.com/chromedp/cdproto/cdp"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/chromedp"
)

func BenchmarkZZProfile(b *testing.B) {
	p := newBenchPage(b)
	p.openPaused("")
	src := busyNineServers
	if os.Getenv("ZZ5") != "" {
		src = strings.Replace(src, "servers 9", "servers 5", 1)
	}
	p.call("open", fmt.Sprintf(`{"scenario":%s,"file":"b9.scn"}`, jsString(src)))
	p.pause()
	p.advance(3 * second)
	if _, err := chromedp.Call(p.ctx, profiler.Enable, cdpEmpty); err != nil {
		b.Fatal(err)
	}
	if _, err := chromedp.Call(p.ctx, profiler.SetSamplingInterval, profiler.SetSamplingIntervalParams{Interval: 200}); err != nil {
		b.Fatal(err)
	}
	if _, err := chromedp.Call(p.ctx, profiler.Start, cdpEmpty); err != nil {
		b.Fatal(err)
	}
	p.exec(`smrlabTest.setSpeed(1); smrlabTest.play()`)
	time.Sleep(8 * time.Second)
	res, err := chromedp.Call(p.ctx, profiler.Stop, cdpEmpty)
	if err != nil {
		b.Fatal(err)
	}
	prof := res.Profile
	p.exec(`smrlabTest.pause()`)
	p.idle()
	byID := map[int64]*profiler.ProfileNode{}
	parent := map[int64]int64{}
	for _, n := range prof.Nodes {
		byID[n.ID] = n
		for _, c := range n.Children {
			parent[c] = n.ID
		}
	}
	dt := map[int64]float64{}
	for i, s := range prof.Samples {
		dt[s] += float64(prof.TimeDeltas[i]) / 1000
	}
	name := func(n *profiler.ProfileNode) string {
		u := n.CallFrame.URL
		if i := strings.LastIndex(u, "/"); i >= 0 {
			u = u[i+1:]
		}
		return fmt.Sprintf("%s %s:%d", n.CallFrame.FunctionName, u, n.CallFrame.LineNumber+1)
	}
	self := map[string]float64{}
	incl := map[string]float64{}
	var total float64
	for id, ms := range dt {
		total += ms
		self[name(byID[id])] += ms
		seen := map[string]bool{}
		for x, ok := id, true; ok; x, ok = parent[x] {
			k := name(byID[x])
			if !seen[k] {
				incl[k] += ms
				seen[k] = true
			}
		}
	}
	dump := func(title string, m map[string]float64) {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Slice(ks, func(i, j int) bool { return m[ks[i]] > m[ks[j]] })
		var sb strings.Builder
		for _, k := range ks[:min(45, len(ks))] {
			fmt.Fprintf(&sb, "  %8.1f ms  %s\n", m[k], k)
		}
		b.Logf("%s (total %.0f ms):\n%s", title, total, sb.String())
	}
	dump("self", self)
	dump("inclusive", incl)
	b.Logf("%s", loadNote())
}

var cdpEmpty = cdp.Empty{}
