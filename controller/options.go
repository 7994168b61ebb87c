package controller

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/render"
	"github.com/gitcanary/gitcanary/status/ledger"
)

// Options are the controller's settings; cmd/gitcanary fills them from flags and the config
// file. Zero durations and counts take the defaults below.
type Options struct {
	// Version is the controller's version, for flagger_info and the User-Agent.
	Version string

	// RepoURL is the source repository; Ref what to sync in it.
	RepoURL string
	Ref     gitsource.Ref
	// Overlays are overlay paths (globs match folders) in the repository.
	Overlays []string
	// SyncSchedule is a cron spec or "@every <duration>".
	SyncSchedule string
	// CredentialsSecret names the Secret with the Git credentials ("name" in
	// ControllerNamespace, or "namespace/name"); empty means anonymous.
	CredentialsSecret string
	// GitTimeout bounds every Git network call (default gitsource.DefaultTimeout).
	GitTimeout time.Duration
	// InsecureIgnoreHostKey accepts any SSH host key (tests only).
	InsecureIgnoreHostKey bool
	// CacheDir holds the Git cache and checkouts (default: a folder under the temp dir).
	CacheDir string
	// RenderLimits bound what rendering one overlay may cost (zero fields: render's defaults).
	RenderLimits render.Limits
	// Sync configures drift correction, apply concurrency and health checks.
	Sync SyncOptions

	// Ledger configures the status ledger.
	Ledger LedgerOptions
	// Revert is what happens in Git when an analysis fails: RevertOff (default), RevertCommit
	// (push the revert to the source branch) or RevertBranch (push a branch for a pull
	// request). A Canary's RevertAnnotation overrides it. It needs the ledger.
	Revert string

	// MeshProvider is the provider of canaries without spec.provider.
	MeshProvider string
	// MetricsServer is the Prometheus of built-in metrics and inline queries.
	MetricsServer string
	// SelectorLabels identify a target's pods, in order; IncludeLabelPrefix lists the label
	// prefixes copied to primary objects.
	SelectorLabels, IncludeLabelPrefix []string
	// EnableConfigTracking tracks the ConfigMaps and Secrets of targets.
	EnableConfigTracking bool
	// MinAnalysisInterval is the shortest analysis interval (default Flagger's 10s).
	MinAnalysisInterval time.Duration
	// Workers is the number of analysis workers; 0 sizes them by the number of canaries (2,
	// plus one per 50 canaries, at most 32), growing as the fleet grows.
	Workers int
	// TickTimeout bounds one canary tick, webhooks and queries included (default 5m).
	TickTimeout time.Duration
	// Namespace limits the controller to one namespace's canaries; empty means all.
	Namespace string
	// Shard limits the controller to the Canaries of one shard: a shard key (shard1, for the
	// label sharding.fluxcd.io/key=shard1) or a label selector; empty means every Canary.
	// Replicas of one shard elect their own leader.
	Shard string
	// MaxConcurrentAnalyses caps the analyses running at once, and
	// MaxConcurrentAnalysesPerNamespace those of one namespace; a canary beyond a cap waits in
	// the analysis queue (status.queue). 0 is no cap.
	MaxConcurrentAnalyses, MaxConcurrentAnalysesPerNamespace int

	// Notifications are the global alert and event settings.
	Notifications NotificationOptions

	// ControllerNamespace holds the credentials, the inventories and the leader Lease.
	ControllerNamespace string
	// LeaderElection configures the optional leader Lease.
	LeaderElection LeaderElectionOptions
	// ListenAddress serves /metrics, /healthz and /readyz.
	ListenAddress string
	// Pprof also serves Go's profiles (net/http/pprof) under /debug/pprof/ on ListenAddress.
	Pprof bool
	// Receiver configures the push receiver.
	Receiver ReceiverOptions
}

// ReceiverOptions configure the push receiver (package receiver).
type ReceiverOptions struct {
	// Address the receiver listens on; empty turns it off.
	Address string
	// Secret names the Secret ("name" in ControllerNamespace, or "namespace/name") whose key
	// token verifies the notifications; required with Address.
	Secret string
}

// SyncOptions configure what the sync loop does besides applying new revisions.
type SyncOptions struct {
	// ReconcileInterval is how often every overlay is re-applied to correct drift; 0 turns
	// drift correction off (the engine then analyses any new target revision, also one set by
	// hand).
	ReconcileInterval time.Duration
	// Concurrency bounds the overlays applied at once (default gitsync.DefaultConcurrency).
	Concurrency int
	// HealthTimeout bounds the wait for an applied overlay to become ready (default
	// gitsync.DefaultHealthTimeout).
	HealthTimeout time.Duration
}

// LedgerOptions configure the status ledger.
type LedgerOptions struct {
	// Disabled turns the ledger off.
	Disabled bool
	// Branch is the status branch; AllowSourceBranch permits it to be the synced branch.
	Branch            string
	AllowSourceBranch bool
	// Author signs the ledger's commits as their author.
	Author ledger.Signature
	// Window batches the transitions within it into one commit.
	Window time.Duration
	// SigningKeySecret names a Secret with a key to sign ledger commits; empty means unsigned.
	SigningKeySecret string
	// AllowedSignersSecret names a Secret listing the keys whose signatures on gate decisions
	// are verified: SSH keys in its key allowed_signers (Git's allowedSignersFile format), and
	// ASCII-armored OpenPGP public keys (gpg --armor --export) in every key ending in .asc, as
	// in Flux's verification Secrets (alice.asc). It must hold at least one of them; a key that
	// does not parse stops the controller. Empty verifies none (deciders are then the commits'
	// authors only).
	AllowedSignersSecret string
	// GatesInterval is how often the decisions on the status branch are read (default 10s).
	GatesInterval time.Duration
}

// NotificationOptions are the alerts of canaries without alerts of their own, and the global
// event webhook.
type NotificationOptions struct {
	SlackURL, SlackToken, SlackProxyURL, SlackUser, SlackChannel string
	MSTeamsURL, MSTeamsProxyURL                                  string
	// EventWebhook receives every event of canaries without event webhooks.
	EventWebhook string
	// ClusterName is shown in alerts.
	ClusterName string
	// EventSourceComponent is the source component of the Kubernetes Events on Canaries
	// (default status.DefaultComponent, "flagger" as in Flagger).
	EventSourceComponent string
}

// LeaderElectionOptions configure leader election; the Lease is gitcanary-leader-election.
type LeaderElectionOptions struct {
	Enabled bool
	// Namespace of the Lease (default: ControllerNamespace).
	Namespace                                 string
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// Defaults of the settings a zero value leaves open.
const (
	defaultTickTimeout = 5 * time.Minute
)

// withDefaults returns the options with the zero values defaulted.
func (o Options) withDefaults() Options {
	if o.TickTimeout <= 0 {
		o.TickTimeout = defaultTickTimeout
	}
	if o.GitTimeout <= 0 {
		o.GitTimeout = gitsource.DefaultTimeout
	}
	if o.CacheDir == "" {
		o.CacheDir = filepath.Join(os.TempDir(), "gitcanary")
	}
	if o.LeaderElection.Namespace == "" {
		o.LeaderElection.Namespace = o.ControllerNamespace
	}
	return o
}

// Validate checks what New cannot do without.
func (o Options) Validate() error {
	var errs []error
	if o.Workers < 0 {
		errs = append(errs, errors.New("the number of analysis workers must not be negative (0 sizes them by the fleet)"))
	}
	if o.MaxConcurrentAnalyses < 0 || o.MaxConcurrentAnalysesPerNamespace < 0 {
		errs = append(errs, errors.New("the concurrent analysis caps must not be negative (0 is no cap)"))
	}
	if _, err := parseShard(o.Shard); err != nil {
		errs = append(errs, err)
	}
	if o.RepoURL == "" {
		errs = append(errs, errors.New("no source repository"))
	}
	if o.ControllerNamespace == "" {
		errs = append(errs, errors.New("no controller namespace"))
	}
	if err := o.Ref.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("source ref: %w", err))
	}
	switch o.Revert {
	case "", RevertOff:
	case RevertCommit, RevertBranch:
		if o.Ledger.Disabled {
			errs = append(errs, fmt.Errorf("revert mode %q needs the status ledger (it reads the promoted revision there)", o.Revert))
		}
	default:
		errs = append(errs, fmt.Errorf("revert mode %q: want off, commit or branch", o.Revert))
	}
	if o.Receiver.Address != "" && o.Receiver.Secret == "" {
		errs = append(errs, errors.New("the push receiver needs a Secret"))
	}
	if le := o.LeaderElection; le.Enabled && !(le.LeaseDuration > le.RenewDeadline && le.RenewDeadline > le.RetryPeriod && le.RetryPeriod > 0) {
		errs = append(errs, errors.New("leader election needs lease duration > renew deadline > retry period > 0"))
	}
	return errors.Join(errs...)
}
