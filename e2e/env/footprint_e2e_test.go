//go:build e2e

package env_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/e2e/env"
)

// The environment starts within its budget and its footprint is logged: start time and
// the resident memory of every component (docs/e2e-environment.md records the numbers).
func TestEnvironmentFootprint(t *testing.T) {
	e := env.Get(t)
	var total int64
	var parts []string
	for _, p := range e.Processes() {
		kib, err := rssKiB(p.PID())
		require.NoError(t, err, p.Name)
		total += kib
		parts = append(parts, fmt.Sprintf("%s %d MiB", p.Name, kib>>10))
	}
	self, err := rssKiB(os.Getpid())
	require.NoError(t, err)
	t.Logf("start %s; RSS %d MiB (%s; test process with mesh, load tester and proxy %d MiB)",
		e.StartDuration.Round(time.Millisecond), (total+self)>>10, strings.Join(parts, ", "), self>>10)
	require.Less(t, e.StartDuration, 60*time.Second)
	require.Less(t, total+self, int64(3<<20), "RSS under 3 GiB")
}

func rssKiB(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}
