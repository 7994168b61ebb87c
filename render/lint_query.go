package render

import (
	"iter"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// This file reads a query for the lints in lint.go with Prometheus's own PromQL parser. It is
// not a validator: a query it cannot read yields no AST and no lint.
//
// Queries come from the untrusted repository, and the parser's cost grows with the square of the
// tree's depth (its type check and position ranges recurse down the tree from every node):
// 8,000 nested parentheses or 8,000 chained + (16 KiB) take 0.1 s, 100,000 take 14 s and 28 s,
// and 1,000,000 nested parentheses had not finished after ten minutes. So before parsing, a
// query is bounded in length, and Prometheus's lexer (linear) bounds what deepens the tree: how
// deep parentheses and brackets nest, and how many operators and ranges there are.

const (
	// maxLintQuery is the longest query template the lints read.
	maxLintQuery = 16 << 10
	// maxLintOperators is the most operators and brackets the lints parse; real queries have
	// under 30.
	maxLintOperators = 128
	// maxLintDepth is the deepest nesting of parentheses, brackets and braces the lints parse.
	maxLintDepth = 64
)

// promQL parses queries as a Prometheus server with experimental functions enabled does: the
// lints would rather read too much than too little.
var promQL = parser.NewParser(parser.Options{EnableExperimentalFunctions: true})

// Placeholders stand in for the values of a query template's functions, which are known only at
// analysis time. A name fits a label value, a metric name and a label name; {{ interval }} is a
// duration. A variable may stand anywhere, so both a name and a number (which also fits a range
// and a scalar argument such as histogram_quantile's) are tried.
const (
	placeholderName     = "tmpl"
	placeholderInterval = "1m"
)

var placeholderVariables = []string{placeholderName, "1"}

// parseQuery renders a query template with placeholders and parses the result, or returns nil
// when the template is too long or not in the query language (v1beta1.CheckQueryTemplate), or
// no rendering is within the lints' bounds and parses. A placeholder is shorter than the action
// it replaces, so the rendered query is no longer than the template.
func parseQuery(query string) parser.Expr {
	if len(query) > maxLintQuery {
		return nil
	}
	variables := map[string]string{}
	funcs := template.FuncMap{}
	for _, name := range v1beta1.TemplateFuncNames() {
		funcs[name] = func() string { return placeholderName }
	}
	funcs["interval"] = func() string { return placeholderInterval }
	funcs["variables"] = func() map[string]string { return variables }
	t, err := template.New("query").Funcs(funcs).Option("missingkey=error").Parse(query)
	if err != nil || t.Tree == nil || v1beta1.CheckQueryTemplate(t) != nil {
		return nil
	}
	keys := variableKeys(t.Root)
	for _, value := range placeholderVariables {
		for _, k := range keys {
			variables[k] = value
		}
		var rendered strings.Builder
		if t.Execute(&rendered, nil) != nil {
			return nil
		}
		if withinLintBounds(rendered.String()) {
			if expr, err := promQL.ParseExpr(rendered.String()); err == nil {
				return expr
			}
		}
		if len(keys) == 0 {
			break
		}
	}
	return nil
}

// variableKeys returns the keys the template reads as {{ variables.KEY }}.
func variableKeys(root *parse.ListNode) []string {
	var keys []string
	for _, n := range root.Nodes {
		action, ok := n.(*parse.ActionNode)
		if !ok || len(action.Pipe.Cmds) != 1 || len(action.Pipe.Cmds[0].Args) != 1 {
			continue
		}
		if chain, ok := action.Pipe.Cmds[0].Args[0].(*parse.ChainNode); ok {
			keys = append(keys, chain.Field...)
		}
	}
	return keys
}

// withinLintBounds reports whether Prometheus's lexer reads the query without error, with
// parentheses, brackets and braces nested at most maxLintDepth deep, and at most
// maxLintOperators operators (label matchers' included) and brackets (ranges, subqueries).
// Together these bound the depth of the tree the parser builds: each operator and each bracket
// may add a level, and so may each nesting. A query the lexer rejects, the parser would too.
func withinLintBounds(query string) bool {
	lexer := parser.Lex(query)
	depth, operators := 0, 0
	for {
		var item parser.Item
		lexer.NextItem(&item)
		switch typ := item.Typ; {
		case typ == parser.EOF:
			return true
		case typ == parser.ERROR:
			return false
		case typ == parser.RIGHT_PAREN || typ == parser.RIGHT_BRACKET || typ == parser.RIGHT_BRACE:
			depth--
		case typ == parser.LEFT_PAREN || typ == parser.LEFT_BRACKET || typ == parser.LEFT_BRACE:
			if depth++; depth > maxLintDepth {
				return false
			}
			if typ == parser.LEFT_BRACKET {
				operators++
			}
		case typ.IsOperator():
			operators++
		}
		if operators > maxLintOperators {
			return false
		}
	}
}

// unaggregatedSelectors returns the selectors under n that reach n without passing through an
// aggregation: those whose labels the vector matching of a binary operator at n sees one by one.
func unaggregatedSelectors(n parser.Node) []*parser.VectorSelector {
	switch n := n.(type) {
	case *parser.VectorSelector:
		return []*parser.VectorSelector{n}
	case *parser.AggregateExpr:
		return nil
	}
	var out []*parser.VectorSelector
	for child := range children(n) {
		out = append(out, unaggregatedSelectors(child)...)
	}
	return out
}

// inspect calls f on n and every node under it, depth first, left to right.
func inspect(n parser.Node, f func(parser.Node)) {
	if n == nil {
		return
	}
	f(n)
	for child := range children(n) {
		inspect(child, f)
	}
}

// children returns the nodes under n. parser.ChildrenIter (hence parser.Inspect) panics on the
// node types it does not list, DurationExpr among them: the parser keeps durations inside
// selectors and subqueries, but a duration selects no series, so the lints never descend into
// one rather than rely on that.
func children(n parser.Node) iter.Seq[parser.Node] {
	if _, ok := n.(*parser.DurationExpr); ok {
		return func(func(parser.Node) bool) {}
	}
	return parser.ChildrenIter(n)
}

// metricName returns the metric a selector reads: its name, or its __name__="…" matcher's value.
func metricName(s *parser.VectorSelector) string {
	if s.Name != "" {
		return s.Name
	}
	for _, m := range s.LabelMatchers {
		if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}

// labelMatchers returns a selector's matchers other than the metric name's, as text, sorted.
func labelMatchers(s *parser.VectorSelector) []string {
	var out []string
	for _, m := range s.LabelMatchers {
		if m.Name != labels.MetricName {
			out = append(out, m.String())
		}
	}
	slices.Sort(out)
	return out
}

// matcherLabels returns the label names a selector's matchers filter, other than the metric
// name.
func matcherLabels(s *parser.VectorSelector) []string {
	var out []string
	for _, m := range s.LabelMatchers {
		if m.Name != labels.MetricName {
			out = append(out, m.Name)
		}
	}
	return out
}
