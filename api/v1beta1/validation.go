package v1beta1

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"text/template"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidationError lists every problem found in one object.
//
// +kubebuilder:object:generate=false
type ValidationError struct {
	// Kind, Namespace and Name identify the object.
	Kind, Namespace, Name string
	// Errs are the problems, each with the JSON field path it concerns.
	Errs field.ErrorList
}

// Object returns the object's identity as "<Kind> <namespace>/<name>".
func (e *ValidationError) Object() string {
	if e.Namespace == "" {
		return e.Kind + " " + e.Name
	}
	return fmt.Sprintf("%s %s/%s", e.Kind, e.Namespace, e.Name)
}

// Problems returns one line per problem: "<field path>: <what is wrong>".
func (e *ValidationError) Problems() []string {
	out := make([]string, len(e.Errs))
	for i, fe := range e.Errs {
		out[i] = fe.Error()
	}
	return out
}

func (e *ValidationError) Error() string {
	return e.Object() + ": " + strings.Join(e.Problems(), "; ")
}

func newValidationError(kind, namespace, name string, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return &ValidationError{Kind: kind, Namespace: namespace, Name: name, Errs: errs}
}

// durationPattern is Flagger's CRD pattern for intervals and timeouts (a prefix match).
var durationPattern = regexp.MustCompile(`^[0-9]+(m|s)`)

// validateDuration checks an interval or timeout: Flagger's pattern and a positive Go duration.
func validateDuration(s string, path *field.Path) field.ErrorList {
	if s == "" {
		return nil
	}
	d, err := time.ParseDuration(s)
	switch {
	case !durationPattern.MatchString(s) || err != nil:
		return field.ErrorList{field.Invalid(path, s, "must be a duration in seconds or minutes, e.g. 30s or 1m")}
	case d <= 0:
		return field.ErrorList{field.Invalid(path, s, "must be greater than zero")}
	}
	return nil
}

// validateURL checks that s is an absolute http or https URL with a host.
func validateURL(s string, path *field.Path) field.ErrorList {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return field.ErrorList{field.Invalid(path, redactURL(s), "must be an absolute http or https URL")}
	}
	return nil
}

// redactURL hides the password of a URL so that validation errors never print credentials.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}

func validatePercent(v int, path *field.Path) field.ErrorList {
	if v < 0 || v > TotalWeight {
		return field.ErrorList{field.Invalid(path, v, "must be between 0 and 100")}
	}
	return nil
}

// templateFuncs are the functions a MetricTemplate query may call, with Flagger's names. Only
// their names matter for parsing; the metrics adapter supplies the real values.
var templateFuncs = template.FuncMap{
	"name":      func() string { return "" },
	"namespace": func() string { return "" },
	"target":    func() string { return "" },
	"service":   func() string { return "" },
	"ingress":   func() string { return "" },
	"route":     func() string { return "" },
	"interval":  func() string { return "" },
	"variables": func() map[string]string { return nil },
}

// TemplateFuncNames returns the names of the functions a MetricTemplate query may call.
func TemplateFuncNames() []string {
	names := make([]string, 0, len(templateFuncs))
	for n := range templateFuncs {
		names = append(names, n)
	}
	return names
}
