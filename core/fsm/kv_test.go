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
