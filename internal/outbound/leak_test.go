package outbound_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/engine/metrics"
	"github.com/gitcanary/gitcanary/engine/notify"
	"github.com/gitcanary/gitcanary/engine/webhook"
	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// The secrets of this test: chat webhook paths (for Slack the URL is the credential), a bearer
// token, a proxy password, webhook query tokens, metrics credentials and header values.
const (
	slackPath     = "/services/T0LEAK/B0LEAK/SLACKPATHSECRET"
	slackToken    = "xoxb-SLACKTOKENSECRET"
	proxyPassword = "PROXYPASSSECRET"
	hookToken     = "HOOKQUERYSECRET"
	hookPath      = "/hooks/HOOKPATHSECRET"
	promToken     = "PROMTOKENSECRET"
	promPassword  = "PROMPASSSECRET"
	promHeader    = "PROMHEADERSECRET"
)

var allSecrets = []string{"SLACKPATHSECRET", slackToken, proxyPassword, hookToken, "HOOKPATHSECRET", promToken, promPassword, promHeader,
	base64.StdEncoding.EncodeToString([]byte("prom:" + promPassword))}

// logs is a logr sink at full verbosity that keeps every line.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logger() logr.Logger {
	return funcr.New(func(prefix, args string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.lines = append(l.lines, prefix+" "+args)
	}, funcr.Options{Verbosity: 10})
}

func (l *logs) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// echo answers every request with an error whose body repeats what it received: the URL and
// the credentials, as a careless or hostile server would.
func echo(t *testing.T, status int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		body := r.URL.String() + " " + r.Header.Get("Authorization") + " " + u + ":" + p + " " + r.Header.Get("X-Api-Key")
		if strings.HasPrefix(r.URL.Path, "/api/v1/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"` + strings.ReplaceAll(body, `"`, "") + `"}`))
			return
		}
		http.Error(w, body, status)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// closedURL is the address of a server that no longer listens.
func closedURL(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}

// TestNoSecretInErrorsOrLogs drives the notify, webhook and metrics clients into every failure
// they word (refused connection, error answer echoing the request, redirect to another host,
// bad proxy) and checks that no secret appears in their errors or logs.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	echo400, echo500 := echo(t, http.StatusBadRequest), echo(t, http.StatusInternalServerError)
	gone := closedURL(t)
	redirect := httptest.NewServer(http.RedirectHandler(echo400.URL+hookPath+"?token="+hookToken, http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	log := &logs{}
	var errs []error

	// Alerts: global Slack, AlertProviders with and without Secrets, a proxy with credentials.
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	for _, s := range []*corev1.Secret{
		secret("slack-cred", map[string]string{"address": echo400.URL + slackPath, "token": slackToken}),
		secret("slack-gone", map[string]string{"address": gone + slackPath, "token": slackToken}),
		secret("prom-token", map[string]string{"token": promToken}),
		secret("prom-basic", map[string]string{"username": "prom", "password": promPassword}),
	} {
		require.NoError(t, indexer.Add(s))
	}
	secrets := metrics.SecretsFromLister(corelisters.NewSecretLister(indexer))
	providers := cache.NewStore(cache.MetaNamespaceKeyFunc)
	for _, p := range []*v1beta1.AlertProvider{
		provider("echo", v1beta1.SlackProvider, "", "slack-cred", ""),
		provider("gone", v1beta1.SlackProvider, "", "slack-gone", ""),
		provider("teams", v1beta1.MSTeamsProvider, echo500.URL+slackPath, "", ""),
		provider("discord", v1beta1.DiscordProvider, redirect.URL+slackPath, "", ""),
		provider("proxied", v1beta1.RocketProvider, "https://chat.example.invalid"+slackPath, "", "http://user:"+proxyPassword+"@"+strings.TrimPrefix(gone, "http://")),
	} {
		require.NoError(t, providers.Add(p))
	}
	d := notify.New(notify.ProvidersFromStore(providers), secrets, notify.Options{Log: log.logger(), Timeout: 2 * time.Second})
	c := canary()
	for _, name := range []string{"echo", "gone", "teams", "discord", "proxied"} {
		c.Spec.Analysis.Alerts = append(c.Spec.Analysis.Alerts, v1beta1.CanaryAlert{Name: name, ProviderRef: v1beta1.CrossNamespaceObjectReference{Name: name}})
	}
	errs = append(errs, d.Notify(t.Context(), c, engine.Notification{Message: "m", Severity: v1beta1.SeverityError}))
	// The global notifier: the controller's -slack-url, -slack-token, -slack-proxy-url,
	// -msteams-url and -msteams-proxy-url.
	badProxy := "http://user:" + proxyPassword + "@" + strings.TrimPrefix(gone, "http://")
	for _, o := range []notify.Options{
		{SlackURL: echo400.URL + slackPath, SlackToken: slackToken},
		{SlackURL: gone + slackPath, SlackToken: slackToken},
		{SlackURL: "https://hooks.example.invalid" + slackPath, SlackProxy: badProxy},
		{TeamsURL: echo500.URL + slackPath},
		{TeamsURL: "https://teams.example.invalid" + slackPath, TeamsProxy: badProxy},
	} {
		o.Log, o.Timeout = log.logger(), 2*time.Second
		g := notify.New(notify.ProvidersFromStore(cache.NewStore(cache.MetaNamespaceKeyFunc)), secrets, o)
		errs = append(errs, g.Notify(t.Context(), canary(), engine.Notification{Message: "m"}))
	}

	// Webhooks with tokens in their path and query, answering errors, gone, redirecting.
	hooks := webhook.New(webhook.Options{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, Log: log.logger(), EventURL: gone + hookPath + "?token=" + hookToken})
	for _, u := range []string{echo400.URL, echo500.URL, gone, redirect.URL, "http://user:" + hookToken + "@" + strings.TrimPrefix(gone, "http://")} {
		h := v1beta1.CanaryWebhook{Name: "hook", URL: u + hookPath + "?token=" + hookToken, Retries: 1}
		errs = append(errs, hooks.Call(t.Context(), canary(), h, v1beta1.CanaryPhaseProgressing))
	}
	errs = append(errs, hooks.Event(t.Context(), canary(), "Normal", "m"))

	// Metrics: templates with a token, basic auth and header credentials, answering errors.
	templates := cache.NewStore(cache.MetaNamespaceKeyFunc)
	for _, mt := range []*v1beta1.MetricTemplate{
		template("token", echo400.URL, "prom-token", nil),
		template("basic", echo400.URL, "prom-basic", nil),
		template("header", echo500.URL, "", map[string][]string{"X-Api-Key": {promHeader}}),
		template("gone", gone+"/prom?key="+promHeader, "prom-token", nil),
		template("userinfo", "http://prom:"+promPassword+"@"+strings.TrimPrefix(gone, "http://"), "", nil),
		template("redirect", redirect.URL, "prom-token", nil),
	} {
		require.NoError(t, templates.Add(mt))
	}
	q := metrics.New(metrics.TemplatesFromStore(templates), secrets, metrics.Options{})
	for _, name := range []string{"token", "basic", "header", "gone", "userinfo", "redirect"} {
		_, err := q.Query(t.Context(), canary(), v1beta1.CanaryMetric{Name: name, TemplateRef: &v1beta1.CrossNamespaceObjectReference{Name: name}})
		require.Error(t, err, name)
		errs = append(errs, err)
	}

	all := log.text() + "\n" + strings.Join(chainMessages(errs...), "\n")
	require.Contains(t, all, "sending notification bad response 400")
	require.Contains(t, all, "connection refused")
	require.Contains(t, all, "redirect to another host not followed")
	require.Contains(t, all, "error response: Status 400")
	for _, s := range allSecrets {
		require.NotContains(t, all, s)
	}
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

func canary() *v1beta1.Canary {
	return &v1beta1.Canary{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: "test"},
		Spec: v1beta1.CanarySpec{
			TargetRef: v1beta1.LocalObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "podinfo"},
			Analysis:  &v1beta1.CanaryAnalysis{Interval: "1m", Threshold: 5},
		},
	}
}

func secret(name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "test"}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func provider(name string, kind v1beta1.AlertProviderType, address, secretName, proxy string) *v1beta1.AlertProvider {
	p := &v1beta1.AlertProvider{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "test"},
		Spec: v1beta1.AlertProviderSpec{Type: kind, Address: address, Proxy: proxy}}
	if secretName != "" {
		p.Spec.SecretRef = &v1beta1.SecretReference{Name: secretName}
	}
	return p
}

func template(name, address, secretName string, headers map[string][]string) *v1beta1.MetricTemplate {
	mt := &v1beta1.MetricTemplate{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "test"},
		Spec: v1beta1.MetricTemplateSpec{Provider: v1beta1.MetricTemplateProvider{Type: v1beta1.PrometheusProvider, Address: address, Headers: headers}, Query: "up"}}
	if secretName != "" {
		mt.Spec.Provider.SecretRef = &v1beta1.SecretReference{Name: secretName}
	}
	return mt
}
