package v1beta1

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateMetricTemplate returns nil, or a *ValidationError listing every problem of the
// MetricTemplate. gitcanary queries Prometheus only: the other provider types of Flagger's schema
// are rejected here rather than failing at analysis time.
func ValidateMetricTemplate(t *MetricTemplate) error {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if t.Name == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), ""))
	}
	p := t.Spec.Provider
	switch {
	case p.Type == "":
		errs = append(errs, field.Required(spec.Child("provider", "type"), "e.g. prometheus"))
	case p.Type == PrometheusProvider:
		if p.Address == "" {
			errs = append(errs, field.Required(spec.Child("provider", "address"), "the Prometheus URL, e.g. http://prometheus:9090"))
		} else {
			errs = append(errs, validateURL(p.Address, spec.Child("provider", "address"))...)
		}
	default:
		errs = append(errs, field.NotSupported(spec.Child("provider", "type"), string(p.Type), []string{string(PrometheusProvider)}))
	}
	if p.SecretRef != nil && p.SecretRef.Name == "" {
		errs = append(errs, field.Required(spec.Child("provider", "secretRef", "name"), ""))
	}
	if t.Spec.Query == "" {
		errs = append(errs, field.Required(spec.Child("query"), ""))
	} else {
		errs = append(errs, validateQueryTemplate(t.Spec.Query, spec.Child("query"))...)
	}
	return newValidationError(MetricTemplateKind, t.Namespace, t.Name, errs)
}

// ValidateAlertProvider returns nil, or a *ValidationError listing every problem of the
// AlertProvider.
func ValidateAlertProvider(a *AlertProvider) error {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if a.Name == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), ""))
	}
	switch a.Spec.Type {
	case SlackProvider, MSTeamsProvider, DiscordProvider, RocketProvider, GChatProvider:
	case "":
		errs = append(errs, field.Required(spec.Child("type"), "one of slack, msteams, discord, rocket, gchat"))
	default:
		errs = append(errs, field.NotSupported(spec.Child("type"), string(a.Spec.Type), []string{"slack", "msteams", "discord", "rocket", "gchat"}))
	}
	switch {
	case a.Spec.SecretRef != nil:
		if a.Spec.SecretRef.Name == "" {
			errs = append(errs, field.Required(spec.Child("secretRef", "name"), ""))
		}
	case a.Spec.Address == "":
		errs = append(errs, field.Required(spec.Child("address"), "set address or secretRef"))
	}
	if a.Spec.Address != "" {
		errs = append(errs, validateURL(a.Spec.Address, spec.Child("address"))...)
	}
	if a.Spec.Proxy != "" {
		errs = append(errs, validateURL(a.Spec.Proxy, spec.Child("proxy"))...)
	}
	return newValidationError(AlertProviderKind, a.Namespace, a.Name, errs)
}

// validateQueryTemplate checks that a query parses as a Go text/template in the query language
// (CheckQueryTemplate).
func validateQueryTemplate(q string, path *field.Path) field.ErrorList {
	t, err := template.New("query").Funcs(templateFuncs).Option("missingkey=error").Parse(q)
	if err != nil {
		return field.ErrorList{field.Invalid(path, "<query>", fmt.Sprintf("does not parse as a template: %v", err))}
	}
	if err := CheckQueryTemplate(t); err != nil {
		return field.ErrorList{field.Invalid(path, "<query>", err.Error())}
	}
	return nil
}

// CheckQueryTemplate refuses a parsed query template that uses more than Flagger's queries
// need: text, and actions that call a template function ({{ namespace }}) or read a key of the
// metric's variables ({{ variables.quantile }}). Control structures (if, range, with), template
// definitions and calls, variables ($x), pipelines, literals and data access are refused, so
// that rendering a query costs no more than its length times the size of the values.
func CheckQueryTemplate(t *template.Template) error {
	if len(t.Templates()) > 1 {
		return errors.New("defining templates (define, block) is not allowed in a query")
	}
	if t.Tree == nil || t.Root == nil {
		return nil
	}
	for _, n := range t.Root.Nodes {
		if err := checkQueryNode(t, n); err != nil {
			return err
		}
	}
	return nil
}

// checkQueryNode accepts text and the two kinds of action of the query language.
func checkQueryNode(t *template.Template, n parse.Node) error {
	refuse := func(what string) error {
		loc, _ := t.ErrorContext(n)
		return fmt.Errorf("%s: %s is not allowed in a query: use text, {{ %s }} and {{ variables.KEY }}",
			loc, what, strings.Join(zeroArgFuncs(), " }}, {{ "))
	}
	switch n := n.(type) {
	case *parse.TextNode, *parse.CommentNode:
		return nil
	case *parse.ActionNode:
		if len(n.Pipe.Decl) > 0 {
			return refuse("declaring a variable")
		}
		if len(n.Pipe.Cmds) != 1 || len(n.Pipe.Cmds[0].Args) != 1 {
			return refuse(fmt.Sprintf("%q (pipelines and arguments)", n.String()))
		}
		switch arg := n.Pipe.Cmds[0].Args[0].(type) {
		case *parse.IdentifierNode:
			if arg.Ident == "variables" {
				return refuse("{{ variables }} without a key")
			}
			return nil // a known function: Parse refuses unknown ones
		case *parse.ChainNode:
			if id, ok := arg.Node.(*parse.IdentifierNode); ok && id.Ident == "variables" && len(arg.Field) == 1 {
				return nil
			}
		}
		return refuse(fmt.Sprintf("%q", n.String()))
	case *parse.IfNode:
		return refuse("if")
	case *parse.RangeNode:
		return refuse("range")
	case *parse.WithNode:
		return refuse("with")
	case *parse.TemplateNode:
		return refuse("calling a template")
	default:
		return refuse(fmt.Sprintf("%q", n.String()))
	}
}

// zeroArgFuncs returns the template functions other than variables, sorted.
func zeroArgFuncs() []string {
	var names []string
	for _, n := range TemplateFuncNames() {
		if n != "variables" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}
