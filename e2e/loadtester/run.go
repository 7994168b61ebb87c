package loadtester

import (
	"context"
	"fmt"
	"time"

	"github.com/gitcanary/gitcanary/e2e/env/proc"
)

// maxOutput bounds the output kept of one command.
const maxOutput = 256 << 10

// run runs name with args in its own process group and returns its combined output; the
// whole group is killed when ctx is done.
func (s *Server) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := proc.Command(ctx, name, args...)
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
