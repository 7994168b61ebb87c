package env

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"syscall"
	"time"
)

// prometheusStopGrace is how long StopPrometheus waits after SIGTERM before it SIGKILLs.
const prometheusStopGrace = 10 * time.Second

// StopPrometheus stops the environment's Prometheus, as an outage of the metrics backend: its
// listener closes and queries are refused until StartPrometheus. Its data is kept. Tests that
// call it must not share the environment with tests running in parallel.
func (e *Env) StopPrometheus(ctx context.Context) error {
	p := e.prometheus()
	if p == nil {
		return fmt.Errorf("stop prometheus: not started")
	}
	p.signal(syscall.SIGTERM)
	timer := time.NewTimer(prometheusStopGrace)
	defer timer.Stop()
	select {
	case <-p.Exited():
	case <-timer.C:
		p.signal(syscall.SIGKILL)
		<-p.Exited()
	case <-ctx.Done():
		return fmt.Errorf("stop prometheus: %w", ctx.Err())
	}
	e.progress("prometheus stopped")
	return nil
}

// StartPrometheus starts Prometheus again after StopPrometheus, on the same address and data
// directory, and returns when it is ready.
func (e *Env) StartPrometheus(ctx context.Context) error {
	i := e.prometheusIndex()
	if i < 0 {
		return fmt.Errorf("start prometheus: it never ran")
	}
	select {
	case <-e.procs[i].Exited():
	default:
		return fmt.Errorf("start prometheus: it is running (pid %d)", e.procs[i].PID())
	}
	u, err := url.Parse(e.PrometheusURL)
	if err != nil {
		return fmt.Errorf("start prometheus: parse %s: %w", e.PrometheusURL, err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return fmt.Errorf("start prometheus: port of %s: %w", e.PrometheusURL, err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + e.Dir}
	p, err := startProcess("prometheus", e.tools.prometheus, prometheusArgs(e.Dir, ports{prometheus: port}), env, e.Dir)
	if err != nil {
		return err
	}
	// The new process takes the old one's place: waits that watch the environment's processes
	// must not see the stopped one as a crash, and Stop must stop the new one.
	e.procs[i] = p
	if err := waitFor(ctx, "prometheus /-/ready", []*Process{p}, 100*time.Millisecond, httpOK(e.PrometheusURL+"/-/ready")); err != nil {
		return err
	}
	e.progress("prometheus started again")
	return nil
}

// prometheus is the Prometheus process, nil before Start.
func (e *Env) prometheus() *Process {
	if i := e.prometheusIndex(); i >= 0 {
		return e.procs[i]
	}
	return nil
}

func (e *Env) prometheusIndex() int {
	for i, p := range e.procs {
		if p.Name == "prometheus" {
			return i
		}
	}
	return -1
}
