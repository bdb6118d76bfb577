//go:build js

package linear

// stepsPerMillisecond turns a timeout into a step budget under WebAssembly:
// with one thread and no preemption, porcupine's timer fires only when the
// search happens to yield, so the model counts its steps and gives up
// itself. A model step costs well under a microsecond.
const stepsPerMillisecond = 2_000
