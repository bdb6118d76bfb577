// Command precompress writes a Brotli encoding next to each file it is given
// (FILE.br), for the labserver to send to browsers that accept br. `make web`
// runs it, so the build needs no brotli program installed: the encoder is
// pure Go. Files are compressed in parallel; a .br that already decodes to
// its file is left as it is, so an unchanged file costs one decompression.
//
//	go run ./tools/precompress [-quality 11] FILE...
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/andybalholm/brotli"
)

// lgWinMax is Brotli's largest window (16 MB), larger than any file served,
// so a match may reach back to the start of the wasm.
const lgWinMax = 24

func main() {
	quality := flag.Int("quality", brotli.BestCompression, "Brotli quality, 0 (fastest) to 11 (smallest)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: precompress [-quality N] FILE...\nwrites FILE.br, the Brotli encoding of each FILE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *quality < 0 || *quality > brotli.BestCompression || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	errs := make([]error, flag.NArg())
	var wg sync.WaitGroup
	for i, name := range flag.Args() {
		wg.Go(func() { errs[i] = precompress(name, *quality) })
	}
	wg.Wait()
	failed := false
	for _, err := range errs {
		if err != nil {
			fmt.Fprintln(os.Stderr, "precompress:", err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// precompress writes name.br unless it already holds name's content, through
// a temporary file so that a stopped build never leaves half a .br.
func precompress(name string, quality int) error {
	body, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(name + ".br"); err == nil && decodesTo(old, body) {
		return nil
	}
	var buf bytes.Buffer
	bw := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: quality, LGWin: lgWinMax})
	if _, err := bw.Write(body); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := bw.Close(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	tmp := name + ".br.tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name+".br")
}

func decodesTo(br, want []byte) bool {
	got, err := io.ReadAll(io.LimitReader(brotli.NewReader(bytes.NewReader(br)), int64(len(want))+1))
	return err == nil && bytes.Equal(got, want)
}
