//go:build !unix

package main

import "time"

var processStart = time.Now()

// cpuTime falls back to wall time where the system offers no CPU clock
// (WebAssembly): the simulator is single-threaded, so the two agree.
func cpuTime() time.Duration { return time.Since(processStart) }
