package hub

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"smrlab/core/room"
)

// newRoomID is 16 random hex digits.
func newRoomID() string {
	var b [8]byte
	rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// newJoinCode is room.CodeLen letters of room.CodeAlphabet, each uniform:
// bytes past the last whole multiple of the alphabet are drawn again.
func newJoinCode() string {
	n := len(room.CodeAlphabet)
	limit := 256 - 256%n
	code := make([]byte, 0, room.CodeLen)
	var b [16]byte
	for len(code) < room.CodeLen {
		rand.Read(b[:])
		for _, x := range b {
			if int(x) < limit && len(code) < room.CodeLen {
				code = append(code, room.CodeAlphabet[int(x)%n])
			}
		}
	}
	return string(code)
}

// newToken is a seat's token: 32 random bytes, base64url.
func newToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sha256Hex is how tokens and the teacher key are stored.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
