package tracefile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// framer reads one msgpack value at a time, whole, into a buffer. It checks
// every length and count that the value claims against the bytes its record
// may still hold, so a corrupt claim fails here, before anything allocates
// for it.
type framer struct {
	r     *bufio.Reader
	buf   []byte
	limit int // bytes the record may hold
	left  int // bytes the record may still hold
}

// errCut reports a file that ends inside a record.
var errCut = errors.New("truncated: the file ends inside a record")

// next reads the next value, of at most bytesMax bytes. It returns io.EOF
// when the stream ends before the value starts.
func (f *framer) next(bytesMax int) ([]byte, error) {
	f.buf, f.limit, f.left = f.buf[:0], bytesMax, bytesMax
	if _, err := f.r.Peek(1); err != nil {
		return nil, err
	}
	// pending counts the values still to read: containers add their elements.
	for pending := 1; pending > 0; pending-- {
		elems, err := f.value()
		if err != nil {
			return nil, err
		}
		pending += elems
		if pending-1 > f.left { // every value takes a byte at least
			return nil, f.tooLong()
		}
	}
	return f.buf, nil
}

// head describes a msgpack value from its first byte, for 0xc0..0xdf.
type head struct {
	lenBytes int  // bytes of the length or count after the first byte
	fixed    int  // bytes after that which do not depend on it
	kind     byte // what the length counts
}

// What a head's length counts.
const (
	scalar byte = iota
	payload
	array
	mapping
	invalid
)

// heads describes the first bytes 0xc0..0xdf of the msgpack spec; the
// others are fixints, fixmaps, fixarrays and fixstrs. Missing entries (nil,
// false, true) are scalars with nothing after the first byte.
var heads = [32]head{
	0xc1 - 0xc0: {kind: invalid}, // never used
	0xc4 - 0xc0: {1, 0, payload}, // bin 8
	0xc5 - 0xc0: {2, 0, payload}, // bin 16
	0xc6 - 0xc0: {4, 0, payload}, // bin 32
	0xc7 - 0xc0: {1, 1, payload}, // ext 8: length, type, data
	0xc8 - 0xc0: {2, 1, payload}, // ext 16
	0xc9 - 0xc0: {4, 1, payload}, // ext 32
	0xca - 0xc0: {0, 4, scalar},  // float 32
	0xcb - 0xc0: {0, 8, scalar},  // float 64
	0xcc - 0xc0: {0, 1, scalar},  // uint 8
	0xcd - 0xc0: {0, 2, scalar},  // uint 16
	0xce - 0xc0: {0, 4, scalar},  // uint 32
	0xcf - 0xc0: {0, 8, scalar},  // uint 64
	0xd0 - 0xc0: {0, 1, scalar},  // int 8
	0xd1 - 0xc0: {0, 2, scalar},  // int 16
	0xd2 - 0xc0: {0, 4, scalar},  // int 32
	0xd3 - 0xc0: {0, 8, scalar},  // int 64
	0xd4 - 0xc0: {0, 2, scalar},  // fixext 1: type, data
	0xd5 - 0xc0: {0, 3, scalar},  // fixext 2
	0xd6 - 0xc0: {0, 5, scalar},  // fixext 4
	0xd7 - 0xc0: {0, 9, scalar},  // fixext 8
	0xd8 - 0xc0: {0, 17, scalar}, // fixext 16
	0xd9 - 0xc0: {1, 0, payload}, // str 8
	0xda - 0xc0: {2, 0, payload}, // str 16
	0xdb - 0xc0: {4, 0, payload}, // str 32
	0xdc - 0xc0: {2, 0, array},   // array 16
	0xdd - 0xc0: {4, 0, array},   // array 32
	0xde - 0xc0: {2, 0, mapping}, // map 16
	0xdf - 0xc0: {4, 0, mapping}, // map 32
}

// value reads one value's head and payload; it returns how many elements
// follow it (for a container) to be read as values in turn.
func (f *framer) value() (int, error) {
	b, err := f.take(1)
	if err != nil {
		return 0, err
	}
	switch c := b[0]; {
	case c <= 0x7f || c >= 0xe0: // fixint
		return 0, nil
	case c <= 0x8f: // fixmap
		return 2 * int(c&0x0f), nil
	case c <= 0x9f: // fixarray
		return int(c & 0x0f), nil
	case c <= 0xbf: // fixstr
		return 0, f.skip(uint64(c & 0x1f))
	}
	return f.long(b[0])
}

// long reads a value whose first byte c is in 0xc0..0xdf.
//
// It refuses an empty extension (ext 8..32 of length 0): go-msgpack takes
// the value after it as part of it, and so on, with no limit on how deep
// such values chain, so a header of them overflowed the stack and crashed
// the reader. No trace holds an extension; refusing this one here keeps
// both codecs alike (see liteDecoder).
func (f *framer) long(c byte) (int, error) {
	h := heads[c-0xc0]
	if h.kind == invalid {
		return 0, fmt.Errorf("byte 0x%02x is not msgpack", c)
	}
	n, err := f.length(h.lenBytes)
	if err != nil {
		return 0, err
	}
	switch h.kind {
	case array:
		return f.elems(n, 1)
	case mapping:
		return f.elems(n, 2)
	case payload:
		if h.fixed == 1 && n == 0 {
			return 0, fmt.Errorf("byte 0x%02x starts an empty extension, which no trace holds", c)
		}
		return 0, f.skip(uint64(h.fixed) + n)
	}
	return 0, f.skip(uint64(h.fixed))
}

// elems turns a container's count into its number of values, if they fit.
func (f *framer) elems(count, per uint64) (int, error) {
	if count*per > uint64(f.left) { // count < 2^32: no overflow
		return 0, f.tooLong()
	}
	return int(count * per), nil
}

// length reads a big-endian length of size bytes.
func (f *framer) length(size int) (uint64, error) {
	b, err := f.take(uint64(size))
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n, err
}

// skip copies n bytes of payload.
func (f *framer) skip(n uint64) error {
	_, err := f.take(n)
	return err
}

// take copies the next n bytes of the record into the buffer and returns them.
func (f *framer) take(n uint64) ([]byte, error) {
	if n > uint64(f.left) {
		return nil, f.tooLong()
	}
	// Read in chunks, so that a length the file claims but does not hold
	// costs no more memory than the bytes really there.
	start := len(f.buf)
	for need := n; need > 0; {
		chunk := min(need, 64<<10)
		at := len(f.buf)
		f.buf = append(f.buf, make([]byte, chunk)...)
		if _, err := io.ReadFull(f.r, f.buf[at:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, errCut
			}
			return nil, err
		}
		need -= chunk
	}
	f.left -= int(n)
	return f.buf[start:], nil
}

func (f *framer) tooLong() error {
	return fmt.Errorf("record is longer than %d bytes, the limit", f.limit)
}
