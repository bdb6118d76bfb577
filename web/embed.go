// Package web holds the browser lab: the static app in static/ (HTML, CSS,
// JavaScript modules, the WebAssembly builds of the simulator and of its file
// tools, and their precompressed .gz and .br siblings), embedded so that one
// labserver binary serves it.
//
// `make web` writes the build outputs (smrlab.wasm, smrlab-files.wasm,
// wasm_exec.js, *.gz, *.br) into static/ before the labserver is built; a
// binary built without them still serves the page, and the labserver warns at
// startup that the wasm is missing.
package web

import (
	"embed"
	"io/fs"
)

// The directory pattern skips files whose names begin with "." or "_".
//
//go:embed static
var static embed.FS

// Static returns the files of web/static, rooted so that "index.html" is the
// page itself.
func Static() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // "static" is a valid path; fs.Sub cannot fail on it
	}
	return sub
}
