package render

import (
	"regexp"
	"strings"
)

// This file is a small reader of PromQL for the lints in lint.go: enough of the grammar to know
// which series each side of a binary operator selects and whether an aggregation sits between.
// It is not a validator: a query it cannot read yields no AST and no lint. Its input comes from
// the untrusted repository, so it is bounded in length and nesting.

const (
	// maxLintQuery is the longest query the lints read.
	maxLintQuery = 16 << 10
	// maxLintDepth bounds the parser's recursion.
	maxLintDepth = 64
)

// pqKind is the kind of a PromQL AST node.
type pqKind int

const (
	pqOther    pqKind = iota // a number, a string
	pqSelector               // metric{matchers}
	pqCall                   // function or aggregation
	pqBinary                 // lhs op rhs
)

// pqNode is a node of the lints' PromQL AST.
type pqNode struct {
	kind pqKind
	// name is the metric name (selector), the function (call) or the operator (binary).
	name string
	// matchers is a selector's label matchers, without braces and blanks.
	matchers string
	// args are a call's arguments, or a binary's [lhs, rhs].
	args []*pqNode
	// matching is true for a binary with on(...) or ignoring(...).
	matching bool
}

// aggregations are PromQL's aggregation operators: they merge series, so the vector matching
// of a binary operator above them sees the grouped labels only.
var aggregations = map[string]bool{
	"sum": true, "avg": true, "min": true, "max": true, "count": true, "group": true, "stddev": true,
	"stdvar": true, "topk": true, "bottomk": true, "quantile": true, "count_values": true,
	"limitk": true, "limit_ratio": true,
}

// binaryPrecedence of PromQL's binary operators.
var binaryPrecedence = map[string]int{
	"or": 1, "and": 2, "unless": 2,
	"==": 3, "!=": 3, "<=": 3, "<": 3, ">=": 3, ">": 3,
	"+": 4, "-": 4,
	"*": 5, "/": 5, "%": 5, "atan2": 5,
	"^": 6,
}

var templateAction = regexp.MustCompile(`\{\{.*?\}\}`)

// parsePromQL reads a query (Go template actions allowed) into an AST, or returns nil when the
// query is too long, too deep or not understood.
func parsePromQL(query string) *pqNode {
	if len(query) > maxLintQuery {
		return nil
	}
	toks, ok := lexPromQL(templateAction.ReplaceAllString(query, "tmpl"))
	if !ok {
		return nil
	}
	p := &pqParser{toks: toks}
	n := p.expr(0)
	if p.failed || p.pos != len(p.toks) {
		return nil
	}
	return n
}

// pqToken is a lexed token: kind 'i' identifier, 'n' number or duration, 's' string,
// 'm' label matchers ({…}, text inside), 'r' range or subquery ([…]), 'o' operator, or one
// of '(' ')' ','.
type pqToken struct {
	kind byte
	text string
}

func lexPromQL(q string) ([]pqToken, bool) {
	var toks []pqToken
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case isIdentStart(c):
			j := i + 1
			for j < len(q) && (isIdentStart(q[j]) || isDigit(q[j])) {
				j++
			}
			toks, i = append(toks, pqToken{'i', q[i:j]}), j
		case isDigit(c) || (c == '.' && i+1 < len(q) && isDigit(q[i+1])):
			j := i + 1
			for j < len(q) && (isIdentStart(q[j]) || isDigit(q[j]) || q[j] == '.' ||
				((q[j] == '+' || q[j] == '-') && (q[j-1] == 'e' || q[j-1] == 'E'))) {
				j++
			}
			toks, i = append(toks, pqToken{'n', q[i:j]}), j
		case c == '"' || c == '\'' || c == '`':
			j, ok := skipString(q, i)
			if !ok {
				return nil, false
			}
			toks, i = append(toks, pqToken{'s', q[i:j]}), j
		case c == '{' || c == '[':
			j, ok := skipBlock(q, i)
			if !ok {
				return nil, false
			}
			kind := byte('m')
			if c == '[' {
				kind = 'r'
			}
			toks, i = append(toks, pqToken{kind, q[i+1 : j-1]}), j
		case c == '(' || c == ')' || c == ',':
			toks, i = append(toks, pqToken{c, string(c)}), i+1
		default:
			op := q[i : i+1]
			if i+1 < len(q) && strings.Contains("== != <= >= =~ !~", q[i:i+2]) {
				op = q[i : i+2]
			}
			if !strings.Contains("+-*/%^<>=!@", op[:1]) {
				return nil, false
			}
			toks, i = append(toks, pqToken{'o', op}), i+len(op)
		}
	}
	return toks, true
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// skipString returns the index after the string literal starting at i.
func skipString(q string, i int) (int, bool) {
	quote := q[i]
	for j := i + 1; j < len(q); j++ {
		switch {
		case q[j] == '\\' && quote != '`':
			j++
		case q[j] == quote:
			return j + 1, true
		}
	}
	return 0, false
}

// skipBlock returns the index after the {…} or […] block starting at i; strings inside may
// hold the closing character.
func skipBlock(q string, i int) (int, bool) {
	closing := byte('}')
	if q[i] == '[' {
		closing = ']'
	}
	for j := i + 1; j < len(q); j++ {
		switch q[j] {
		case '"', '\'', '`':
			end, ok := skipString(q, j)
			if !ok {
				return 0, false
			}
			j = end - 1
		case closing:
			return j + 1, true
		}
	}
	return 0, false
}

// pqParser is a precedence-climbing parser over the tokens.
type pqParser struct {
	toks   []pqToken
	pos    int
	depth  int
	failed bool
}

func (p *pqParser) peek() pqToken {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return pqToken{}
}

func (p *pqParser) accept(kind byte, text string) bool {
	t := p.peek()
	if t.kind == kind && (text == "" || strings.EqualFold(t.text, text)) {
		p.pos++
		return true
	}
	return false
}

func (p *pqParser) expect(kind byte) {
	if !p.accept(kind, "") {
		p.failed = true
	}
}

// expr parses a binary expression whose operators bind at least as tightly as minPrec.
func (p *pqParser) expr(minPrec int) *pqNode {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxLintDepth {
		p.failed = true
		return nil
	}
	lhs := p.unary()
	for !p.failed {
		t := p.peek()
		prec, isOp := binaryPrecedence[strings.ToLower(t.text)]
		if !isOp || (t.kind != 'o' && t.kind != 'i') || prec < minPrec {
			break
		}
		p.pos++
		n := &pqNode{kind: pqBinary, name: strings.ToLower(t.text)}
		p.accept('i', "bool")
		if p.accept('i', "on") || p.accept('i', "ignoring") {
			n.matching = true
			p.labelList()
		}
		if p.accept('i', "group_left") || p.accept('i', "group_right") {
			if p.peek().kind == '(' {
				p.labelList()
			}
		}
		next := prec + 1
		if n.name == "^" {
			next = prec // right-associative
		}
		n.args = []*pqNode{lhs, p.expr(next)}
		lhs = n
	}
	return lhs
}

func (p *pqParser) unary() *pqNode {
	if p.accept('o', "-") || p.accept('o', "+") {
		return p.unary()
	}
	return p.postfix(p.primary())
}

func (p *pqParser) primary() *pqNode {
	t := p.peek()
	switch t.kind {
	case 'n', 's':
		p.pos++
		return &pqNode{kind: pqOther}
	case 'm':
		p.pos++
		return &pqNode{kind: pqSelector, matchers: compact(t.text)}
	case '(':
		p.pos++
		n := p.expr(0)
		p.expect(')')
		return n
	case 'i':
		p.pos++
		return p.identifier(t.text)
	}
	p.failed = true
	return nil
}

// identifier parses what follows a name: a call (an aggregation may carry by/without before or
// after its arguments) or a selector.
func (p *pqParser) identifier(name string) *pqNode {
	grouped := aggregations[strings.ToLower(name)] && p.grouping()
	if p.peek().kind != '(' {
		if grouped {
			p.failed = true
		}
		n := &pqNode{kind: pqSelector, name: name}
		if t := p.peek(); t.kind == 'm' {
			p.pos++
			n.matchers = compact(t.text)
		}
		return n
	}
	p.pos++
	n := &pqNode{kind: pqCall, name: strings.ToLower(name)}
	for !p.failed && !p.accept(')', "") {
		n.args = append(n.args, p.expr(0))
		if !p.accept(',', "") {
			p.expect(')')
			break
		}
	}
	if aggregations[n.name] && !grouped {
		p.grouping()
	}
	return n
}

// grouping consumes "by (…)" or "without (…)" and reports whether there was one.
func (p *pqParser) grouping() bool {
	if p.accept('i', "by") || p.accept('i', "without") {
		p.labelList()
		return true
	}
	return false
}

// labelList consumes "(label, …)".
func (p *pqParser) labelList() {
	p.expect('(')
	for !p.failed && !p.accept(')', "") {
		if !p.accept('i', "") && !p.accept(',', "") {
			p.failed = true
		}
	}
}

// postfix consumes ranges, subqueries, offset and @ modifiers after an operand.
func (p *pqParser) postfix(n *pqNode) *pqNode {
	for !p.failed {
		switch {
		case p.accept('r', ""):
		case p.accept('i', "offset"):
			p.accept('o', "-")
			p.expect('n')
		case p.accept('o', "@"):
			if p.accept('i', "") {
				p.expect('(')
				p.expect(')')
			} else {
				p.expect('n')
			}
		default:
			return n
		}
	}
	return n
}

func compact(s string) string { return strings.Join(strings.Fields(s), "") }

// selectors returns the selectors under n that reach n without passing through an aggregation:
// those whose labels the vector matching of a binary operator at n sees one by one.
func unaggregatedSelectors(n *pqNode) []*pqNode {
	if n == nil {
		return nil
	}
	switch {
	case n.kind == pqSelector:
		return []*pqNode{n}
	case n.kind == pqCall && aggregations[n.name]:
		return nil
	}
	var out []*pqNode
	for _, a := range n.args {
		out = append(out, unaggregatedSelectors(a)...)
	}
	return out
}

// walk calls f on n and every node under it.
func walk(n *pqNode, f func(*pqNode)) {
	if n == nil {
		return
	}
	f(n)
	for _, a := range n.args {
		walk(a, f)
	}
}

// matcherLabels returns the label names of a selector's matchers, in order.
func matcherLabels(matchers string) []string {
	var out []string
	for i := 0; i < len(matchers); {
		j := i
		for j < len(matchers) && (isIdentStart(matchers[j]) || isDigit(matchers[j])) {
			j++
		}
		if j > i {
			out = append(out, matchers[i:j])
		}
		// skip the operator and the value to the next comma outside strings
		for j < len(matchers) && matchers[j] != ',' {
			if c := matchers[j]; c == '"' || c == '\'' || c == '`' {
				end, ok := skipString(matchers, j)
				if !ok {
					return out
				}
				j = end
				continue
			}
			j++
		}
		i = j + 1
	}
	return out
}
