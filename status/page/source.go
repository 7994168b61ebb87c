package page

import (
	"context"
	"sync"
	"time"

	"github.com/gitcanary/gitcanary/status/ledger"
)

// Source reads the status branch for one page view.
type Source interface {
	Snapshot(ctx context.Context) (*ledger.Snapshot, error)
}

// SourceFunc is a Source as a function.
type SourceFunc func(ctx context.Context) (*ledger.Snapshot, error)

// Snapshot implements Source.
func (f SourceFunc) Snapshot(ctx context.Context) (*ledger.Snapshot, error) { return f(ctx) }

// Cached wraps a Source so that it is read at most once per ttl; views in between share the
// last snapshot. A failed read is not cached.
func Cached(src Source, ttl time.Duration) Source {
	return &cached{src: src, ttl: ttl, now: time.Now}
}

type cached struct {
	src Source
	ttl time.Duration
	now func() time.Time

	mu   sync.Mutex
	snap *ledger.Snapshot
	at   time.Time
}

func (c *cached) Snapshot(ctx context.Context) (*ledger.Snapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap != nil && c.now().Sub(c.at) < c.ttl {
		return c.snap, nil
	}
	s, err := c.src.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	c.snap, c.at = s, c.now()
	return s, nil
}
