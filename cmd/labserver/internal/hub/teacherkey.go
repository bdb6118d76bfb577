package hub

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"smrlab/cmd/labserver/internal/store"
)

// teacherKeyMeta is the store's meta key for the teacher key's SHA-256.
const teacherKeyMeta = "teacher_key_sha256"

// TeacherKey settles the teacher key at startup and returns its hash. A
// key given (flag or environment) replaces the stored one; renew makes a
// new one; with neither, the stored hash stays, and a store without one
// gets a new key. made is a new key to print once: only its hash is kept.
func TeacherKey(ctx context.Context, st *store.Store, given string, renew bool) (hash, made string, err error) {
	switch {
	case given != "":
		if len(given) < 12 {
			return "", "", fmt.Errorf("the teacher key is %d characters: give at least 12", len(given))
		}
		hash = sha256Hex(given)
	case !renew:
		stored, ok, err := st.Meta(ctx, teacherKeyMeta)
		if err != nil {
			return "", "", fmt.Errorf("reading the teacher key's hash: %w", err)
		}
		if ok && stored != "" {
			return stored, "", nil
		}
		fallthrough
	default:
		var b [24]byte
		rand.Read(b[:])
		made = base64.RawURLEncoding.EncodeToString(b[:])
		hash = sha256Hex(made)
	}
	if err := st.SetMeta(ctx, teacherKeyMeta, hash); err != nil {
		return "", "", fmt.Errorf("storing the teacher key's hash: %w", err)
	}
	return hash, made, nil
}
