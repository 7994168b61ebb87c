//go:build e2e

package scenarios

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
)

// TestGatewayAPIWalkthrough is the seed walkthrough on Gateway API (Flagger's gatewayapi:v1):
// the bootstrap creates the HTTPRoute, a good version is promoted 5 % at a time on the route's
// weights, and a faulty one is rolled back on the built-in success rate of the gateway's
// Envoy series.
func TestGatewayAPIWalkthrough(t *testing.T) {
	t.Parallel()
	// Given a Gateway, podinfo 6.0.0 as a Gateway API canary and the controller with
	// -mesh-provider gatewayapi:v1
	s := given(t)
	o := s.gatewayOverlay(nil)
	s.startGateway(o)
	key := s.key()

	// Then the bootstrap made the HTTPRoute podinfo, owned by the Canary and accepted by the
	// Gateway, with all traffic on the primary
	s.thenRouteAccepted()
	r, err := s.routes()
	require.NoError(t, err)
	require.Equal(t, routed{primary: 100}, r)
	require.Equal(t, map[string]int{"6.0.0": 20}, s.askN(20))

	// When 6.0.1 is pushed
	s.push("podinfo 6.0.1", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))

	// Then the route's weights move through 5, 10, … 50 and the canary is promoted
	var seen []int
	s.eventually(5*time.Minute, "Succeeded", func() (bool, string) {
		if r, err := s.routes(); err == nil && r.canary > 0 && (len(seen) == 0 || seen[len(seen)-1] != r.canary) {
			seen = append(seen, r.canary)
		}
		c, err := s.canary()
		if err != nil {
			return false, err.Error()
		}
		return c.Status.Phase == v1beta1.CanaryPhaseSucceeded, string(c.Status.Phase) + " weights " + ints(seen)
	})
	require.Equal(t, []int{5, 10, 15, 20, 25, 30, 35, 40, 45, 50}, seen, "weights observed on the HTTPRoute")
	r, err = s.routes()
	require.NoError(t, err)
	require.Equal(t, routed{primary: 100}, r)
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.1", s.primaryImage())
	require.Equal(t, map[string]int{"6.0.1": 20}, s.askN(20), "the primary serves 6.0.1 through the Gateway")
	want := []string{"New revision detected! Scaling up " + key, "Pre-rollout check acceptance-test passed"}
	for w := 5; w <= 50; w += 5 {
		want = append(want, "Advance "+key+" canary weight "+strconv.Itoa(w))
	}
	want = append(want, "Copying "+key+" template spec to podinfo-primary."+s.ns, "Routing all traffic to primary",
		"Promotion completed! Scaling down "+key)
	requireInOrder(t, s.events(), want)

	// When a version that answers 30 % of its requests with HTTP 500 is pushed
	from := len(s.events())
	s.push("podinfo 6.0.2", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.2", "PODINFO_FAULT", "500", "PODINFO_FAULT_PERCENT", "30")))

	// Then the success rate of the canary's Envoy cluster halts the analysis until it rolls back
	s.waitPhase(v1beta1.CanaryPhaseFailed, 5*time.Minute)
	successRate := regexp.MustCompile(`^Halt ` + regexp.QuoteMeta(key) + ` advancement success rate \d+\.\d\d% < 99%$`)
	matching, halts := s.halts(from, successRate)
	require.Equal(t, 5, halts, "events:\n%s", strings.Join(s.events()[from:], "\n"))
	require.GreaterOrEqual(t, matching, 3, "events:\n%s", strings.Join(s.events()[from:], "\n"))
	requireInOrder(t, s.events()[from:], []string{
		"New revision detected! Scaling up " + key,
		"Rolling back " + key + " failed checks threshold reached 5",
		"Canary failed! Scaling down " + key,
	})

	// And all traffic is back on the primary, which still runs 6.0.1
	r, err = s.routes()
	require.NoError(t, err)
	require.Equal(t, routed{primary: 100}, r)
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.1", s.primaryImage())
	require.Equal(t, map[string]int{"6.0.1": 20}, s.askN(20))
}

// TestGatewayAPIABTest is Flagger's A/B testing on Gateway API: for ten iterations the
// requests with the header x-canary: insider go to the canary and every other request to the
// primary; then the canary is promoted without a cut-over.
func TestGatewayAPIABTest(t *testing.T) {
	t.Parallel()
	// Given an A/B test by header with 10 iterations, whose load test sends the header
	s := given(t)
	o := s.gatewayOverlay(func(text string) string {
		text = s.iterationsInsteadOfWeights(10, "    match:\n    - headers:\n        x-canary:\n          exact: insider\n")(text)
		return loadTestHeader("x-canary", "insider")(text)
	})
	s.startGateway(o)
	s.thenRouteAccepted()
	key := s.key()

	// When 6.0.1 is pushed
	s.push("podinfo 6.0.1", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))

	// Then during the iterations the insiders reach 6.0.1 and everyone else 6.0.0
	s.eventually(3*time.Minute, "insiders on the canary", func() (bool, string) {
		c, err := s.canary()
		if err != nil {
			return false, err.Error()
		}
		if c.Status.Phase != v1beta1.CanaryPhaseProgressing || c.Status.Iterations == 0 {
			return false, fmt.Sprintf("%s iteration %d", c.Status.Phase, c.Status.Iterations)
		}
		insiders, others := s.askN(10, "x-canary", "insider"), s.askN(10)
		return insiders["6.0.1"] == 10 && others["6.0.0"] == 10, fmt.Sprintf("insiders %v, others %v", insiders, others)
	})

	// And the canary is promoted after the tenth iteration, with no cut-over to the canary
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 5*time.Minute)
	events := s.events()
	var want []string
	for i := 1; i <= 10; i++ {
		want = append(want, fmt.Sprintf("Advance %s canary iteration %d/10", key, i))
	}
	want = append(want, "Copying "+key+" template spec to podinfo-primary."+s.ns, "Promotion completed! Scaling down "+key)
	requireInOrder(t, events, want)
	require.Zero(t, count(events, "Routing all traffic to canary"))
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.1", s.primaryImage())
	require.Equal(t, map[string]int{"6.0.1": 10}, s.askN(10, "x-canary", "insider"))
	require.Equal(t, map[string]int{"6.0.1": 10}, s.askN(10))
}

// TestGatewayAPIMirror is Flagger's Blue/Green with traffic mirroring on Gateway API: during
// the iterations every request is answered by the primary and a copy of it reaches the canary,
// whose answers are dropped and whose metrics are analysed; then mirroring stops, all traffic
// goes to the canary, and it is promoted.
func TestGatewayAPIMirror(t *testing.T) {
	t.Parallel()
	// Given Blue/Green with mirroring for 10 iterations
	s := given(t)
	o := s.gatewayOverlay(s.iterationsInsteadOfWeights(10, "    mirror: true\n"))
	s.startGateway(o)
	s.thenRouteAccepted()
	key := s.key()
	require.Zero(t, s.canaryClusterRequests(), "nothing reached the canary before the analysis")

	// When 6.0.1 is pushed
	s.push("podinfo 6.0.1", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))

	// Then the route mirrors to the canary with all traffic on the primary
	s.eventually(3*time.Minute, "mirroring", func() (bool, string) {
		r, err := s.routes()
		if err != nil {
			return false, err.Error()
		}
		return r == routed{primary: 100, mirrored: true}, r.String()
	})

	// And users are answered by 6.0.0 while each of their requests also reaches the canary
	before := s.canaryClusterRequests()
	require.Equal(t, map[string]int{"6.0.0": 20}, s.askN(20))
	require.GreaterOrEqual(t, s.canaryClusterRequests()-before, 20, "mirrored requests counted on the canary's Envoy cluster")

	// And after the iterations mirroring stops, all traffic goes to the canary, then it is promoted
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 5*time.Minute)
	var want []string
	for i := 1; i <= 10; i++ {
		want = append(want, fmt.Sprintf("Advance %s canary iteration %d/10", key, i))
	}
	want = append(want, "Stop traffic mirroring and route all traffic to canary",
		"Copying "+key+" template spec to podinfo-primary."+s.ns, "Promotion completed! Scaling down "+key)
	requireInOrder(t, s.events(), want)
	r, err := s.routes()
	require.NoError(t, err)
	require.Equal(t, routed{primary: 100}, r)
	require.Equal(t, map[string]int{"6.0.1": 20}, s.askN(20))
}
