package exercises

import (
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/room"
)

// TestShippedExercises: every shipped exercise parses, opens a room, and
// is listed with its roles.
func TestShippedExercises(t *testing.T) {
	require.Equal(t, []string{"be-a-server", "red-team-blue-team", "rolling-restart"}, Names())
	list, err := List()
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.Equal(t, []string{"nemesis", "operator", "client"}, list[1].Roles)
	require.Equal(t, []string{"server"}, list[0].Roles)
	for _, info := range list {
		src, ok := Source(info.Name)
		require.True(t, ok)
		r, _, err := room.New("0123456789abcdef", "ACDEFG", room.Spec{Exercise: info.Name, ExerciseSource: string(src)}, 0)
		require.NoError(t, err, info.Name)
		require.Equal(t, info.Title, r.Spec().Title)
	}
	_, ok := Source("../Makefile")
	require.False(t, ok)
	_, ok = Source("nothing")
	require.False(t, ok)
}
