//go:build !js

package linear

// stepsPerMillisecond is zero natively: porcupine's timeout bounds a check.
const stepsPerMillisecond = 0
