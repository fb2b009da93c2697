package cli

import (
	"runtime/debug"
	"testing"
)

// Not parallel: the collector's settings belong to the process.
func TestTuneGC(t *testing.T) {
	before, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(before)
		debug.SetMemoryLimit(limit)
	})
	tests := []struct {
		name, gogc, gomemlimit string
		start                  int
		wantPercent            int
		wantLimit              int64
	}{
		{name: "left to the binary", wantPercent: runGCPercent, wantLimit: runMemoryLimit},
		{name: "GOGC set", gogc: "150", start: 150, wantPercent: 150, wantLimit: limit},
		{name: "GOMEMLIMIT set", gomemlimit: "1GiB", wantPercent: runGCPercent, wantLimit: limit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOGC", tt.gogc)
			t.Setenv("GOMEMLIMIT", tt.gomemlimit)
			// What the runtime read from the environment at start.
			if tt.start != 0 {
				debug.SetGCPercent(tt.start)
			}
			debug.SetMemoryLimit(limit)
			if got := tuneGC(); got != tt.wantPercent {
				t.Errorf("tuneGC() = %d, want %d", got, tt.wantPercent)
			}
			if got := debug.SetGCPercent(-1); got != tt.wantPercent {
				t.Errorf("GC percent in effect %d, want %d", got, tt.wantPercent)
			}
			debug.SetGCPercent(100)
			if got := debug.SetMemoryLimit(-1); got != tt.wantLimit {
				t.Errorf("memory limit %d, want %d", got, tt.wantLimit)
			}
		})
	}
}
