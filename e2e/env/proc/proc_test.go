package proc

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBufferKeepsTheTail(t *testing.T) {
	b := &Buffer{Max: 5}
	_, _ = b.Write([]byte("hello "))
	_, _ = b.Write([]byte("world"))
	require.Equal(t, "world", string(b.Bytes()))
}

func TestSignalRefusesSmallPids(t *testing.T) {
	for _, pid := range []int{-1, 0, 1} {
		require.NoError(t, Signal(pid, syscall.SIGKILL))
	}
}

// Cancelling the context kills the command's whole process group, grandchildren included.
func TestCommandKillsTheGroupOnCancel(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	ctx, cancel := context.WithCancel(context.Background())
	cmd := Command(ctx, "sh", "-c", "sleep 30 & echo $! > "+pidFile+"; wait")
	cmd.WaitDelay = 5 * time.Second
	require.NoError(t, Start(cmd))
	var child int
	require.Eventually(t, func() bool {
		data, err := os.ReadFile(pidFile)
		if err != nil || !strings.HasSuffix(string(data), "\n") {
			return false
		}
		child, err = strconv.Atoi(strings.TrimSpace(string(data)))
		return err == nil
	}, 10*time.Second, 10*time.Millisecond)
	cancel()
	require.Error(t, cmd.Wait())
	require.Eventually(t, func() bool {
		return syscall.Kill(child, 0) == syscall.ESRCH || zombie(child)
	}, 10*time.Second, 10*time.Millisecond, "grandchild %d killed", child)
}

func zombie(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(data), ')')
	return i >= 0 && i+2 < len(data) && data[i+2] == 'Z'
}
