package cli

import (
	"os"
	"runtime/debug"
)

// runGCPercent is the garbage collector's target for `alignbot run` when
// GOGC does not set one: a click allocates a few kilobytes that are garbage
// once it is answered, and the heap they live in is small, so collecting
// at four times the live heap instead of twice spends a fraction of the
// CPU for a few more megabytes. runMemoryLimit (unless GOMEMLIMIT sets
// one) makes the collector run sooner whenever the heap nears it, so that
// the higher target never costs more memory than that.
const (
	runGCPercent   = 400
	runMemoryLimit = 256 << 20
)

// tuneGC applies runGCPercent and runMemoryLimit where the environment
// leaves them to the binary; it reports the target in effect.
func tuneGC() (gcPercent int) {
	if v, ok := os.LookupEnv("GOGC"); ok && v != "" {
		// The runtime has read it already.
		gcPercent = debug.SetGCPercent(-1)
		debug.SetGCPercent(gcPercent)
		return gcPercent
	}
	if v, ok := os.LookupEnv("GOMEMLIMIT"); !ok || v == "" {
		debug.SetMemoryLimit(runMemoryLimit)
	}
	debug.SetGCPercent(runGCPercent)
	return runGCPercent
}
