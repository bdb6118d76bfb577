package lesson

import "smrlab/core/scenario"

// StudentSeed derives the seed a student's run of a per-student lesson
// uses: FNV-1a of the lesson id and the student id, mixed (splitmix64's
// finalizer), and kept within the seeds a scenario file can name. The same
// ids give the same seed everywhere (natively and in WebAssembly).
func StudentSeed(lessonID, studentID string) uint64 {
	h := uint64(14695981039346656037)
	mix := func(s string) {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
	}
	mix(lessonID)
	mix("\x00")
	mix(studentID)
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h%scenario.SeedMax + 1
}
