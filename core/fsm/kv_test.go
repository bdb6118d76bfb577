package fsm

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCommandRoundTrip(t *testing.T) {
	for _, c := range []Command{
		{Client: 7, Seq: 1 << 40, Op: OpPut, Key: "k1", Value: "hello"},
		{Client: 0, Seq: 0, Op: OpGet, Key: ""},
		{Client: 1, Seq: 3, Op: OpPut, Key: strings.Repeat("k", KeyBytesMax), Value: "ü"},
	} {
		got, err := Decode(c.Encode(nil))
		require.NoError(t, err)
		require.Equal(t, c, got)
	}
}

func TestDecodeRefusesBadCommands(t *testing.T) {
	good := Command{Client: 1, Seq: 2, Op: OpPut, Key: "k", Value: "v"}.Encode(nil)
	cases := map[string][]byte{
		"empty":      nil,
		"unknown op": append([]byte{9}, good[1:]...),
		"truncated":  good[:len(good)-1],
		"trailing":   append(append([]byte(nil), good...), 0),
		"long key":   Command{Op: OpPut, Key: strings.Repeat("k", KeyBytesMax+1)}.Encode(nil),
	}
	for name, b := range cases {
		_, err := Decode(b)
		require.Error(t, err, name)
	}
}

func TestApplyPutGet(t *testing.T) {
	kv := NewKV()
	put := func(i uint64, k, v string) Result {
		r, err := kv.Apply(i, Command{Op: OpPut, Key: k, Value: v}.Encode(nil))
		require.NoError(t, err)
		return r
	}
	require.False(t, put(1, "x", "1").Found)
	r := put(2, "x", "2")
	require.True(t, r.Found)
	require.Equal(t, "1", string(r.Value))
	r, err := kv.Apply(3, Command{Op: OpGet, Key: "x"}.Encode(nil))
	require.NoError(t, err)
	require.Equal(t, "2", string(r.Value))
	_, err = kv.Apply(4, nil) // a leader's no-op
	require.NoError(t, err)
	require.Equal(t, uint64(4), kv.Applied())
	_, err = kv.Apply(6, nil)
	require.ErrorContains(t, err, "applying index 6 after 4")
	v, ok := kv.Get("x")
	require.True(t, ok)
	require.Equal(t, "2", v)
	require.Equal(t, []string{"x"}, kv.Keys())
}

func TestHashDependsOnContentNotOrder(t *testing.T) {
	apply := func(kvs ...string) *KV {
		kv := NewKV()
		for i := 0; i < len(kvs); i += 2 {
			_, err := kv.Apply(uint64(i/2+1), Command{Op: OpPut, Key: kvs[i], Value: kvs[i+1]}.Encode(nil))
			require.NoError(t, err)
		}
		return kv
	}
	a := apply("a", "1", "b", "2")
	b := apply("b", "2", "a", "1")
	require.Equal(t, a.Hash(), b.Hash())
	c := apply("a", "1", "b", "3")
	require.NotEqual(t, a.Hash(), c.Hash())
	d := apply("a", "1", "b", "9", "b", "2")
	require.NotEqual(t, a.Hash(), d.Hash(), "the applied index is part of the hash")
}

// TestSnapshotRestoresTheSameState checks that a snapshot restores to a store
// with the same contents, applied index and hash, and that equal states give
// equal snapshot bytes whatever order their keys were written in.
func TestSnapshotRestoresTheSameState(t *testing.T) {
	a, b := NewKV(), NewKV()
	puts := []Command{{Op: OpPut, Key: "x", Value: "1"}, {Op: OpPut, Key: "y", Value: "22"},
		{Op: OpPut, Key: "x", Value: "3"}, {Op: OpGet, Key: "y"}}
	for i, c := range puts {
		_, err := a.Apply(uint64(i+1), c.Encode(nil))
		require.NoError(t, err)
	}
	for i, c := range []Command{{Op: OpPut, Key: "y", Value: "22"}, {Op: OpPut, Key: "x", Value: "3"},
		{}, {}} {
		var data []byte
		if c.Op != 0 {
			data = c.Encode(nil)
		}
		_, err := b.Apply(uint64(i+1), data)
		require.NoError(t, err)
	}
	require.Equal(t, a.Snapshot(), b.Snapshot())
	r, err := Restore(a.Snapshot())
	require.NoError(t, err)
	require.Equal(t, a.Hash(), r.Hash())
	require.Equal(t, uint64(4), r.Applied())
	v, ok := r.Get("x")
	require.True(t, ok)
	require.Equal(t, "3", v)
	h, err := SnapshotHash(a.Snapshot())
	require.NoError(t, err)
	require.Equal(t, a.Hash(), h)
	_, err = r.Apply(5, Command{Op: OpPut, Key: "z", Value: "9"}.Encode(nil))
	require.NoError(t, err)
	require.NotEqual(t, a.Hash(), r.Hash())
}

// TestRestoreRefusesBadSnapshots checks that a damaged snapshot is refused.
func TestRestoreRefusesBadSnapshots(t *testing.T) {
	kv := NewKV()
	_, err := kv.Apply(1, Command{Op: OpPut, Key: "k", Value: "v"}.Encode(nil))
	require.NoError(t, err)
	good := kv.Snapshot()
	for name, b := range map[string][]byte{
		"empty":         nil,
		"version":       append([]byte{9}, good[1:]...),
		"truncated":     good[:len(good)-1],
		"trailing":      append(append([]byte(nil), good...), 0),
		"count too big": {1, 1, 200},
	} {
		_, err := Restore(b)
		require.Error(t, err, name)
	}
}

// TestSessionsApplyARetryOnce checks client sessions (thesis §6.3): a
// command applied a second time returns the first result and changes
// nothing; acknowledged results are forgotten; with the no-session-dedup bug
// the retry applies again.
func TestSessionsApplyARetryOnce(t *testing.T) {
	for _, noDedup := range []bool{false, true} {
		kv := NewKV()
		kv.NoDedup = noDedup
		i := uint64(0)
		apply := func(c Command) Result {
			i++
			r, err := kv.Apply(i, c.Encode(nil))
			require.NoError(t, err)
			return r
		}
		app := Command{Client: 1, Seq: 1, AckBelow: 1, Op: OpAppend, Key: "x", Value: "a"}
		r := apply(app)
		require.Equal(t, "a", string(r.Value))
		require.False(t, r.Duplicate)
		r = apply(app) // the retry
		v, _ := kv.Get("x")
		if noDedup {
			require.Equal(t, "aa", v, "the bug applies the retry again")
			continue
		}
		require.True(t, r.Duplicate)
		require.Equal(t, "a", string(r.Value), "the remembered result")
		require.Equal(t, "a", v)
		h := kv.Hash()
		apply(Command{Client: 1, Seq: 2, AckBelow: 2, Op: OpAppend, Key: "x", Value: "b"})
		require.NotEqual(t, h, kv.Hash())
		r = apply(app) // acknowledged, then delivered again: ignored
		require.True(t, r.Duplicate)
		v, _ = kv.Get("x")
		require.Equal(t, "ab", v)
		require.Equal(t, 1, kv.Sessions())
		// A snapshot keeps the session: the retry of 2 is still answered once.
		back, err := Restore(kv.Snapshot())
		require.NoError(t, err)
		require.Equal(t, kv.Hash(), back.Hash())
		r, err = back.Apply(i+1, Command{Client: 1, Seq: 2, AckBelow: 2, Op: OpAppend, Key: "x", Value: "b"}.Encode(nil))
		require.NoError(t, err)
		require.True(t, r.Duplicate)
		v, _ = back.Get("x")
		require.Equal(t, "ab", v)
	}
}

// TestCloneSharesNoSessionState checks that a clone and its original apply
// independently after the clone.
func TestCloneSharesNoSessionState(t *testing.T) {
	kv := NewKV()
	_, err := kv.Apply(1, Command{Client: 1, Seq: 1, AckBelow: 1, Op: OpPut, Key: "k", Value: "1"}.Encode(nil))
	require.NoError(t, err)
	c := kv.Clone()
	_, err = kv.Apply(2, Command{Client: 1, Seq: 2, AckBelow: 1, Op: OpPut, Key: "k", Value: "2"}.Encode(nil))
	require.NoError(t, err)
	_, err = c.Apply(2, Command{Client: 1, Seq: 3, AckBelow: 1, Op: OpPut, Key: "k", Value: "3"}.Encode(nil))
	require.NoError(t, err)
	r, err := kv.Apply(3, Command{Client: 1, Seq: 2, AckBelow: 1, Op: OpPut, Key: "k", Value: "2"}.Encode(nil))
	require.NoError(t, err)
	require.True(t, r.Duplicate, "the original remembers seq 2, not the clone's seq 3")
	require.Equal(t, "1", string(r.Value))
}
