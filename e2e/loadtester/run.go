package loadtester

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gitcanary/gitcanary/e2e/env/proc"
)

// maxOutput bounds the output kept of one command.
const maxOutput = 256 << 10

// run runs name with args in its own process group and returns its combined output; the
// whole group is killed when ctx is done.
func (s *Server) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := proc.Command(ctx, lookPath(name, s.opts.Env), args...)
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = s.opts.Env
	cmd.Dir = s.opts.Dir
	out := &proc.Buffer{Max: maxOutput}
	cmd.Stdout = out
	cmd.Stderr = out
	if err := proc.Run(cmd); err != nil {
		if ctx.Err() != nil {
			return out.Bytes(), fmt.Errorf("run %s: %w (%w)", name, err, context.Cause(ctx))
		}
		return out.Bytes(), fmt.Errorf("run %s: %w", name, err)
	}
	return out.Bytes(), nil
}

// lookPath finds name in the PATH of env (the commands' environment, which may differ from
// this process's), falling back to name itself for exec's own lookup.
func lookPath(name string, env []string) string {
	if strings.Contains(name, "/") {
		return name
	}
	for _, kv := range slices.Backward(env) {
		path, ok := strings.CutPrefix(kv, "PATH=")
		if !ok {
			continue
		}
		for _, dir := range filepath.SplitList(path) {
			p := filepath.Join(dir, name)
			if info, err := os.Stat(p); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
				return p
			}
		}
		break
	}
	return name
}
