package metrics

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FuzzRender renders arbitrary queries with an arbitrary variable. Render must not panic, must
// refuse what validation refuses and accept what it accepts (but for a missing variable key
// and the size bound), and must never return more than MaxQueryBytes.
//
// Seeds: testdata/fuzz/FuzzRender and the cases below.
func FuzzRender(f *testing.F) {
	f.Add(errorRate, "0.99")
	f.Add(`histogram_quantile({{ variables.q }}, rate(x{ns="{{ namespace }}"}[{{ interval }}]))`, "0.95")
	f.Add("{{ range 1000000000000 }}x{{ end }}", "")
	f.Add(`{{ printf "%0999999999d" 1 }}`, "")
	f.Add(`{{ define "t" }}{{ template "t" }}{{ end }}{{ template "t" }}`, "")
	f.Add("{{ variables.q }}{{ variables.q }}{{ variables.q }}", strings.Repeat("x", 30<<10))
	f.Fuzz(func(t *testing.T, query, variable string) {
		c := newCanary()
		m := v1beta1.CanaryMetric{Name: "m", TemplateVariables: map[string]string{"q": variable}}
		got, err := Render(context.Background(), query, c, m)
		if len(got) > MaxQueryBytes {
			t.Fatalf("rendered %d bytes", len(got))
		}
		invalid := v1beta1.ValidateMetricTemplate(&v1beta1.MetricTemplate{
			ObjectMeta: metav1.ObjectMeta{Name: "t", Namespace: "test"},
			Spec:       v1beta1.MetricTemplateSpec{Provider: v1beta1.MetricTemplateProvider{Type: v1beta1.PrometheusProvider, Address: "http://prometheus:9090"}, Query: query},
		})
		switch {
		case query == "":
			return // validation requires a query; an empty one renders to nothing
		case invalid != nil && err == nil:
			t.Fatalf("validation refuses %q (%v) but Render rendered it", query, invalid)
		case invalid == nil && err != nil && !errors.Is(err, ErrQueryTooLong) && !strings.Contains(err.Error(), "map has no entry for key"):
			t.Fatalf("validation accepts %q but Render fails: %v", query, err)
		}
	})
}
