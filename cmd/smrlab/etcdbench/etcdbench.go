// Package etcdbench runs etcd-io/raft's RawNode in the shape of `smrlab
// bench`, so that the two can be compared in one run on one machine: five
// nodes on MemoryStorage, a leader that keeps Inflight proposals of
// SizeBytes outstanding, every Ready handled after every input (entries and
// hard state appended to storage, messages delivered in-process in the
// order they were sent, committed entries applied to a key-value map,
// Advance), until the leader has applied Entries entries.
//
// It lives under cmd/ on purpose: the lab's core and its WebAssembly build
// never link etcd-io/raft.
package etcdbench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// Spec is the workload: the same knobs as lab.BenchSpec.
type Spec struct {
	Nodes     int
	Inflight  int
	Entries   uint64
	SizeBytes int
	// Keys is how many keys proposals write (smrlab's bench: 1024).
	Keys int
}

// Result is what one run did.
type Result struct {
	// Applied is how many proposals the leader applied; Steps how many
	// messages were delivered; Readies how many Ready structs were handled.
	Applied, Steps, Readies uint64
}

// The protocol options of smrlab's default node (sim.DefaultNodeOptions):
// PreVote, CheckQuorum, heartbeat every 5 ticks, election after 15, at most
// 8 appends in flight per follower. etcd bounds a message by bytes, smrlab
// by 256 entries: with 64 proposals outstanding neither bound is reached.
const (
	electionTicks   = 15
	heartbeatTicks  = 5
	maxInflightMsgs = 8
	maxSizePerMsg   = 1 << 20
	// tickEvery is how many applied entries pass between two ticks of every
	// node. smrlab's bench ticks each server every 10 ms of simulated time,
	// about once per 38 committed entries.
	tickEvery = 38
)

type node struct {
	id      uint64
	rn      *raft.RawNode
	storage *raft.MemoryStorage
	kv      map[uint32][]byte
	applied uint64
	leader  bool
}

// cluster is the nodes and the in-process network: a FIFO of messages.
type cluster struct {
	nodes   []*node
	wire    []*pb.Message
	head    int
	readies uint64
	steps   uint64
}

// Run runs the workload once.
func Run(spec Spec) (Result, error) {
	switch {
	case spec.Nodes < 1 || spec.Nodes > 9:
		return Result{}, fmt.Errorf("etcd bench: %d nodes, want 1 to 9", spec.Nodes)
	case spec.Inflight < 1 || spec.Entries < 1 || spec.SizeBytes < 4 || spec.Keys < 1:
		return Result{}, errors.New("etcd bench: inflight, entries and keys must be positive and size at least 4 bytes")
	}
	c, err := newCluster(spec.Nodes)
	if err != nil {
		return Result{}, err
	}
	return c.run(spec)
}

func (c *cluster) run(spec Spec) (Result, error) {
	if err := c.elect(); err != nil {
		return Result{}, err
	}
	leader := c.nodes[0]
	proposed, nextTick := uint64(0), uint64(tickEvery)
	for leader.applied < spec.Entries {
		for proposed-leader.applied < uint64(spec.Inflight) && proposed < spec.Entries {
			// A fresh buffer per proposal, as a server decoding a client's
			// request would have: the log keeps it.
			data := make([]byte, spec.SizeBytes)
			binary.LittleEndian.PutUint32(data, uint32(proposed%uint64(spec.Keys)))
			if err := leader.rn.Propose(data); err != nil {
				return Result{}, fmt.Errorf("etcd bench: propose: %w", err)
			}
			proposed++
			c.handle(leader)
		}
		if !c.deliverOne() {
			return Result{}, fmt.Errorf("etcd bench: stalled with %d of %d entries applied", leader.applied, spec.Entries)
		}
		if leader.applied >= nextTick {
			nextTick += tickEvery
			c.tickAll()
		}
		if !leader.leader {
			return Result{}, errors.New("etcd bench: the leader lost its leadership")
		}
	}
	return Result{Applied: leader.applied, Steps: c.steps, Readies: c.readies}, nil
}

func newCluster(n int) (*cluster, error) {
	voters := make([]uint64, n)
	for i := range voters {
		voters[i] = uint64(i + 1)
	}
	logger := &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)}
	c := &cluster{}
	for i := range n {
		s := raft.NewMemoryStorage()
		// Every node starts from the same one-entry configuration.
		snap := &pb.Snapshot{Metadata: &pb.SnapshotMetadata{ConfState: &pb.ConfState{Voters: voters},
			Index: new(uint64(1)), Term: new(uint64(1))}}
		if err := s.ApplySnapshot(snap); err != nil {
			return nil, err
		}
		rn, err := raft.NewRawNode(&raft.Config{ID: uint64(i + 1), ElectionTick: electionTicks,
			HeartbeatTick: heartbeatTicks, Storage: s, MaxSizePerMsg: maxSizePerMsg,
			MaxInflightMsgs: maxInflightMsgs, PreVote: true, CheckQuorum: true, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("etcd bench: node %d: %w", i+1, err)
		}
		c.nodes = append(c.nodes, &node{id: uint64(i + 1), rn: rn, storage: s, kv: map[uint32][]byte{}})
	}
	return c, nil
}

func (c *cluster) tickAll() {
	for _, n := range c.nodes {
		n.rn.Tick()
		c.handle(n)
	}
}

// elect makes node 1 the leader and lets its first entry commit.
func (c *cluster) elect() error {
	leader := c.nodes[0]
	if err := leader.rn.Campaign(); err != nil {
		return fmt.Errorf("etcd bench: campaign: %w", err)
	}
	c.handle(leader)
	for c.deliverOne() {
	}
	if !leader.leader {
		return errors.New("etcd bench: node 1 did not become leader")
	}
	return nil
}

// deliverOne steps the oldest message on the wire into its receiver and
// handles what that asks for. It reports false when the wire is empty.
func (c *cluster) deliverOne() bool {
	if c.head == len(c.wire) {
		c.wire, c.head = c.wire[:0], 0
		return false
	}
	m := c.wire[c.head]
	c.wire[c.head] = nil
	c.head++
	if c.head >= 1024 && 2*c.head >= len(c.wire) {
		// Reuse the front of the buffer once most of it is delivered.
		n := copy(c.wire, c.wire[c.head:])
		clear(c.wire[n:])
		c.wire, c.head = c.wire[:n], 0
	}
	to := c.nodes[m.GetTo()-1]
	c.steps++
	// Errors are for messages from unknown peers: none here.
	_ = to.rn.Step(m)
	c.handle(to)
	return true
}

// handle carries out every Ready of n: persist, send, apply, Advance.
func (c *cluster) handle(n *node) {
	for n.rn.HasReady() {
		rd := n.rn.Ready()
		c.readies++
		if rd.SoftState != nil {
			n.leader = rd.SoftState.RaftState == raft.StateLeader
		}
		if rd.HardState != nil {
			// MemoryStorage keeps the pointer: the Ready's hard state is
			// fresh each time.
			_ = n.storage.SetHardState(rd.HardState)
		}
		if len(rd.Entries) > 0 {
			_ = n.storage.Append(rd.Entries)
		}
		c.wire = append(c.wire, rd.Messages...)
		for _, e := range rd.CommittedEntries {
			n.apply(e)
		}
		n.rn.Advance(rd)
	}
}

func (n *node) apply(e *pb.Entry) {
	if e.GetType() != pb.EntryType_EntryNormal || len(e.GetData()) < 4 {
		return // the leader's empty entry of its term
	}
	n.kv[binary.LittleEndian.Uint32(e.GetData())] = e.GetData()
	n.applied++
}
