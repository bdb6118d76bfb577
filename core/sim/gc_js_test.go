//go:build js

package sim_test

import "runtime/debug"

// The browser build (wasm/main.go) runs with this collector setting; the
// WebAssembly benchmarks measure the same program.
func init() {
	debug.SetGCPercent(400)
}
