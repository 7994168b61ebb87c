package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/apply"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/gitsync"
	"github.com/gitcanary/gitcanary/render"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
)

// gitRemote returns the source repository with the credentials of -credentials-secret.
func (c *controller) gitRemote(ctx context.Context) (gitsource.Remote, error) {
	remote := gitsource.Remote{URL: c.cfg.repoURL, Timeout: c.cfg.gitTimeout,
		InsecureIgnoreHostKey: c.cfg.insecureIgnoreHostKey, Log: c.log.WithName("git")}
	if c.cfg.credentialsSecret == "" {
		return remote, nil
	}
	data, err := c.secretData(ctx, c.cfg.credentialsSecret)
	if err != nil {
		return remote, err
	}
	if remote.Auth, err = gitsource.AuthFromSecretData(data); err != nil {
		return remote, fmt.Errorf("credentials Secret %s: %w", c.cfg.credentialsSecret, err)
	}
	return remote, nil
}

// secretData reads a Secret named "name" (in the controller's namespace) or "namespace/name".
func (c *controller) secretData(ctx context.Context, ref string) (map[string][]byte, error) {
	ns, name := c.cfg.controllerNamespace, ref
	if before, after, ok := strings.Cut(ref, "/"); ok {
		ns, name = before, after
	}
	s, err := c.kube.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("read Secret %s/%s: %w", ns, name, err)
	}
	return s.Data, nil
}

// buildSync creates the sync loop and its schedule; the first sync is due at once.
func (c *controller) buildSync() (*gitsource.Scheduler, error) {
	fetcher, err := gitsource.NewFetcher(c.remote, c.cfg.ref(), gitsource.FetcherOptions{
		CacheDir: filepath.Join(c.cfg.gitCacheDir(), "source"), Log: c.log.WithName("git")})
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", gitsource.RedactURL(c.cfg.repoURL), err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.kube.Discovery()))
	applier := apply.New(c.dyn, c.kube, mapper, apply.Options{FieldManager: "gitcanary", Namespace: c.cfg.controllerNamespace, Logger: c.log.WithName("apply")})
	loop := gitsync.New(fetcher, applier, gitsync.Options{Overlays: list(c.cfg.overlays), Reporter: &syncReporter{c: c}, Logger: c.log.WithName("sync")})
	c.sourceCommitter = loop
	sched, err := gitsource.NewScheduler(c.cfg.syncSchedule, func(ctx context.Context) error {
		err := loop.Sync(ctx)
		c.syncMetrics.observe(loop.Status(), err)
		return err
	}, gitsource.SchedulerOptions{Log: c.log.WithName("sync")})
	if err != nil {
		return nil, fmt.Errorf("-sync-schedule: %w", err)
	}
	sched.Trigger("start")
	return sched, nil
}

// syncReporter makes sync failures visible where users look: the log, and a Warning event on
// each Canary that Git made invalid (kubectl describe canary shows why nothing changed).
type syncReporter struct{ c *controller }

func (r *syncReporter) OverlayApplied(context.Context, string, string, *apply.Result) {}

func (r *syncReporter) OverlayFailed(ctx context.Context, overlay, revision string, err error) {
	var invalid *render.InvalidError
	if !errors.As(err, &invalid) {
		return
	}
	for _, e := range invalid.Errs {
		var verr *v1beta1.ValidationError
		if !errors.As(e, &verr) || verr.Kind != v1beta1.CanaryKind {
			continue
		}
		live, gerr := r.c.flagger.Canaries(verr.Namespace).Get(ctx, verr.Name, metav1.GetOptions{})
		if gerr != nil {
			continue // a new Canary: the log line is all there is to see
		}
		r.c.eventRecorder.Event(live, corev1.EventTypeWarning, "InvalidSpec",
			fmt.Sprintf("Git revision %s of overlay %s is not applied: %s", gitsource.ShortSHA(revision), overlay, strings.Join(verr.Problems(), "; ")))
	}
}
