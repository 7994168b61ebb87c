package env

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/gitcanary/gitcanary/e2e/env/proc"
)

// Process is one running component of the environment (etcd, kube-apiserver, …).
type Process struct {
	// Name is the component name, also the base name of its log file.
	Name string
	// LogPath is the file receiving the component's stdout and stderr.
	LogPath string

	cmd      *exec.Cmd
	logFile  *os.File
	done     chan struct{} // closed when the process has exited
	waitErr  error
	exitedAt time.Time
}

// startProcess starts bin with args in its own process group (killed with this process),
// logging to <logDir>/<name>.log.
func startProcess(name, bin string, args, env []string, logDir string) (*Process, error) {
	logPath := filepath.Join(logDir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s log: %w", name, err)
	}
	cmd := proc.Command(context.Background(), bin, args...) // stopped by stopProcesses
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = env
	fmt.Fprintf(f, "# %s %q\n", bin, args)
	if err := proc.Start(cmd); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, LogPath: logPath, cmd: cmd, logFile: f, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		p.exitedAt = time.Now()
		_ = f.Close()
		close(p.done)
	}()
	return p, nil
}

// PID returns the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited returns a channel closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.done }

// exitError describes how the process ended; call it only after Exited is closed.
func (p *Process) exitError() error {
	if p.waitErr == nil {
		return fmt.Errorf("%s exited", p.Name)
	}
	return fmt.Errorf("%s exited: %w", p.Name, p.waitErr)
}

// signal sends sig to the process's group unless it has exited.
func (p *Process) signal(sig syscall.Signal) {
	select {
	case <-p.done:
	default:
		_ = proc.Signal(p.PID(), sig)
	}
}

// stopProcesses sends SIGTERM to every process at once, waits up to grace for them to exit
// and SIGKILLs the rest. Only the environment's own process groups are signalled.
func stopProcesses(ps []*Process, grace time.Duration) {
	for _, p := range ps {
		p.signal(syscall.SIGTERM)
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	for _, p := range ps {
		select {
		case <-p.done:
		case <-timer.C:
			for _, q := range ps {
				q.signal(syscall.SIGKILL)
			}
		}
	}
	for _, p := range ps {
		<-p.done
	}
}

// stopReport describes how long each process took to exit after SIGTERM.
func stopReport(ps []*Process, start time.Time) string {
	var b bytes.Buffer
	for _, p := range ps {
		fmt.Fprintf(&b, "%s exited after %s (%v); ", p.Name, p.exitedAt.Sub(start).Round(time.Millisecond), p.waitErr)
	}
	return b.String()
}

// logTail returns the last n lines of the process's log.
func (p *Process) logTail(n int) string {
	data, err := os.ReadFile(p.LogPath)
	if err != nil {
		return fmt.Sprintf("(read %s: %v)", p.LogPath, err)
	}
	return tailLines(data, n)
}

// tailLines returns the last n lines of data.
func tailLines(data []byte, n int) string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// waitFor polls check every interval until it succeeds, ctx is done or one of the watched
// processes exits; the error then names the condition and the last check error.
func waitFor(ctx context.Context, what string, watch []*Process, interval time.Duration, check func(context.Context) error) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	var last error
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		last = check(cctx)
		cancel()
		if last == nil {
			return nil
		}
		for _, p := range watch {
			select {
			case <-p.done:
				return fmt.Errorf("wait for %s: %w\n--- %s log tail ---\n%s", what, p.exitError(), p.Name, p.logTail(40))
			default:
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w (last error: %w)", what, context.Cause(ctx), last)
		case <-t.C:
		}
	}
}

// logs is the set of log files of an environment, printed by DumpLogs.
type logs struct {
	mu    sync.Mutex
	files []string
}

func (l *logs) add(path string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.files = append(l.files, path)
}

// dump writes the last lines lines of every log to w.
func (l *logs) dump(w io.Writer, lines int) {
	l.mu.Lock()
	files := append([]string(nil), l.files...)
	l.mu.Unlock()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(w, "=== %s: %v\n", f, err)
			continue
		}
		fmt.Fprintf(w, "=== %s (last %d lines)\n%s", f, lines, tailLines(data, lines))
	}
}
