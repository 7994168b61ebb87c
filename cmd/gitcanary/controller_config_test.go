package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/controller"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/stretchr/testify/require"
)

func parseConfig(t *testing.T, file string, args ...string) (*controllerConfig, error) {
	t.Helper()
	var cfg controllerConfig
	fs := newFlagSet("controller", "", os.Stderr)
	cfg.register(fs)
	if file != "" {
		p := filepath.Join(t.TempDir(), "config.yaml")
		require.NoError(t, os.WriteFile(p, []byte(file), 0o600))
		args = append(args, "-config", p)
	}
	require.NoError(t, fs.Parse(args))
	if err := cfg.loadFile(fs); err != nil {
		return nil, err
	}
	return &cfg, cfg.validate()
}

func TestControllerConfigFileAndFlags(t *testing.T) {
	cfg, err := parseConfig(t, `
repo-url: https://git.example.com/fleet.git
overlays: apps/*,infra
sync-schedule: "*/10 * * * * *"
min-analysis-interval: 2s
threadiness: 4
enable-leader-election: true
slack-url: https://hooks.slack.com/services/x
reconcile-interval: 1m
`, "-threadiness", "8", "-branch", "prod", "-sync-concurrency", "16")
	require.NoError(t, err)
	require.Equal(t, "https://git.example.com/fleet.git", cfg.repoURL)
	require.Equal(t, []string{"apps/*", "infra"}, list(cfg.overlays))
	require.Equal(t, 2*time.Second, cfg.minAnalysisInterval)
	require.Equal(t, 8, cfg.threadiness, "the command line wins over the file")
	require.True(t, cfg.enableLeaderElection)
	require.Equal(t, gitsource.Ref{Branch: "prod"}, cfg.ref())
	require.Equal(t, "smi:crossover", cfg.meshProvider, "defaults stay")
	opts, err := cfg.options()
	require.NoError(t, err)
	require.Equal(t, "flagger", opts.Notifications.EventSourceComponent, "Flagger's event source by default")
	require.Equal(t, controller.SyncOptions{ReconcileInterval: time.Minute, Concurrency: 16, HealthTimeout: 5 * time.Minute}, opts.Sync)

	cfg, err = parseConfig(t, "repo-url: https://git.example.com/fleet.git\n", "-event-source-component", "gitcanary")
	require.NoError(t, err)
	opts, err = cfg.options()
	require.NoError(t, err)
	require.Equal(t, "gitcanary", opts.Notifications.EventSourceComponent)
	require.Zero(t, opts.MaxConcurrentAnalyses, "no cap by default")

	cfg, err = parseConfig(t, "repo-url: x\nmax-concurrent-analyses: 10\n", "-max-concurrent-analyses-per-namespace", "2")
	require.NoError(t, err)
	opts, err = cfg.options()
	require.NoError(t, err)
	require.Equal(t, []int{10, 2}, []int{opts.MaxConcurrentAnalyses, opts.MaxConcurrentAnalysesPerNamespace})
}

func TestControllerConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		args []string
		want string
	}{
		{name: "no repository", want: "-repo-url is required"},
		{name: "bad provider", args: []string{"-repo-url", "x", "-mesh-provider", "istio"}, want: "-mesh-provider"},
		{name: "bad schedule", args: []string{"-repo-url", "x", "-sync-schedule", "every minute"}, want: "-sync-schedule"},
		{name: "tag and commit", args: []string{"-repo-url", "x", "-tag", "v1", "-commit", "abc"}, want: "-branch/-tag/-commit"},
		{name: "ledger on the source branch", args: []string{"-repo-url", "x", "-status-branch", "main"}, want: "-allow-status-on-source-branch"},
		{name: "lease shorter than renewal", args: []string{"-repo-url", "x", "-enable-leader-election", "-leader-election-lease-duration", "10s", "-leader-election-renew-deadline", "15s"}, want: "leader election needs"},
		{name: "bad shard", args: []string{"-repo-url", "x", "-shard", "key in (a"}, want: "-shard"},
		{name: "negative cap", args: []string{"-repo-url", "x", "-max-concurrent-analyses", "-1"}, want: "-max-concurrent-analyses"},
		{name: "negative namespace cap", args: []string{"-repo-url", "x", "-max-concurrent-analyses-per-namespace", "-2"}, want: "must not be negative"},
		{name: "negative workers", args: []string{"-repo-url", "x", "-threadiness", "-1"}, want: "-threadiness"},
		{name: "bad log level", args: []string{"-repo-url", "x", "-log-level", "loud"}, want: "-log-level"},
		{name: "no sync concurrency", args: []string{"-repo-url", "x", "-sync-concurrency", "0"}, want: "-sync-concurrency must be at least 1"},
		{name: "negative reconcile interval", args: []string{"-repo-url", "x", "-reconcile-interval", "-1m"}, want: "-reconcile-interval must not be negative"},
		{name: "receiver without secret", args: []string{"-repo-url", "x", "-receiver-address", ":9292"}, want: "-receiver-address needs -receiver-secret"},
		{name: "no health timeout", args: []string{"-repo-url", "x", "-health-timeout", "0"}, want: "-health-timeout must be positive"},
		{name: "unknown key in file", file: "repo-url: x\nrepository: y\n", want: `unknown key "repository"`},
		{name: "bad value in file", file: "repo-url: x\nthreadiness: many\n", want: "threadiness"},
		{name: "config in config", file: "config: other.yaml\n", want: `key "config" is not allowed`},
		{name: "broken file", file: "repo-url: [\n", want: "decode config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(t, tt.file, tt.args...)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestControllerUsageErrors(t *testing.T) {
	code, _, stderr := runCmd(t, "controller", "-mesh-provider", "istio")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "-repo-url is required")
	require.Contains(t, stderr, "-mesh-provider")

	code, _, stderr = runCmd(t, "controller", "-repo-url", "x", "extra")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "unexpected arguments")
}
