package etcdbench

import "testing"

func TestRunAppliesEveryEntryOnEveryNode(t *testing.T) {
	spec := Spec{Nodes: 5, Inflight: 64, Entries: 5_000, SizeBytes: 64, Keys: 1024}
	c, err := newCluster(spec.Nodes)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.run(spec)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied != spec.Entries {
		t.Fatalf("applied %d, want %d", res.Applied, spec.Entries)
	}
	// Let the followers catch up: a heartbeat carries the commit index.
	for range heartbeatTicks {
		c.tickAll()
		for c.deliverOne() {
		}
	}
	for _, n := range c.nodes {
		if n.applied != spec.Entries || len(n.kv) != spec.Keys {
			t.Errorf("node %d applied %d entries over %d keys, want %d over %d", n.id, n.applied, len(n.kv),
				spec.Entries, spec.Keys)
		}
	}
}

func TestRunRefusesABadSpec(t *testing.T) {
	for _, spec := range []Spec{{Nodes: 0, Inflight: 1, Entries: 1, SizeBytes: 64, Keys: 1},
		{Nodes: 3, Inflight: 1, Entries: 1, SizeBytes: 2, Keys: 1}} {
		if _, err := Run(spec); err == nil {
			t.Errorf("%+v: no error", spec)
		}
	}
}

// BenchmarkRawNode is `smrlab bench --against etcd`'s etcd side; ns/op is
// the cost of one committed entry.
func BenchmarkRawNode(b *testing.B) {
	b.ReportAllocs()
	if _, err := Run(Spec{Nodes: 5, Inflight: 64, Entries: uint64(b.N), SizeBytes: 64, Keys: 1024}); err != nil {
		b.Fatal(err)
	}
}
