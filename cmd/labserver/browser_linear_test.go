package main

import (
	"testing"
	"time"

	"smrlab/core/lab"
	"smrlab/core/scenario"
	"smrlab/core/sharelink"
)

// undecidable is a workload whose history the live check cannot decide
// within its step budget: on one key, over a lossy network, clients give
// up on their appends after 30 ms, so most appends may or may not have
// happened, in any order, and the orders to try grow factorially.
const undecidable = `name undecidable
servers 3
duration 2s
network latency=1ms..20ms loss=20%
workload clients=4 inflight=2 rate=100/s writes=60% appends=100% keys=1 timeout=30ms attempts=1 stop=1500ms
`

// A history that the live check cannot decide says so on the light:
// UNKNOWN, on which key, and why (the step budget that bounds the check in
// the browser ran out), never a silent green. The budget is in steps, so
// the verdict is the same on every machine.
func TestBrowserLinearizabilityUnknown(t *testing.T) {
	sc, err := scenario.Parse("undecidable.scn", []byte(undecidable))
	if err != nil {
		t.Fatal(err)
	}
	h := lab.Header(sc, 1, 0, nil, sc.Duration)
	frag, err := sharelink.Encode(&h)
	if err != nil {
		t.Fatal(err)
	}
	p := newPage(t)
	p.open("#" + frag)
	p.waitFor("the light says UNKNOWN, on which key and why", `(() => {
		const l = document.querySelector('[data-testid="linear-light"]');
		return l.dataset.state === 'unknown' && /^Linearizability UNKNOWN on 1 key \(k0\): the search ran out of its budget of \d+ steps per key \(\d+ ops, 1 key checked\)$/.test(
			l.querySelector('.light-text').textContent);
	})()`, 30*time.Second)
	if lin := p.view().Linear; lin.Verdict != "unknown" || lin.Unknown != 1 || len(lin.UnknownKeys) != 1 || lin.UnknownKeys[0] != "k0" {
		t.Fatalf("linear %+v, want unknown on k0", lin)
	}
	p.shot("unknown")
	p.noBanner()
}
