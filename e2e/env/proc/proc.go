package proc

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"sync"
	"syscall"
)

// Signal sends sig to the process group led by pid, which Attr made the child's own. It
// never signals a pid ≤ 1, so a zero Cmd cannot hit the caller's own group or init. A group
// that is already gone is not an error.
func Signal(pid int, sig syscall.Signal) error {
	if pid <= 1 {
		return nil
	}
	err := syscall.Kill(-pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// Cancel returns an exec.Cmd Cancel function that kills the command's whole process group.
func Cancel(cmd *exec.Cmd) func() error {
	return func() error {
		if cmd.Process == nil {
			return nil
		}
		if err := Signal(cmd.Process.Pid, syscall.SIGKILL); err != nil {
			return err
		}
		return os.ErrProcessDone
	}
}

// Command returns an exec.Cmd with Attr set whose process group is killed when ctx is done.
func Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = Attr()
	cmd.Cancel = Cancel(cmd)
	return cmd
}

// Buffer is a concurrency-safe writer that keeps at most the last Max bytes written.
type Buffer struct {
	// Max is the number of bytes kept; 0 keeps 64 KiB.
	Max int

	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	limit := b.Max
	if limit <= 0 {
		limit = 64 << 10
	}
	b.buf.Write(p)
	if over := b.buf.Len() - limit; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

// Bytes returns a copy of the bytes kept.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
