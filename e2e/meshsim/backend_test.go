package meshsim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

func podSpec(image string, env ...corev1.EnvVar) *corev1.PodSpec {
	return &corev1.PodSpec{Containers: []corev1.Container{{Name: "podinfod", Image: image, Env: env}}}
}

func TestBehaviourOf(t *testing.T) {
	tests := []struct {
		name    string
		spec    *corev1.PodSpec
		want    Behaviour
		wantErr bool
	}{
		{name: "healthy", spec: podSpec("ghcr.io/stefanprodan/podinfo:6.0.0"), want: Behaviour{Version: "6.0.0"}},
		{name: "registry port and no tag", spec: podSpec("localhost:5000/podinfo"), want: Behaviour{Version: "latest"}},
		{name: "digest", spec: podSpec("podinfo:6.0.1@sha256:abc"), want: Behaviour{Version: "6.0.1"}},
		{name: "fault defaults to every request", spec: podSpec("podinfo:1", corev1.EnvVar{Name: EnvFault, Value: "500"}),
			want: Behaviour{Version: "1", FaultCode: 500, FaultPercent: 100}},
		{name: "fault share", spec: podSpec("podinfo:1", corev1.EnvVar{Name: EnvFault, Value: "503"}, corev1.EnvVar{Name: EnvFaultPercent, Value: "30"}),
			want: Behaviour{Version: "1", FaultCode: 503, FaultPercent: 30}},
		{name: "delay as duration", spec: podSpec("podinfo:1", corev1.EnvVar{Name: EnvDelay, Value: "250ms"}),
			want: Behaviour{Version: "1", Delay: 250 * time.Millisecond}},
		{name: "delay as seconds", spec: podSpec("podinfo:1", corev1.EnvVar{Name: EnvDelay, Value: "1.5"}),
			want: Behaviour{Version: "1", Delay: 1500 * time.Millisecond}},
		{name: "delay capped", spec: podSpec("podinfo:1", corev1.EnvVar{Name: EnvDelay, Value: "1h"}),
			want: Behaviour{Version: "1", Delay: maxDelay}},
		{name: "color", spec: podSpec("podinfo:1", corev1.EnvVar{Name: EnvColor, Value: "#34577c"}), want: Behaviour{Version: "1", Color: "#34577c"}},
		{name: "bad fault", spec: podSpec("podinfo:1", corev1.EnvVar{Name: EnvFault, Value: "boom"}), wantErr: true},
		{name: "fault out of range", spec: podSpec("podinfo:1", corev1.EnvVar{Name: EnvFault, Value: "99"}), wantErr: true},
		{name: "percent out of range", spec: podSpec("podinfo:1", corev1.EnvVar{Name: EnvFaultPercent, Value: "101"}), wantErr: true},
		{name: "bad delay", spec: podSpec("podinfo:1", corev1.EnvVar{Name: EnvDelay, Value: "soon"}), wantErr: true},
		{name: "no containers", spec: &corev1.PodSpec{}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BehaviourOf(tt.spec)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func serve(p *pod, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func TestPodinfoEndpoints(t *testing.T) {
	p := &pod{name: "podinfo-abc", behaviour: Behaviour{Version: "6.0.1", Color: "#fff"}}
	tests := []struct {
		method, path string
		wantCode     int
		wantField    string
		wantValue    any
	}{
		{http.MethodGet, "/", 200, "version", "6.0.1"},
		{http.MethodGet, "/", 200, "hostname", "podinfo-abc"},
		{http.MethodGet, "/version", 200, "version", "6.0.1"},
		{http.MethodPost, "/token", 200, "token", nil},
		{http.MethodGet, "/token", 405, "", nil},
		{http.MethodGet, "/status/500", 500, "status", float64(500)},
		{http.MethodGet, "/status/201", 201, "status", float64(201)},
		{http.MethodGet, "/status/abc", 400, "", nil},
		{http.MethodGet, "/delay/0", 200, "delay", float64(0)},
		{http.MethodGet, "/delay/x", 400, "", nil},
		{http.MethodGet, "/healthz", 200, "status", "OK"},
		{http.MethodGet, "/readyz", 200, "status", "OK"},
		{http.MethodGet, "/nope", 404, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := serve(p, tt.method, tt.path)
			require.Equal(t, tt.wantCode, rec.Code, rec.Body.String())
			if tt.wantField == "" {
				return
			}
			var body map[string]any
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
			require.Contains(t, body, tt.wantField)
			if tt.wantValue != nil {
				require.Equal(t, tt.wantValue, body[tt.wantField])
			}
		})
	}
}

func TestFaultShareIsExactAndSparesHealth(t *testing.T) {
	p := &pod{name: "bad", behaviour: Behaviour{Version: "2", FaultCode: 500, FaultPercent: 30}}
	faults := 0
	for range 1000 {
		require.Equal(t, http.StatusOK, serve(p, http.MethodGet, "/healthz").Code)
		if serve(p, http.MethodGet, "/").Code == http.StatusInternalServerError {
			faults++
		}
	}
	require.Equal(t, 300, faults)
}

func TestDelayIsApplied(t *testing.T) {
	p := &pod{behaviour: Behaviour{Delay: 30 * time.Millisecond}}
	start := time.Now()
	require.Equal(t, http.StatusOK, serve(p, http.MethodGet, "/").Code)
	require.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
}
