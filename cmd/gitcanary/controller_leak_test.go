package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestControllerFlagErrorsDoNotEchoSecrets: the notifier URLs are credentials (for Slack the URL
// path is the token), and proxy and repository URLs may carry passwords. A usage error, from
// flags or from a config file, names the setting, never its value. (What the clients say when
// they use these values is covered by internal/outbound's leak test.)
func TestControllerFlagErrorsDoNotEchoSecrets(t *testing.T) {
	secretFlags := []string{
		"-repo-url", "https://user:GITPASSSECRET@git.example.com/fleet.git",
		"-slack-url", "https://hooks.slack.com/services/T0/B0/SLACKSECRET",
		"-slack-token", "xoxb-TOKENSECRET",
		"-slack-proxy-url", "http://u:SLACKPROXYSECRET@proxy:3128",
		"-msteams-url", "https://example.webhook.office.com/TEAMSSECRET",
		"-msteams-proxy-url", "http://u:TEAMSPROXYSECRET@proxy:3128",
		"-event-webhook", "https://events.example.com/hook?token=EVENTSECRET",
		"-metrics-server", "http://u:PROMSECRET@prometheus:9090",
	}
	secrets := []string{"GITPASSSECRET", "SLACKSECRET", "TOKENSECRET", "SLACKPROXYSECRET", "TEAMSSECRET", "TEAMSPROXYSECRET", "EVENTSECRET", "PROMSECRET"}
	var file strings.Builder
	for i := 0; i < len(secretFlags); i += 2 {
		file.WriteString(strings.TrimPrefix(secretFlags[i], "-") + ": " + secretFlags[i+1] + "\n")
	}
	config := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(config, []byte(file.String()+"tick-timeout: -1s\nrender-max-file-size: lots\n"), 0o600))
	badFile := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(badFile, []byte(file.String()+"slack-urll: x\n"), 0o600))

	for name, args := range map[string][]string{
		"invalid settings":         append(append([]string{}, secretFlags...), "-tick-timeout", "-1s", "-threadiness", "0", "-log-level", "loud", "-commit-author", "nobody"),
		"invalid size":             append(append([]string{}, secretFlags...), "-render-max-file-size", "lots"),
		"unexpected argument":      append(append([]string{}, secretFlags...), "extra"),
		"config file, bad values":  {"-config", config},
		"config file, bad key":     {"-config", badFile},
		"status branch is synced":  append(append([]string{}, secretFlags...), "-status-branch", "main"),
		"leader election timings":  append(append([]string{}, secretFlags...), "-enable-leader-election", "-leader-election-renew-deadline", "2m"),
		"commit author unparsable": append(append([]string{}, secretFlags...), "-commit-author", "<>", "-kubeconfig", filepath.Join(t.TempDir(), "missing")),
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, append([]string{"controller"}, args...)...)
			require.NotEqual(t, exitOK, code)
			require.NotEmpty(t, stderr)
			for _, s := range secrets {
				require.NotContains(t, stdout+stderr, s)
			}
		})
	}
}
