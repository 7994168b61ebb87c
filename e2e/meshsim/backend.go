package meshsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Environment variables of a pod's first container that choose its behaviour.
const (
	EnvFault        = "PODINFO_FAULT"         // HTTP status of faulty answers, e.g. 500
	EnvFaultPercent = "PODINFO_FAULT_PERCENT" // share of requests that fault, 0-100 (default 100)
	EnvDelay        = "PODINFO_DELAY"         // delay of every answer: a Go duration or seconds
	EnvColor        = "PODINFO_UI_COLOR"      // echoed by GET /
)

// maxDelay bounds every simulated delay so no request can hang a test.
const maxDelay = 30 * time.Second

// Behaviour is what a podinfo pod does, read from its pod spec by BehaviourOf.
type Behaviour struct {
	// Version is the image tag of the first container.
	Version string
	// FaultCode is the status of faulty answers; 0 means none.
	FaultCode int
	// FaultPercent is the share of non-health requests that get FaultCode, 0-100.
	FaultPercent int
	// Delay is added to every non-health answer.
	Delay time.Duration
	// Color is PODINFO_UI_COLOR.
	Color string
}

// BehaviourOf reads the Behaviour of a pod from its first container. Unparsable values are
// errors, so a typo in a test's pod template does not pass silently.
func BehaviourOf(spec *corev1.PodSpec) (Behaviour, error) {
	var b Behaviour
	if len(spec.Containers) == 0 {
		return b, fmt.Errorf("read podinfo behaviour: pod has no containers")
	}
	c := spec.Containers[0]
	b.Version = imageTag(c.Image)
	percentSet := false
	for _, e := range c.Env {
		var err error
		switch e.Name {
		case EnvFault:
			b.FaultCode, err = strconv.Atoi(e.Value)
			if err == nil && (b.FaultCode < 100 || b.FaultCode > 599) {
				err = fmt.Errorf("status out of range")
			}
		case EnvFaultPercent:
			percentSet = true
			b.FaultPercent, err = strconv.Atoi(e.Value)
			if err == nil && (b.FaultPercent < 0 || b.FaultPercent > 100) {
				err = fmt.Errorf("percent out of range")
			}
		case EnvDelay:
			b.Delay, err = parseDelay(e.Value)
		case EnvColor:
			b.Color = e.Value
		}
		if err != nil {
			return Behaviour{}, fmt.Errorf("read podinfo behaviour %s=%q: %w", e.Name, e.Value, err)
		}
	}
	if b.FaultCode != 0 && !percentSet {
		b.FaultPercent = 100
	}
	return b, nil
}

// parseDelay parses a Go duration ("250ms") or a number of seconds ("1", "0.5").
func parseDelay(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return min(d, maxDelay), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("parse delay %q: want a duration or seconds", s)
	}
	return min(time.Duration(f*float64(time.Second)), maxDelay), nil
}

// imageTag returns the tag of an image reference, or "latest".
func imageTag(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndexByte(image, ':'); i > strings.LastIndexByte(image, '/') {
		return image[i+1:]
	}
	return "latest"
}

// pod is one simulated podinfo instance.
type pod struct {
	name      string
	behaviour Behaviour

	mu       sync.Mutex
	requests int64 // non-health requests served, for the fault share
}

// faulty reports whether the next non-health request gets the fault: exactly
// FaultPercent of every 100 consecutive requests do, evenly spread.
func (p *pod) faulty() bool {
	b := p.behaviour
	if b.FaultCode == 0 || b.FaultPercent == 0 {
		return false
	}
	p.mu.Lock()
	n := p.requests
	p.requests++
	p.mu.Unlock()
	pc := int64(b.FaultPercent)
	return (n+1)*pc/100 > n*pc/100
}

// ServeHTTP answers like podinfo.
func (p *pod) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if path == "/healthz" || path == "/readyz" {
		writeJSON(w, http.StatusOK, map[string]any{"status": "OK"})
		return
	}
	if !sleep(r, p.behaviour.Delay) {
		return
	}
	if p.faulty() {
		writeJSON(w, p.behaviour.FaultCode, map[string]any{"status": p.behaviour.FaultCode, "hostname": p.name})
		return
	}
	switch {
	case path == "/" || path == "":
		writeJSON(w, http.StatusOK, map[string]any{
			"hostname": p.name,
			"version":  p.behaviour.Version,
			"color":    p.behaviour.Color,
			"message":  "greetings from podinfo v" + p.behaviour.Version,
		})
	case path == "/version":
		writeJSON(w, http.StatusOK, map[string]any{"version": p.behaviour.Version, "commit": "meshsim"})
	case path == "/token":
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"token":      "meshsim." + p.name + "." + strconv.FormatInt(time.Now().UnixNano(), 36),
			"expires_at": time.Now().Add(time.Minute).UTC().Format(time.RFC3339),
		})
	case strings.HasPrefix(path, "/status/"):
		code, err := strconv.Atoi(strings.TrimPrefix(path, "/status/"))
		if err != nil || code < 100 || code > 599 {
			http.Error(w, "bad status code", http.StatusBadRequest)
			return
		}
		writeJSON(w, code, map[string]any{"status": code})
	case strings.HasPrefix(path, "/delay/"):
		d, err := parseDelay(strings.TrimPrefix(path, "/delay/"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if sleep(r, d) {
			writeJSON(w, http.StatusOK, map[string]any{"delay": d.Seconds()})
		}
	default:
		http.NotFound(w, r)
	}
}

// sleep waits d or until the request is cancelled; it reports whether the wait completed.
func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
