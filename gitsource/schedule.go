package gitsource

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/robfig/cron/v3"
	"k8s.io/utils/clock"
)

// scheduleParser accepts standard cron specs with an optional leading seconds field, and the
// descriptors (@every 30s, @hourly, ...).
var scheduleParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month |
	cron.Dow | cron.Descriptor)

// ParseSchedule parses a sync schedule: a cron spec with optional seconds ("*/30 * * * * *",
// "*/5 * * * *") or a descriptor ("@every 30s", "@hourly").
func ParseSchedule(spec string) (cron.Schedule, error) {
	s, err := scheduleParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrInvalidSchedule, spec, err)
	}
	return s, nil
}

// SyncFunc runs one sync. Its error is logged; the scheduler keeps going.
type SyncFunc func(ctx context.Context) error

// SchedulerOptions configure a Scheduler.
type SchedulerOptions struct {
	// Clock tells the time and makes timers; nil means the real clock.
	Clock clock.Clock
	// Log receives one line per sync; the zero value discards.
	Log logr.Logger
}

// Scheduler runs a SyncFunc at the times of a schedule and whenever Trigger is called, never two
// at once: triggers and ticks that arrive while a sync runs are coalesced into one more sync after
// it.
type Scheduler struct {
	spec     string
	schedule cron.Schedule
	sync     SyncFunc
	clock    clock.Clock
	log      logr.Logger
	trigger  chan string
	running  atomic.Bool
}

// NewScheduler parses spec (see ParseSchedule) and returns a scheduler for sync.
func NewScheduler(spec string, sync SyncFunc, opts SchedulerOptions) (*Scheduler, error) {
	sched, err := ParseSchedule(spec)
	if err != nil {
		return nil, err
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	return &Scheduler{spec: spec, schedule: sched, sync: sync, clock: opts.Clock,
		log: opts.Log.WithValues("schedule", spec), trigger: make(chan string, 1)}, nil
}

// Trigger asks for a sync as soon as possible, for reason (logged), such as "webhook". It never
// blocks: when a sync is already pending the request joins it.
func (s *Scheduler) Trigger(reason string) {
	select {
	case s.trigger <- reason:
	default:
	}
}

// Next is the next scheduled time after now.
func (s *Scheduler) Next() time.Time { return s.schedule.Next(s.clock.Now()) }

// Run syncs on schedule and on triggers until ctx ends, then returns nil. The first scheduled
// sync is at the first schedule time after the start; call Trigger before Run to sync at once.
// Run returns ErrSchedulerRunning when it is already running.
func (s *Scheduler) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return ErrSchedulerRunning
	}
	defer s.running.Store(false)
	for {
		now := s.clock.Now()
		timer := s.clock.NewTimer(s.schedule.Next(now).Sub(now))
		var reason string
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C():
			reason = "schedule"
		case reason = <-s.trigger:
			timer.Stop()
		}
		s.runOnce(ctx, reason)
	}
}

func (s *Scheduler) runOnce(ctx context.Context, reason string) {
	start := s.clock.Now()
	err := s.sync(ctx)
	took := s.clock.Since(start)
	if err != nil {
		s.log.Error(err, "sync failed", "reason", reason, "duration", took)
		return
	}
	s.log.V(1).Info("sync done", "reason", reason, "duration", took)
}
