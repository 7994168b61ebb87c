package controller

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// The profiles are served only with Options.Pprof.
func TestHandlerServesPprofOnlyWhenAsked(t *testing.T) {
	for _, pprof := range []bool{false, true} {
		c := &Controller{opts: Options{Pprof: pprof}, registry: prometheus.NewRegistry()}
		h := c.handler()
		for path, want := range map[string]int{"/debug/pprof/": http.StatusOK, "/debug/pprof/cmdline": http.StatusOK} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			if !pprof {
				want = http.StatusNotFound
			}
			require.Equal(t, want, rec.Code, "%s with pprof=%t", path, pprof)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		require.Equal(t, http.StatusOK, rec.Code)
	}
}
