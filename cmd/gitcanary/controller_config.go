package main

import (
	"errors"
	"flag"
	"fmt"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/controller"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/gitsync"
	"github.com/gitcanary/gitcanary/render"
	"github.com/gitcanary/gitcanary/status"
	"github.com/gitcanary/gitcanary/status/ledger"
	"sigs.k8s.io/yaml"
)

// controllerConfig holds the controller's settings: command-line flags, optionally read from a
// YAML config file whose keys are the flag names (flags on the command line win).
type controllerConfig struct {
	configFile string

	kubeconfig, master string

	// Git source and sync loop.
	repoURL, branch, tag, commit string
	overlays                     string
	syncSchedule                 string
	credentialsSecret            string
	gitTimeout                   time.Duration
	insecureIgnoreHostKey        bool
	cacheDir                     string
	renderLimits                 render.Limits
	reconcileInterval            time.Duration
	syncConcurrency              int
	healthTimeout                time.Duration

	// Ledger.
	statusBranch        string
	allowStatusOnSource bool
	commitAuthor        string
	ledgerWindow        time.Duration
	signingKeySecret    string
	allowedSigners      string
	revert              string
	gatesInterval       time.Duration
	disableLedger       bool

	// Analysis.
	meshProvider         string
	metricsServer        string
	selectorLabels       string
	includeLabelPrefix   string
	enableConfigTracking bool
	minAnalysisInterval  time.Duration
	threadiness          int
	tickTimeout          time.Duration
	namespace            string
	maxAnalyses          int
	shard                string
	maxAnalysesPerNS     int

	// Notifications.
	slackURL, slackToken, slackProxyURL, slackUser, slackChannel string
	msteamsURL, msteamsProxyURL                                  string
	eventWebhook                                                 string
	clusterName                                                  string
	eventSourceComponent                                         string

	// Process.
	controllerNamespace     string
	enableLeaderElection    bool
	leaderElectionNamespace string
	leaseDuration           time.Duration
	renewDeadline           time.Duration
	retryPeriod             time.Duration
	listenAddr              string
	receiverAddr            string
	receiverSecret          string
	pprof                   bool
	logLevel, zapEncoding   string
}

func (c *controllerConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.configFile, "config", "", "YAML file of settings, keyed by flag name (flags given on the command line win)")
	fs.StringVar(&c.kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster configuration, then $KUBECONFIG)")
	fs.StringVar(&c.master, "master", "", "Kubernetes API server address, overriding the kubeconfig's")

	fs.StringVar(&c.repoURL, "repo-url", "", "Git repository to sync: https://, ssh://, user@host:path, file:// or a path (required)")
	fs.StringVar(&c.branch, "branch", "main", "branch to sync (unless -tag or -commit is set)")
	fs.StringVar(&c.tag, "tag", "", "tag to sync instead of a branch")
	fs.StringVar(&c.commit, "commit", "", "full commit SHA to sync instead of a branch")
	fs.StringVar(&c.overlays, "overlays", ".", "comma-separated overlay paths in the repository; globs such as apps/* match folders")
	fs.StringVar(&c.syncSchedule, "sync-schedule", "@every 30s", `when to sync: a cron spec (seconds optional) or "@every <duration>"`)
	fs.StringVar(&c.credentialsSecret, "credentials-secret", "", "Secret with the Git credentials (Flux key names), in -controller-namespace or as namespace/name")
	fs.DurationVar(&c.gitTimeout, "git-timeout", gitsource.DefaultTimeout, "timeout of every Git network call")
	fs.BoolVar(&c.insecureIgnoreHostKey, "git-insecure-ignore-host-key", false, "accept any SSH host key (tests only; logs a warning)")
	fs.StringVar(&c.cacheDir, "cache-dir", "", "folder for the Git cache and checkouts (default: a folder under the system temp dir)")
	registerRenderLimits(fs, &c.renderLimits)
	fs.DurationVar(&c.reconcileInterval, "reconcile-interval", 10*time.Minute, "how often every overlay is re-applied, changed or not, to set back what was changed in the cluster by hand (drift correction); 0 turns it off")
	fs.IntVar(&c.syncConcurrency, "sync-concurrency", gitsync.DefaultConcurrency, "overlays applied at once")
	fs.DurationVar(&c.healthTimeout, "health-timeout", gitsync.DefaultHealthTimeout, "how long the objects of an applied overlay may take to become ready before the overlay is reported unhealthy")

	fs.StringVar(&c.statusBranch, "status-branch", "gitcanary/status", "branch the status ledger is committed to")
	fs.BoolVar(&c.allowStatusOnSource, "allow-status-on-source-branch", false, "allow -status-branch to be the synced branch")
	fs.StringVar(&c.commitAuthor, "commit-author", "gitcanary <gitcanary@localhost>", `author of ledger commits, "Name <email>"`)
	fs.DurationVar(&c.ledgerWindow, "ledger-batch-window", 2*time.Second, "transitions within this window go into one ledger commit")
	fs.StringVar(&c.signingKeySecret, "signing-key-secret", "", "Secret with a key to sign ledger commits: git.asc (armored OpenPGP) or identity (SSH, Git's gpg.format=ssh); passphrase if encrypted")
	fs.StringVar(&c.allowedSigners, "allowed-signers-secret", "", "Secret listing the keys whose signatures on gate decisions are verified: SSH keys in its key allowed_signers (Git's allowedSignersFile format) and ASCII-armored OpenPGP public keys in every key ending in .asc (as Flux's verification Secrets: alice.asc); it needs at least one of them")
	fs.StringVar(&c.revert, "revert-on-rollback", "off", "when an analysis fails, make Git converge: commit (push the revert to the source branch), branch (push gitcanary/revert/<namespace>-<name> for a pull request) or off; the Canary annotation gitcanary.io/revert-on-rollback overrides it")
	fs.DurationVar(&c.gatesInterval, "gates-interval", 10*time.Second, "how often the decisions on the status branch (Git gates) are read")
	fs.BoolVar(&c.disableLedger, "disable-ledger", false, "do not write the status ledger")

	fs.StringVar(&c.meshProvider, "mesh-provider", v1beta1.DefaultProvider, "mesh provider of canaries without spec.provider: smi:crossover, smi:v1alpha1|v1alpha2|v1alpha3[:mesh], gatewayapi:v1 or gatewayapi:v1beta1")
	fs.StringVar(&c.metricsServer, "metrics-server", "http://prometheus:9090", "Prometheus URL for built-in metrics and inline queries")
	fs.StringVar(&c.selectorLabels, "selector-labels", "app,name,app.kubernetes.io/name", "ordered selector labels that identify a target's pods")
	fs.StringVar(&c.includeLabelPrefix, "include-label-prefix", "", "comma-separated label prefixes copied to primary objects (* for all)")
	fs.BoolVar(&c.enableConfigTracking, "enable-config-tracking", true, "track the ConfigMaps and Secrets of targets")
	fs.DurationVar(&c.minAnalysisInterval, "min-analysis-interval", v1beta1.MinAnalysisInterval, "shortest analysis interval (Flagger's is 10s; lower it only for tests and demos)")
	fs.IntVar(&c.threadiness, "threadiness", 0, "analysis workers; 0 sizes them by the fleet: 2, plus one per 50 canaries, at most 32")
	fs.DurationVar(&c.tickTimeout, "tick-timeout", 5*time.Minute, "longest one canary tick may take, webhooks and metric queries included")
	fs.StringVar(&c.namespace, "namespace", "", "only run canaries of this namespace (default: all)")
	fs.StringVar(&c.shard, "shard", "", "only run the Canaries of one shard: a key (shard1: the label sharding.fluxcd.io/key=shard1) or a label selector (!sharding.fluxcd.io/key: the Canaries of no shard); the shard's replicas elect their own leader")
	fs.IntVar(&c.maxAnalyses, "max-concurrent-analyses", 0, "analyses running at once; a canary beyond the cap waits in Waiting for a slot, first come first served (0: no cap)")
	fs.IntVar(&c.maxAnalysesPerNS, "max-concurrent-analyses-per-namespace", 0, "analyses running at once in one namespace (0: no cap)")

	fs.StringVar(&c.slackURL, "slack-url", "", "Slack incoming webhook for canaries without alerts")
	fs.StringVar(&c.slackToken, "slack-token", "", "Slack bot token (with https://slack.com/api/chat.postMessage)")
	fs.StringVar(&c.slackProxyURL, "slack-proxy-url", "", "proxy for Slack")
	fs.StringVar(&c.slackUser, "slack-user", "flagger", "Slack user name")
	fs.StringVar(&c.slackChannel, "slack-channel", "", "Slack channel")
	fs.StringVar(&c.msteamsURL, "msteams-url", "", "MS Teams incoming webhook for canaries without alerts (replaces Slack)")
	fs.StringVar(&c.msteamsProxyURL, "msteams-proxy-url", "", "proxy for MS Teams")
	fs.StringVar(&c.eventWebhook, "event-webhook", "", "URL receiving every canary event, for canaries without event webhooks")
	fs.StringVar(&c.clusterName, "cluster-name", "", "cluster name shown in alerts")
	fs.StringVar(&c.eventSourceComponent, "event-source-component", status.DefaultComponent, "source component of the Kubernetes Events on Canaries (Flagger's by default, so filters on source=flagger keep working)")

	fs.StringVar(&c.controllerNamespace, "controller-namespace", "gitcanary-system", "namespace of the controller: credentials, inventories, leader lease")
	fs.BoolVar(&c.enableLeaderElection, "enable-leader-election", false, "elect a leader with a Lease, for several replicas")
	fs.StringVar(&c.leaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader Lease (default: -controller-namespace)")
	fs.DurationVar(&c.leaseDuration, "leader-election-lease-duration", 60*time.Second, "how long a standby waits before taking over a Lease that is not renewed")
	fs.DurationVar(&c.renewDeadline, "leader-election-renew-deadline", 15*time.Second, "how long the leader tries to renew before it gives up leading")
	fs.DurationVar(&c.retryPeriod, "leader-election-retry-period", 5*time.Second, "how often candidates try to acquire or renew the Lease")
	fs.StringVar(&c.listenAddr, "listen-address", ":8080", "address of /metrics, /healthz and /readyz")
	fs.StringVar(&c.receiverAddr, "receiver-address", "", "address of the push receiver (/hook/github, /hook/gitlab, /hook/gitea, /hook/generic); empty: off")
	fs.StringVar(&c.receiverSecret, "receiver-secret", "", "Secret whose key token verifies push notifications (HMAC key, or GitLab's token), in -controller-namespace or as namespace/name")
	fs.BoolVar(&c.pprof, "pprof", false, "also serve Go's profiles under /debug/pprof/ on -listen-address (CPU, heap, goroutines; keep the address private)")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.zapEncoding, "zap-encoding", "json", "log encoding: json or console")
}

// loadFile sets the flags that the command line did not set from the YAML config file.
func (c *controllerConfig) loadFile(fs *flag.FlagSet) error {
	if c.configFile == "" {
		return nil
	}
	data, err := os.ReadFile(c.configFile)
	if err != nil {
		return fmt.Errorf("read config %s: %w", c.configFile, err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(data, &values); err != nil {
		return fmt.Errorf("decode config %s: %w", c.configFile, err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for key, v := range values {
		if key == "config" {
			return fmt.Errorf("config %s: key %q is not allowed in a config file", c.configFile, key)
		}
		if fs.Lookup(key) == nil {
			return fmt.Errorf("config %s: unknown key %q (keys are the controller's flag names)", c.configFile, key)
		}
		if set[key] {
			continue
		}
		if err := fs.Set(key, fmt.Sprint(v)); err != nil {
			return fmt.Errorf("config %s: %s: %w", c.configFile, key, err)
		}
	}
	return nil
}

// validate checks the settings that cannot wait for the first use.
func (c *controllerConfig) validate() error {
	var errs []error
	if c.repoURL == "" {
		errs = append(errs, errors.New("-repo-url is required"))
	}
	if _, err := v1beta1.ParseProvider(c.meshProvider); err != nil {
		errs = append(errs, fmt.Errorf("-mesh-provider: %w", err))
	}
	if _, err := controller.ShardSelector(c.shard); err != nil {
		errs = append(errs, fmt.Errorf("-shard: %w", err))
	}
	if _, err := gitsource.ParseSchedule(c.syncSchedule); err != nil {
		errs = append(errs, fmt.Errorf("-sync-schedule: %w", err))
	}
	if err := c.ref().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("-branch/-tag/-commit: %w", err))
	}
	if !c.allowStatusOnSource && !c.disableLedger && c.tag == "" && c.commit == "" && c.statusBranch == c.branch {
		errs = append(errs, fmt.Errorf("-status-branch %q is the synced branch: set -allow-status-on-source-branch to write the ledger there", c.statusBranch))
	}
	if c.enableLeaderElection && !(c.leaseDuration > c.renewDeadline && c.renewDeadline > c.retryPeriod && c.retryPeriod > 0) {
		errs = append(errs, errors.New("leader election needs -leader-election-lease-duration > -renew-deadline > -retry-period > 0"))
	}
	if c.tickTimeout <= 0 {
		errs = append(errs, errors.New("-tick-timeout must be positive"))
	}
	if c.renderLimits.YAMLNodes <= 0 {
		errs = append(errs, fmt.Errorf("-%s must be positive", render.FlagYAMLNodes))
	}
	if c.maxAnalyses < 0 || c.maxAnalysesPerNS < 0 {
		errs = append(errs, errors.New("-max-concurrent-analyses and -max-concurrent-analyses-per-namespace must not be negative (0 is no cap)"))
	}
	if c.threadiness < 0 {
		errs = append(errs, errors.New("-threadiness must not be negative (0 sizes the workers by the fleet)"))
	}
	if c.syncConcurrency < 1 {
		errs = append(errs, errors.New("-sync-concurrency must be at least 1"))
	}
	if c.reconcileInterval < 0 {
		errs = append(errs, errors.New("-reconcile-interval must not be negative (0 turns drift correction off)"))
	}
	if c.receiverAddr != "" && c.receiverSecret == "" {
		errs = append(errs, errors.New("-receiver-address needs -receiver-secret: unsigned push notifications are never accepted"))
	}
	if c.healthTimeout <= 0 {
		errs = append(errs, errors.New("-health-timeout must be positive"))
	}
	switch c.logLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("-log-level %q: want debug, info, warn or error", c.logLevel))
	}
	if c.zapEncoding != "json" && c.zapEncoding != "console" {
		errs = append(errs, fmt.Errorf("-zap-encoding %q: want json or console", c.zapEncoding))
	}
	return errors.Join(errs...)
}

// ref returns what to sync: a tag or commit when given, else the branch.
func (c *controllerConfig) ref() gitsource.Ref {
	switch {
	case c.commit != "":
		return gitsource.Ref{Commit: c.commit}
	case c.tag != "":
		return gitsource.Ref{Tag: c.tag}
	default:
		return gitsource.Ref{Branch: c.branch}
	}
}

// options turns the settings into the controller's Options.
func (c *controllerConfig) options() (controller.Options, error) {
	author, err := mail.ParseAddress(c.commitAuthor)
	if err != nil {
		return controller.Options{}, fmt.Errorf("-commit-author %q: want \"Name <email>\": %w", c.commitAuthor, err)
	}
	return controller.Options{
		Version:               buildVersion(),
		RepoURL:               c.repoURL,
		Ref:                   c.ref(),
		Overlays:              list(c.overlays),
		SyncSchedule:          c.syncSchedule,
		CredentialsSecret:     c.credentialsSecret,
		GitTimeout:            c.gitTimeout,
		InsecureIgnoreHostKey: c.insecureIgnoreHostKey,
		CacheDir:              c.cacheDir,
		RenderLimits:          c.renderLimits,
		Revert:                c.revert,
		Sync:                  controller.SyncOptions{ReconcileInterval: c.reconcileInterval, Concurrency: c.syncConcurrency, HealthTimeout: c.healthTimeout},
		Ledger: controller.LedgerOptions{
			Disabled:             c.disableLedger,
			Branch:               c.statusBranch,
			AllowSourceBranch:    c.allowStatusOnSource,
			Author:               ledger.Signature{Name: author.Name, Email: author.Address},
			Window:               c.ledgerWindow,
			SigningKeySecret:     c.signingKeySecret,
			AllowedSignersSecret: c.allowedSigners,
			GatesInterval:        c.gatesInterval,
		},
		MeshProvider:                      c.meshProvider,
		MetricsServer:                     c.metricsServer,
		SelectorLabels:                    list(c.selectorLabels),
		IncludeLabelPrefix:                list(c.includeLabelPrefix),
		EnableConfigTracking:              c.enableConfigTracking,
		MinAnalysisInterval:               c.minAnalysisInterval,
		Workers:                           c.threadiness,
		TickTimeout:                       c.tickTimeout,
		Namespace:                         c.namespace,
		Shard:                             c.shard,
		MaxConcurrentAnalyses:             c.maxAnalyses,
		MaxConcurrentAnalysesPerNamespace: c.maxAnalysesPerNS,
		Notifications: controller.NotificationOptions{
			SlackURL: c.slackURL, SlackToken: c.slackToken, SlackProxyURL: c.slackProxyURL,
			SlackUser: c.slackUser, SlackChannel: c.slackChannel,
			MSTeamsURL: c.msteamsURL, MSTeamsProxyURL: c.msteamsProxyURL,
			EventWebhook: c.eventWebhook, ClusterName: c.clusterName, EventSourceComponent: c.eventSourceComponent,
		},
		ControllerNamespace: c.controllerNamespace,
		LeaderElection: controller.LeaderElectionOptions{
			Enabled: c.enableLeaderElection, Namespace: c.leaderElectionNamespace,
			LeaseDuration: c.leaseDuration, RenewDeadline: c.renewDeadline, RetryPeriod: c.retryPeriod,
		},
		ListenAddress: c.listenAddr,
		Receiver:      controller.ReceiverOptions{Address: c.receiverAddr, Secret: c.receiverSecret},
		Pprof:         c.pprof,
	}, nil
}

// list splits a comma-separated flag value, dropping empty items.
func list(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
