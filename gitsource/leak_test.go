package gitsource

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gitcanary/gitcanary/e2e/gitserver"
	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/stretchr/testify/require"
)

// captured is a logr sink at full verbosity that keeps every line.
type captured struct {
	mu    sync.Mutex
	lines []string
}

func (c *captured) logger() logr.Logger {
	return funcr.New(func(prefix, args string) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.lines = append(c.lines, prefix+" "+args)
	}, funcr.Options{Verbosity: 10})
}

func (c *captured) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.lines, "\n")
}

func TestNoSecretInLogsOrErrors(t *testing.T) {
	fx := newFixture(t)
	token := gitserver.Options{BearerToken: testToken}
	tokSrv, err := gitserver.Start(token)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, tokSrv.Close()) })
	require.NoError(t, tokSrv.CreateRepo("app", "main"))
	_, err = tokSrv.CommitFiles(testContext(t), "app", "main", gitserver.Change{Files: map[string][]byte{"a": []byte("1")}})
	require.NoError(t, err)

	// A server that echoes the credentials it got into its 401 body, which go-git puts in the error.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		http.Error(w, "denied "+u+":"+p+" "+r.Header.Get("Authorization"), http.StatusUnauthorized)
	}))
	t.Cleanup(echo.Close)

	logs := &captured{}
	log := logs.logger()
	inURL := strings.Replace(fx.srv.HTTPURL("app"), "http://", "http://"+testUser+":"+testPassword+"@", 1)
	badURL := strings.Replace(fx.srv.HTTPURL("app"), "http://", "http://"+testUser+":"+testPassword+"-typo@", 1)
	remotes := []Remote{
		fx.httpRemote(),
		{URL: inURL},
		{URL: badURL},
		{URL: fx.srv.HTTPURL("app"), Auth: Auth{Username: testUser, Password: testPassword + "-wrong"}},
		{URL: tokSrv.HTTPURL("app"), Auth: Auth{BearerToken: testToken}},
		{URL: tokSrv.HTTPURL("app"), Auth: Auth{BearerToken: testToken + "-wrong"}},
		fx.sshRemote(),
		{URL: fx.srv.SSHURL("app"), Auth: Auth{Identity: fx.identityPEM, KnownHosts: fx.srv.KnownHosts()}, InsecureIgnoreHostKey: true},
		{URL: fx.srv.SSHURL("app"), Auth: Auth{Identity: otherIdentity(t), KnownHosts: fx.srv.KnownHosts()}},
		{URL: fx.srv.HTTPURL("missing"), Auth: Auth{Username: testUser, Password: testPassword}},
		{URL: echo.URL + "/app.git", Auth: Auth{Username: testUser, Password: testPassword}},
		{URL: echo.URL + "/app.git", Auth: Auth{BearerToken: testToken}},
	}
	secrets := []string{testPassword, testToken}
	var errs []error
	for _, r := range remotes {
		r.Log = log
		secrets = append(secrets, r.Auth.secrets()...)
		f, err := NewFetcher(r, Ref{Branch: "main"}, FetcherOptions{CacheDir: t.TempDir(), Log: log})
		require.NoError(t, err)
		sched, err := NewScheduler("@every 1h", func(ctx context.Context) error {
			_, err := f.Fetch(ctx)
			if err != nil {
				errs = append(errs, err)
			}
			return err
		}, SchedulerOptions{Log: log})
		require.NoError(t, err)
		sched.runOnce(testContext(t), "test")
		log.Info("fetcher configured", "auth", r.Auth, "remote", r.URL != "")
	}
	require.Len(t, errs, 7, "the wrong credentials, the unknown key, the missing repository and the echo server fail")
	all := logs.text() + "\n" + strings.Join(chainMessages(errs...), "\n")
	require.Contains(t, all, "authentication failed")
	require.Contains(t, all, "WARNING: ssh host key checking is disabled")
	require.Contains(t, all, "fetcher configured")
	mustNotContain(t, all, secrets...)
	mustNotContain(t, all, testPassword+"-typo", testToken+"-wrong",
		base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPassword)))
}

// chainMessages returns the message of every error in the chains of errs, so a secret kept in a
// wrapped error is found too.
func chainMessages(errs ...error) []string {
	var out []string
	for _, err := range errs {
		if err == nil {
			continue
		}
		out = append(out, err.Error())
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			out = append(out, chainMessages(u.Unwrap())...)
		case interface{ Unwrap() []error }:
			out = append(out, chainMessages(u.Unwrap()...)...)
		}
	}
	return out
}
