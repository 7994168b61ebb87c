package gitsource

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	testingclock "k8s.io/utils/clock/testing"
)

func TestParseSchedule(t *testing.T) {
	from := time.Date(2026, 11, 1, 10, 0, 3, 0, time.UTC)
	tests := []struct {
		name     string
		spec     string
		wantNext time.Time
		wantErr  bool
	}{
		{name: "every 30s", spec: "@every 30s", wantNext: from.Add(30 * time.Second)},
		{name: "cron with seconds", spec: "*/10 * * * * *", wantNext: time.Date(2026, 11, 1, 10, 0, 10, 0, time.UTC)},
		{name: "cron without seconds", spec: "*/5 * * * *", wantNext: time.Date(2026, 11, 1, 10, 5, 0, 0, time.UTC)},
		{name: "descriptor", spec: "@hourly", wantNext: time.Date(2026, 11, 1, 11, 0, 0, 0, time.UTC)},
		{name: "empty", spec: "", wantErr: true},
		{name: "garbage", spec: "every thirty seconds", wantErr: true},
		{name: "minute out of range", spec: "61 * * * *", wantErr: true},
		{name: "bad duration", spec: "@every 30x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSchedule(tt.spec)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrInvalidSchedule)
				_, err = NewScheduler(tt.spec, func(context.Context) error { return nil }, SchedulerOptions{})
				require.ErrorIs(t, err, ErrInvalidSchedule)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantNext, s.Next(from))
		})
	}
}

// syncProbe is a SyncFunc that counts runs, records the most that ran at once, and can be held.
type syncProbe struct {
	runs, inFlight, maxInFlight atomic.Int32
	started                     chan struct{}
	release                     chan struct{}
	hold                        atomic.Bool
}

func newSyncProbe() *syncProbe {
	return &syncProbe{started: make(chan struct{}, 100), release: make(chan struct{})}
}

func (p *syncProbe) sync(ctx context.Context) error {
	n := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for {
		m := p.maxInFlight.Load()
		if n <= m || p.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	p.runs.Add(1)
	p.started <- struct{}{}
	if p.hold.Load() {
		select {
		case <-p.release:
		case <-ctx.Done():
		}
	}
	return nil
}

func (p *syncProbe) waitStarted(t *testing.T) {
	t.Helper()
	select {
	case <-p.started:
	case <-time.After(10 * time.Second):
		t.Fatal("sync did not start")
	}
}

func TestSchedulerRunsOnScheduleAndOnTrigger(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC))
	probe := newSyncProbe()
	s, err := NewScheduler("@every 30s", probe.sync, SchedulerOptions{Clock: clk})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitIdle(t, s, clk)
	require.ErrorIs(t, s.Run(ctx), ErrSchedulerRunning)

	clk.Step(29 * time.Second)
	require.True(t, clk.HasWaiters(), "not due yet: the timer still waits")
	require.Zero(t, probe.runs.Load())
	clk.Step(time.Second)
	probe.waitStarted(t)
	waitIdle(t, s, clk)

	s.Trigger("webhook")
	probe.waitStarted(t)
	waitIdle(t, s, clk)
	require.EqualValues(t, 2, probe.runs.Load())

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestSchedulerCoalescesWhileASyncRuns(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC))
	probe := newSyncProbe()
	probe.hold.Store(true)
	s, err := NewScheduler("*/1 * * * * *", probe.sync, SchedulerOptions{Clock: clk})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = s.Run(ctx) }()
	waitIdle(t, s, clk)

	s.Trigger("first")
	probe.waitStarted(t)
	for range 5 {
		s.Trigger("push")
	}
	clk.Step(10 * time.Second) // scheduled times pass while the sync runs
	probe.hold.Store(false)
	probe.release <- struct{}{}
	probe.waitStarted(t) // the coalesced follow-up
	waitIdle(t, s, clk)
	require.EqualValues(t, 2, probe.runs.Load(), "five triggers and ten missed ticks made one more sync")
	require.EqualValues(t, 1, probe.maxInFlight.Load(), "syncs never overlap")
}

// waitIdle waits until the scheduler waits on its timer with no trigger pending.
func waitIdle(t *testing.T, s *Scheduler, clk *testingclock.FakeClock) {
	t.Helper()
	require.Eventually(t, func() bool { return clk.HasWaiters() && len(s.trigger) == 0 },
		10*time.Second, time.Millisecond)
}
