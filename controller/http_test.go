package controller

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/gitsource"
)

// TestStatusPage: the controller serves the status page of its status branch under /status/,
// reading the branch from the remote (an unreachable one gives a 502 page, not a crash), and
// none without a ledger.
func TestStatusPage(t *testing.T) {
	require.Nil(t, statusPage(gitsource.Remote{URL: "http://127.0.0.1:1/fleet.git"}, Options{Ledger: LedgerOptions{Disabled: true}}))

	h := statusPage(gitsource.Remote{URL: "http://127.0.0.1:1/fleet.git", Timeout: 2 * time.Second}, Options{Ledger: LedgerOptions{Branch: "gitcanary/status"}})
	require.NotNil(t, h)
	mux := http.NewServeMux()
	mux.Handle("/status/", http.StripPrefix("/status", h))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/status/", nil))
	require.Equal(t, http.StatusBadGateway, rec.Code)
	require.Contains(t, rec.Body.String(), "read the status branch")
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/status/", nil))
	require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}
