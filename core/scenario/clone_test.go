package scenario

import (
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/sim"
)

// TestCloneGoesOnIdentically: a world cloned mid-run, under every kind of
// fault, produces exactly the events and final state of the original.
func TestCloneGoesOnIdentically(t *testing.T) {
	sc := shipped(t)["chaos.scn"]
	for seed := uint64(1); seed <= 12; seed++ {
		w, err := World(sc, RunOptions{Seed: seed, SeedSet: true, KeepEvents: true})
		require.NoError(t, err)
		w.RunUntil(3*sim.Second + 300*sim.Millisecond)
		c := w.Clone()
		w.RunUntil(5 * sim.Second)
		cc := c.Clone() // a clone of a clone, behind the original
		c.RunUntil(5 * sim.Second)
		require.Equal(t, w.Recorder().Sum(), c.Recorder().Sum(), "seed %d", seed)
		require.Equal(t, w.StateHash(), c.StateHash(), "seed %d", seed)
		w.RunUntil(sc.Duration)
		c.RunUntil(sc.Duration)
		cc.RunUntil(sc.Duration)
		fresh, err := World(sc, RunOptions{Seed: seed, SeedSet: true, KeepEvents: true})
		require.NoError(t, err)
		fresh.RunUntil(sc.Duration)
		for _, x := range []*sim.World{c, cc, fresh} {
			require.Equal(t, w.Recorder().Count(), x.Recorder().Count(), "seed %d", seed)
			require.Equal(t, w.Recorder().Sum(), x.Recorder().Sum(), "seed %d", seed)
			require.Equal(t, w.StateHash(), x.StateHash(), "seed %d", seed)
			require.Equal(t, w.Events(), x.Events(), "seed %d", seed)
		}
	}
}
