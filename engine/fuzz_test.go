package engine_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// FuzzDecide runs the decide loop as the reconciler does, on any Canary (spec and status, as
// JSON) and any answers of the checks. Decide must not panic, must reach a final decision within
// the reconciler's budget of checks, must ask only for webhooks and metrics that exist and
// never twice, and must leave weights between 0 and 100 and a non-negative requeue.
//
// Seeds: testdata/fuzz/FuzzDecide, and the seed walkthrough's Canary in every phase.
func FuzzDecide(f *testing.F) {
	raw, err := os.ReadFile("testdata/podinfo-canary.yaml")
	if err != nil {
		f.Fatal(err)
	}
	seed, err := yaml.YAMLToJSON(raw)
	if err != nil {
		f.Fatal(err)
	}
	for i, phase := range []v1beta1.CanaryPhase{"", v1beta1.CanaryPhaseInitializing, v1beta1.CanaryPhaseInitialized, v1beta1.CanaryPhaseWaiting,
		v1beta1.CanaryPhaseProgressing, v1beta1.CanaryPhaseWaitingPromotion, v1beta1.CanaryPhasePromoting, v1beta1.CanaryPhaseFinalising,
		v1beta1.CanaryPhaseSucceeded, v1beta1.CanaryPhaseFailed, v1beta1.CanaryPhaseTerminating} {
		f.Add(seed, string(phase), "bbbbbbbbbbbbbbbb", uint8(i), 100-5*i, 5*i, uint16(i), 0.5*float64(i), uint16(0), int64(i)*61)
	}
	f.Fuzz(func(t *testing.T, canaryJSON []byte, phase, revision string, ready uint8, primary, canary int, hookFails uint16, value float64, metricFails uint16, seconds int64) {
		c := &v1beta1.Canary{}
		if json.Unmarshal(canaryJSON, c) != nil {
			return
		}
		if phase != "" {
			c.Status.Phase = v1beta1.CanaryPhase(phase)
		}
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(seconds%1e6) * time.Second)
		w := engine.Workload{Kind: c.Spec.TargetRef.Kind, Revision: revision, PrimaryExists: ready&1 != 0,
			Target:  engine.Readiness{Ready: ready&2 != 0, Retriable: ready&4 != 0, Message: "waiting"},
			Primary: engine.Readiness{Ready: ready&8 != 0, Retriable: ready&16 != 0, Message: "waiting"}}
		var workloadErr, routesErr, providersErr error
		if ready&32 != 0 {
			workloadErr = errors.New("observe failed")
		}
		if ready&64 != 0 {
			routesErr = errors.New("routes failed")
		}
		if ready&128 != 0 {
			providersErr = errors.New("provider down")
		}

		obs := engine.Observation{Invalid: v1beta1.ValidateCanary(c)}
		budget := 4
		hooks, metrics := 0, 0
		if a := c.Spec.Analysis; a != nil {
			hooks, metrics = len(a.Webhooks), len(a.Metrics)
		}
		budget += hooks + metrics
		asked := map[engine.Check]bool{}
		for range budget + 1 {
			d := engine.Decide(c, obs, now)
			if d.Need == nil {
				checkFinal(t, c, d)
				return
			}
			n := *d.Need
			if asked[n] {
				t.Fatalf("check %+v asked twice in one tick", n)
			}
			asked[n] = true
			switch n.Kind {
			case engine.CheckWorkload:
				obs.SetWorkload(w, workloadErr)
			case engine.CheckRoutes:
				// odd seconds read routes that mirror to the canary
				obs.SetRoutes(engine.Routes{Primary: primary, Canary: canary, Mirror: seconds&1 != 0}, routesErr)
			case engine.CheckProviders:
				obs.SetProviders(providersErr)
			case engine.CheckAdmission:
				// a full cap on odd minutes
				obs.SetAdmission(engine.AdmissionResult{Admitted: now.Minute()&1 == 0, Position: 1, Running: 1, Limit: 1})
			case engine.CheckHook:
				if n.Index < 0 || n.Index >= hooks {
					t.Fatalf("webhook %d asked for, the canary has %d", n.Index, hooks)
				}
				var err error
				if hookFails&(1<<(n.Index%16)) != 0 {
					err = errors.New("hook failed")
				}
				obs.SetHook(n.Index, err)
			case engine.CheckMetric:
				if n.Index < 0 || n.Index >= metrics {
					t.Fatalf("metric %d asked for, the canary has %d", n.Index, metrics)
				}
				var err error
				if metricFails&(1<<(n.Index%16)) != 0 {
					err = &engine.MetricError{Failure: engine.MetricFailure(1 + int(metricFails>>8)%8), Err: errors.New("query failed")}
				}
				obs.SetMetric(n.Index, engine.MetricSample{Value: value, Query: "q"}, err)
			default:
				t.Fatalf("unknown check %+v", n)
			}
		}
		t.Fatalf("no decision after %d checks", budget+1)
	})
}

// checkFinal checks the invariants of a final decision. A weight outside 0..100 may only be
// one the status already had (the controller never writes one; a status edited by hand stays
// until the next transition).
func checkFinal(t *testing.T, c *v1beta1.Canary, d engine.Decision) {
	t.Helper()
	if w := d.Status.CanaryWeight; (w < 0 || w > v1beta1.TotalWeight) && w != c.Status.CanaryWeight {
		t.Fatalf("canary weight %d outside 0..100 (was %d)", w, c.Status.CanaryWeight)
	}
	if d.Requeue < 0 || time.Duration(math.MaxInt64) == d.Requeue {
		t.Fatalf("requeue %s", d.Requeue)
	}
}
