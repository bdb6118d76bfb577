package tracefile

import (
	"bufio"
	"bytes"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/stretchr/testify/require"
)

// The framer finds the end of every kind of msgpack value, whatever the
// sizes of its lengths.
func TestFramerFramesEveryKind(t *testing.T) {
	values := []any{
		nil, true, false, 0, 127, -32, -33, uint(200), uint(60_000), uint(70_000), uint64(math.MaxUint64), -200, -70_000,
		-1 << 40, float32(1.5), 2.5, "", "x", strings.Repeat("s", 40), strings.Repeat("s", 300),
		strings.Repeat("s", 70_000), []byte{}, []byte("bin"), bytes.Repeat([]byte("b"), 300),
		bytes.Repeat([]byte("b"), 70_000), []int{}, make([]int, 16), make([]int, 70_000),
		map[string]int{}, map[string]int{"a": 1}, manyKeys(16), manyKeys(70_000),
		time.Unix(1, 0), time.Unix(1<<40, 5), []any{[]any{map[string]any{"k": []any{nil}}}},
	}
	h := &codec.MsgpackHandle{}
	h.WriteExt = true
	var firsts []byte
	for _, v := range values {
		var one []byte
		require.NoError(t, codec.NewEncoderBytes(&one, h).Encode(v))
		firsts = append(firsts, one[0])
		f := framer{r: bufio.NewReader(bytes.NewReader(append(bytes.Clone(one), one...)))}
		for range 2 {
			got, err := f.next(1 << 20)
			require.NoError(t, err, "%T", v)
			require.Equal(t, one, got, "%T", v)
		}
		_, err := f.next(1 << 20)
		require.Equal(t, io.EOF, err)
	}
	require.Subset(t, firsts, []byte{0xc0, 0xc3, 0xc4, 0xc5, 0xc6, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
		0xd0, 0xd1, 0xd2, 0xd3, 0xd6, 0xc7, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf}, "every long head is covered")
}

// Extension values, which the codec does not write for our types.
func TestFramerFramesExtensions(t *testing.T) {
	for _, ext := range [][]byte{
		{0xd4, 1, 2}, {0xd5, 1, 2, 3}, {0xd6, 1, 0, 0, 0, 0}, {0xd7, 1, 0, 0, 0, 0, 0, 0, 0, 0},
		append([]byte{0xd8, 1}, make([]byte, 16)...), {0xc7, 2, 9, 1, 2}, {0xc8, 0, 1, 9, 1},
		{0xc9, 0, 0, 0, 1, 9, 1},
	} {
		f := framer{r: bufio.NewReader(bytes.NewReader(append(bytes.Clone(ext), 0xc0)))}
		got, err := f.next(100)
		require.NoError(t, err)
		require.Equal(t, ext, got)
	}
}

func manyKeys(n int) map[string]int {
	m := make(map[string]int, n)
	for i := range n {
		m[strconv.Itoa(i)] = i
	}
	return m
}
