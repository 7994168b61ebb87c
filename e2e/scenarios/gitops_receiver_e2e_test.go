//go:build e2e

package scenarios

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	pushreceiver "github.com/gitcanary/gitcanary/receiver"
)

const receiverToken = "e2e-receiver-token-5f0c"

// notification is a push notification as a Git host sends it.
type notification struct {
	path   string
	body   string
	header http.Header
}

// signedNotification builds a push of ref in the format of host, signed with the receiver's
// token.
func signedNotification(host, ref, delivery string) notification {
	body := `{"ref":"` + ref + `","after":"0000000000000000000000000000000000000000"}`
	mac := hmac.New(sha256.New, []byte(receiverToken))
	mac.Write([]byte(body))
	sum := hex.EncodeToString(mac.Sum(nil))
	h := http.Header{}
	switch host {
	case "github":
		h.Set("X-GitHub-Event", "push")
		h.Set("X-GitHub-Delivery", delivery)
		h.Set("X-Hub-Signature-256", "sha256="+sum)
	case "gitlab":
		h.Set("X-Gitlab-Event", "Push Hook")
		h.Set("X-Gitlab-Event-UUID", delivery)
		h.Set("X-Gitlab-Token", receiverToken)
	case "gitea":
		h.Set("X-Gitea-Event", "push")
		h.Set("X-Gitea-Delivery", delivery)
		h.Set("X-Gitea-Signature", sum)
	case "generic":
		h = pushreceiver.Sign([]byte(receiverToken), []byte(body), time.Now())
	}
	return notification{path: "/hook/" + host, body: body, header: h}
}

// send posts a notification to the receiver and returns the status code and answer.
func (s *scenario) send(addr string, n notification) (int, string) {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, "http://"+addr+n.path, strings.NewReader(n.body))
	require.NoError(s.t, err)
	req.Header = n.header.Clone()
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestPushNotifications: with an hourly poll, a signed push notification in each of the four
// formats makes the controller sync at once; a wrong signature, an unsigned request, a replay
// and a push of another branch are refused or ignored, and trigger nothing.
func TestPushNotifications(t *testing.T) {
	t.Parallel()
	// Given a controller that polls Git only every hour, with its push receiver
	s := given(t)
	files := s.gitopsFiles("start")
	s.push("podinfo and friends", files)
	addr, err := freeAddr(s.ctx)
	require.NoError(t, err)
	s.startController("-sync-schedule", "@every 1h", "-receiver-address", addr, "-receiver-secret", s.receiverSecret(receiverToken))
	s.eventually(time.Minute, "the first sync", func() (bool, string) {
		v, err := s.configValue()
		return v == "start", v + " " + errString(err)
	})

	// When a commit is pushed and its host notifies the controller, in each format
	for _, host := range []string{"github", "gitlab", "gitea", "generic"} {
		s.push("value "+host, map[string][]byte{configOverlay + "/config.yaml": []byte(configDoc(s.ns, host))})
		sent := time.Now()
		code, answer := s.send(addr, signedNotification(host, "refs/heads/main", "delivery-"+host))
		require.Equal(t, http.StatusAccepted, code, answer)
		require.Equal(t, "sync triggered\n", answer)

		// Then the commit is applied at once, not at the next poll
		s.eventually(20*time.Second, host+" push applied", func() (bool, string) {
			v, err := s.configValue()
			return v == host, v + " " + errString(err)
		})
		t.Logf("%s: applied %v after the notification", host, time.Since(sent).Round(time.Millisecond))
	}

	// When a commit is pushed and notifications arrive that must not be trusted or acted on
	s.push("value unseen", map[string][]byte{configOverlay + "/config.yaml": []byte(configDoc(s.ns, "unseen"))})
	wrong := signedNotification("github", "refs/heads/main", "delivery-wrong")
	wrong.header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("ab", 32))
	unsigned := signedNotification("gitea", "refs/heads/main", "delivery-unsigned")
	unsigned.header.Del("X-Gitea-Signature")
	replay := signedNotification("github", "refs/heads/main", "delivery-github")
	for _, tt := range []struct {
		name string
		n    notification
		code int
		want string
	}{
		{name: "wrong signature", n: wrong, code: http.StatusForbidden, want: "wrong signature"},
		{name: "unsigned", n: unsigned, code: http.StatusUnauthorized, want: "unsigned request"},
		{name: "replay", n: replay, code: http.StatusForbidden, want: "replayed delivery"},
		{name: "another branch", n: signedNotification("gitlab", "refs/heads/feature", "delivery-feature"), code: http.StatusAccepted,
			want: "ignored: refs/heads/feature is not synced"},
	} {
		code, answer := s.send(addr, tt.n)
		require.Equal(t, tt.code, code, "%s: %s", tt.name, answer)
		require.Contains(t, answer, tt.want, tt.name)
	}

	// Then none of them triggered a sync, the refusals are logged, and the commit waits for a
	// notification that is trusted
	require.Len(t, s.logLines("push notification: sync triggered"), 4)
	refusals := strings.Join(s.logLines("push notification refused"), "\n")
	for _, reason := range []string{"wrong signature", "unsigned request", "replayed delivery"} {
		require.Contains(t, refusals, reason)
	}
	require.NotContains(t, refusals, receiverToken)
	v, err := s.configValue()
	require.NoError(t, err)
	require.Equal(t, "generic", v, "nothing synced the last commit")
	code, _ := s.send(addr, signedNotification("generic", "refs/heads/main", ""))
	require.Equal(t, http.StatusAccepted, code)
	s.eventually(20*time.Second, "the trusted notification's sync", func() (bool, string) {
		v, err := s.configValue()
		return v == "unseen", v + " " + errString(err)
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
