//go:build e2e

package scenarios

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
)

// The Gateway API scenarios (gateway_e2e_test.go) run the podinfo example as Flagger's Gateway
// API tutorial does: a Gateway of the mesh simulator's class (the cluster's gateway), the
// Canary without spec.provider and the controller started with -mesh-provider gatewayapi:v1,
// the HTTPRoute podinfo attached to the Gateway for the host podinfo.<ns>, the load test sent
// through the Gateway, and the built-in metrics, which read the Envoy series of the route's
// backends (<ns>_podinfo-canary_9898).

// gatewayProvider is the controller's -mesh-provider in the Gateway API scenarios.
const gatewayProvider = v1beta1.ProviderGatewayAPIv1

// gatewayOverlay is the podinfo example as a Gateway API canary; analysis edits canary.yaml
// further (nil keeps the example's canary strategy, 5 % steps to 50 %).
func (s *scenario) gatewayOverlay(analysis func(string) string) walkthrough.Overlay {
	o := s.podinfoOverlay().Edit("canary.yaml", walkthrough.BuiltinMetrics)
	return o.Edit("canary.yaml", func(text string) string {
		text = strings.Replace(text, `  provider: "smi:crossover"`+"\n", "", 1)
		text = strings.Replace(text, "  service:\n    port: 9898\n", fmt.Sprintf(`  service:
    port: 9898
    hosts:
    - podinfo.%[1]s
    gatewayRefs:
    - name: envoy
      namespace: %[1]s
`, s.ns), 1)
		require.NotContains(s.t, text, "provider:", "the canary relies on -mesh-provider")
		if analysis != nil {
			text = analysis(text)
		}
		return text
	})
}

// iterationsInsteadOfWeights replaces the canary strategy's maxWeight and stepWeight with n
// iterations and extra analysis lines (indented like the analysis' fields).
func (s *scenario) iterationsInsteadOfWeights(n int, extra string) func(string) string {
	return func(text string) string {
		start := strings.Index(text, "    maxWeight: 50\n")
		end := strings.Index(text, "    stepWeight: 5\n")
		require.True(s.t, start >= 0 && end > start, "canary.yaml has maxWeight and stepWeight:\n%s", text)
		end += len("    stepWeight: 5\n")
		return text[:start] + fmt.Sprintf("    iterations: %d\n", n) + extra + text[end:]
	}
}

// loadTestHeader adds a request header to the load test's requests.
func loadTestHeader(name, value string) func(string) string {
	return func(text string) string {
		return strings.Replace(text, "hey -z 1m -q 10 -c 2 ", fmt.Sprintf("hey -z 1m -q 10 -c 2 -H '%s: %s' ", name, value), 1)
	}
}

// startGateway creates the Gateway envoy of the mesh simulator's class in the namespace (the
// platform's gateway, not the app's Git), pushes 6.0.0 with the overlay o, starts the
// controller with -mesh-provider gatewayapi:v1 and waits for the initialization.
func (s *scenario) startGateway(o walkthrough.Overlay) {
	s.t.Helper()
	gw := s.gatewayClient()
	g := &gwv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Name: "envoy", Namespace: s.ns},
		Spec: gwv1.GatewaySpec{
			GatewayClassName: env.GatewayClassName,
			Listeners: []gwv1.Listener{{Name: "http", Protocol: gwv1.HTTPProtocolType, Port: 10000,
				AllowedRoutes: &gwv1.AllowedRoutes{Namespaces: &gwv1.RouteNamespaces{From: ptr.To(gwv1.NamespacesFromSame)}}}},
		},
	}
	_, err := gw.GatewayV1().Gateways(s.ns).Create(s.ctx, g, metav1.CreateOptions{})
	require.NoError(s.t, err)
	s.push("podinfo 6.0.0", o)
	s.startController("-mesh-provider", gatewayProvider)
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)
}

func (s *scenario) gatewayClient() gwclient.Interface {
	gw, err := gwclient.NewForConfig(s.env.RESTConfig())
	require.NoError(s.t, err)
	return gw
}

// httpRoute reads the HTTPRoute podinfo.
func (s *scenario) httpRoute() (*gwv1.HTTPRoute, error) {
	return s.gatewayClient().GatewayV1().HTTPRoutes(s.ns).Get(s.ctx, "podinfo", metav1.GetOptions{})
}

// routed is what the HTTPRoute's weighted rule (the one with both backends) says.
type routed struct {
	primary, canary int
	mirrored        bool
}

func (r routed) String() string {
	return fmt.Sprintf("%d/%d mirror=%t", r.primary, r.canary, r.mirrored)
}

// routes reads the weighted rule of the HTTPRoute podinfo.
func (s *scenario) routes() (routed, error) {
	hr, err := s.httpRoute()
	if err != nil {
		return routed{}, err
	}
	for _, rule := range hr.Spec.Rules {
		if len(rule.BackendRefs) != 2 {
			continue
		}
		var r routed
		for _, b := range rule.BackendRefs {
			switch b.Name {
			case "podinfo-primary":
				r.primary = int(ptr.Deref(b.Weight, 1))
			case "podinfo-canary":
				r.canary = int(ptr.Deref(b.Weight, 1))
			}
		}
		for _, f := range rule.Filters {
			if f.Type == gwv1.HTTPRouteFilterRequestMirror && f.RequestMirror.BackendRef.Name == "podinfo-canary" {
				r.mirrored = true
			}
		}
		return r, nil
	}
	return routed{}, fmt.Errorf("HTTPRoute %s/podinfo has no weighted rule", s.ns)
}

// thenRouteAccepted checks that the HTTPRoute podinfo is owned by the Canary and accepted by
// the Gateway envoy at its generation.
func (s *scenario) thenRouteAccepted() {
	s.t.Helper()
	c, err := s.canary()
	require.NoError(s.t, err)
	s.eventually(time.Minute, "HTTPRoute accepted", func() (bool, string) {
		hr, err := s.httpRoute()
		if err != nil {
			return false, err.Error()
		}
		if owner := metav1.GetControllerOf(hr); owner == nil || owner.UID != c.UID {
			return false, "not owned by the Canary"
		}
		for _, p := range hr.Status.Parents {
			for _, cond := range p.Conditions {
				if p.ParentRef.Name == "envoy" && cond.Type == string(gwv1.RouteConditionAccepted) &&
					cond.Status == metav1.ConditionTrue && cond.ObservedGeneration == hr.Generation {
					return true, ""
				}
			}
		}
		return false, fmt.Sprintf("parents %+v", hr.Status.Parents)
	})
}

// ask sends one request to the Gateway for podinfo.<ns> with the headers (name, value pairs)
// and returns the version that answered.
func (s *scenario) ask(headers ...string) (string, error) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodGet, s.env.MeshURL+"/", nil)
	if err != nil {
		return "", err
	}
	req.Host = "podinfo." + s.ns
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET podinfo.%s: %d %s", s.ns, resp.StatusCode, body)
	}
	var info struct {
		Version string `json:"version"`
	}
	return info.Version, json.Unmarshal(body, &info)
}

// askN sends n requests with the headers and counts the versions that answered.
func (s *scenario) askN(n int, headers ...string) map[string]int {
	s.t.Helper()
	seen := map[string]int{}
	for range n {
		v, err := s.ask(headers...)
		require.NoError(s.t, err)
		seen[v]++
	}
	return seen
}

// canaryClusterRequests is the number of requests the mesh sent to the canary's Envoy cluster
// of the route's backends (<ns>_podinfo-canary_9898), read from the mesh's own metrics
// endpoint (no scrape delay).
func (s *scenario) canaryClusterRequests() int {
	s.t.Helper()
	resp, err := http.Get(s.env.MeshMetricsURL)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	label := fmt.Sprintf(`envoy_cluster_name="%s_podinfo-canary_9898"`, s.ns)
	total := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "envoy_cluster_upstream_rq{") || !strings.Contains(line, label) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		require.NoError(s.t, err, line)
		total += int(v)
	}
	require.NoError(s.t, sc.Err())
	return total
}
