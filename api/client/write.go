package client

import (
	"context"
	"errors"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
)

// Write says how to create and update one object for Cached.Write. Typed clients' Create,
// Update and Patch fit it through small closures.
type Write[T Object] struct {
	// Create creates the object when the cache holds none; nil when the object must exist
	// (Write then fails with the cache's NotFound).
	Create func(ctx context.Context) (T, error)
	// Change returns the live object brought in line with what is wanted, and whether that
	// changed anything. It must not modify live, which the informer shares: it changes a copy.
	// Nil when an existing object is left alone.
	Change func(live T) (T, bool)
	// Update writes the changed object, guarded by its resourceVersion (live's).
	Update func(ctx context.Context, changed T) (T, error)
}

// Write creates the object namespace/name, or updates it when Change changes the cached
// version, and records what it wrote (see Wrote). It writes nothing when nothing changed, and
// reports whether it wrote. A Conflict, or a create that finds the object already there, means
// the cache is behind: the object is read from the cache again, and the write retried with
// CacheBackoff.
func (c *Cached[T]) Write(ctx context.Context, namespace, name string, w Write[T]) (wrote bool, err error) {
	err = retry.OnError(CacheBackoff, retriable, func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		live, err := c.Get(namespace, name)
		switch {
		case apierrors.IsNotFound(err) && w.Create != nil:
			created, err := w.Create(ctx)
			if err != nil {
				return err
			}
			c.Wrote("", created)
			wrote = true
			return nil
		case err != nil:
			return err
		case w.Change == nil:
			return nil
		}
		changed, ok := w.Change(live)
		if !ok {
			return nil
		}
		updated, err := w.Update(ctx, changed)
		if err != nil {
			return err
		}
		c.Wrote(live.GetResourceVersion(), updated)
		wrote = true
		return nil
	})
	return wrote, err
}

// retriable reports whether a write failed because the cache was behind the API server.
func retriable(err error) bool {
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) &&
		(apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err))
}
