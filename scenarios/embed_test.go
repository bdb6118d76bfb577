package scenarios

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEmbedded: every scenario file of the folder is embedded, byte for byte.
func TestEmbedded(t *testing.T) {
	files, err := filepath.Glob("*.scn")
	require.NoError(t, err)
	require.Equal(t, files, Names())
	for _, f := range files {
		want, err := os.ReadFile(f)
		require.NoError(t, err)
		got, ok := Source(f)
		require.True(t, ok, f)
		require.Equal(t, want, got, f)
	}
	for _, bad := range []string{"../go.mod", "README.md", "nothing.scn", ""} {
		_, ok := Source(bad)
		require.False(t, ok, bad)
	}
}
