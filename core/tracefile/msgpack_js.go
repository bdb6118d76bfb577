//go:build js

package tracefile

import "bufio"

// The browser build encodes and decodes with the lite codec, so that it does
// not link go-msgpack (see msgpack_codec.go).

func newMsgpackWriter(buf *bufio.Writer) recordWriter { return newLiteWriter(buf) }
func newValueDecoder() valueDecoder                   { return newLiteDecoder() }
