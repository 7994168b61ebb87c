package outbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://hooks.slack.com/services/T000/B000/XXXX", "https://hooks.slack.com/<redacted>"},
		{"http://flagger-loadtester.test/", "http://flagger-loadtester.test"},
		{"http://prometheus:9090", "http://prometheus:9090"},
		{"http://admin:s3cret@prometheus:9090", "http://prometheus:9090/<redacted>"},
		{"https://example.com?token=abc", "https://example.com/<redacted>"},
		{"https://example.com/#frag", "https://example.com/<redacted>"},
		{"not a url", "<redacted>"},
		{"/relative/path", "<redacted>"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, URL(tt.in), tt.in)
	}
}

func TestRedact(t *testing.T) {
	base := &wrapped{msg: `Post "https://hooks.slack.com/services/T/B/SECRET": dial tcp: lookup hooks.slack.com: no such host token=tok123`}
	err := Redact(base, "tok123")
	require.Equal(t, `Post "https://hooks.slack.com/<redacted>": dial tcp: lookup hooks.slack.com: no such host token=<redacted>`, err.Error())
	require.True(t, errors.Is(err, context.DeadlineExceeded), "sentinels still match")
	require.Nil(t, errors.Unwrap(err), "the original message is not reachable by unwrapping")
	plain := errors.New("no URL here")
	require.Same(t, plain, Redact(plain))
	require.NoError(t, Redact(nil))
}

type wrapped struct{ msg string }

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return context.DeadlineExceeded }

func TestCheckRedirect(t *testing.T) {
	var hits []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hits = append(hits, "other "+string(body))
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hits = append(hits, r.URL.Path+" "+string(body))
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/landed", http.StatusTemporaryRedirect)
		case "/away":
			http.Redirect(w, r, other.URL+"/stolen?key=1", http.StatusTemporaryRedirect)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusTemporaryRedirect)
		}
	}))
	defer srv.Close()
	c := &http.Client{CheckRedirect: CheckRedirect}
	post := func(path string) error {
		resp, err := c.Post(srv.URL+path, "text/plain", strings.NewReader("payload"))
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	require.NoError(t, post("/same"))
	require.Equal(t, []string{"/same payload", "/landed payload"}, hits, "same-host 307 resends the body")
	hits = nil
	err := post("/away")
	require.ErrorIs(t, err, ErrCrossHostRedirect)
	require.Equal(t, []string{"/away payload"}, hits, "the other host gets nothing")
	require.NotContains(t, Redact(err).Error(), "stolen", "callers redact the *url.Error of the client")
	require.ErrorIs(t, Redact(err), ErrCrossHostRedirect)
	hits = nil
	require.ErrorContains(t, post("/loop"), fmt.Sprintf("stopped after %d redirects", MaxRedirects))
}

func TestLimitBody(t *testing.T) {
	for _, tt := range []struct {
		size    int
		wantErr bool
	}{{size: 10}, {size: 100}, {size: 101, wantErr: true}, {size: 1 << 20, wantErr: true}} {
		resp := &http.Response{Body: io.NopCloser(strings.NewReader(strings.Repeat("x", tt.size)))}
		LimitBody(resp, 100)
		data, err := io.ReadAll(resp.Body)
		if tt.wantErr {
			require.ErrorIs(t, err, ErrTooLarge, "size %d", tt.size)
			require.LessOrEqual(t, len(data), 101)
			continue
		}
		require.NoError(t, err)
		require.Len(t, data, tt.size)
	}
}
