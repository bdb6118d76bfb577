package linear

import (
	"io"

	"github.com/anishathalye/porcupine"
)

// WriteHTML writes porcupine's visualization of a history: every key's
// operations on a time line per client, with the linearization found or, for
// a key that is not linearizable, the longest partial ones. res is the
// verdict of Check on the same ops, whose search it reuses; for any other
// Result (a Checker's, say, which covers only some keys) it checks ops again
// with DefaultTimeout.
func WriteHTML(w io.Writer, ops []Op, res Result) error {
	vis := res.vis
	if vis == nil {
		vis = check(ops, Options{Timeout: DefaultTimeout}).vis
	}
	vis.mu.Lock()
	defer vis.mu.Unlock()
	return porcupine.Visualize(kvModel, vis.info, w)
}
