package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLogTailDriftPasses: the tail finds a pass whose start and finish come in different reads
// and a line written in two parts, and reads each line once.
func TestLogTailDriftPasses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "controller.log")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	write := func(s string) {
		_, err := f.WriteString(s)
		require.NoError(t, err)
	}
	tail := &logTail{path: path}

	write(`{"ts":"2026-12-03T18:00:00.000Z","logger":"sync","msg":"overlay applied","overlay":"apps/a"}` + "\n")
	write(`{"ts":"2026-12-03T18:00:01.500Z","logger":"sync","msg":"drift correction started: re-applying every overlay","overlays":1000}` + "\n")
	passes, err := tail.driftPasses()
	require.NoError(t, err)
	require.Empty(t, passes, "started, not finished")

	write(`{"ts":"2026-12-03T18:01:31.500Z","logger":"sync","msg":"drift correction finished",`)
	passes, err = tail.driftPasses()
	require.NoError(t, err)
	require.Empty(t, passes, "the finish line is not ended yet")
	write(`"overlays":1000,"failed":2,"seconds":90}` + "\n")
	passes, err = tail.driftPasses()
	require.NoError(t, err)
	require.Len(t, passes, 1)
	require.Equal(t, 1000, passes[0].overlays)
	require.Equal(t, 2, passes[0].failed)
	require.Equal(t, 90*time.Second, passes[0].finished.Sub(passes[0].started))

	passes, err = tail.driftPasses()
	require.NoError(t, err)
	require.Empty(t, passes, "each line is read once")
}
