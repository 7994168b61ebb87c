package render

import (
	"bytes"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// maxEmbedDepth bounds how deep YAML embedded in strings (an inline patch holding a
// configuration holding a patch…) is followed.
const maxEmbedDepth = 4

// documentSeparator splits a file into documents as kustomize's reader (kyaml kio.ByteReader)
// does: on any line starting with ---.
var documentSeparator = regexp.MustCompile(`\n---.*\n`)

// yamlNodes returns the number of nodes of the YAML documents of data with every alias
// expanded. Counting stops as soon as the count exceeds max (the count returned is then max+1),
// so a "billion laughs" file costs no more than its parse. Strings that hold YAML with anchors
// and aliases (inline patches, inline plugin configurations) are counted as the documents they
// will become. What does not parse as YAML counts for nothing: kustomize cannot expand it
// either.
//
// Documents are split as kustomize splits them, and every document of each part is counted,
// also those kustomize would not read: the count is never lower than what kustomize expands.
func yamlNodes(data []byte, max int64) int64 {
	parts := documentSeparator.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), -1)
	var total int64
	for _, part := range parts {
		dec := yaml.NewDecoder(strings.NewReader(part))
		for total <= max {
			var n yaml.Node
			if err := dec.Decode(&n); err != nil {
				break // the end, or an error the parser cannot resume from; kustomize fails on it too
			}
			c := &nodeCounter{max: max - total, memo: map[*yaml.Node]int64{}}
			total += c.count(&n, 0)
		}
	}
	return min(total, max+1)
}

// nodeCounter counts the nodes of one document, aliases expanded. memo holds the expanded
// size of every node already counted, so that each node is visited once however often it is
// aliased.
type nodeCounter struct {
	max  int64
	memo map[*yaml.Node]int64
}

func (c *nodeCounter) count(n *yaml.Node, depth int) int64 {
	if n == nil {
		return 0
	}
	if v, ok := c.memo[n]; ok {
		return v
	}
	c.memo[n] = c.max + 1 // an alias cycle counts as over the limit
	var total int64 = 1
	switch n.Kind {
	case yaml.AliasNode:
		total = c.count(n.Alias, depth)
	case yaml.ScalarNode:
		total += c.embedded(n.Value, depth)
	default:
		for _, child := range n.Content {
			total += c.count(child, depth)
			if total > c.max {
				total = c.max + 1
				break
			}
		}
	}
	total = min(total, c.max+1)
	c.memo[n] = total
	return total
}

// embedded counts the YAML held in a string when it uses anchors and aliases: kustomize parses
// inline patches and configurations and expands them like any other document.
func (c *nodeCounter) embedded(s string, depth int) int64 {
	if depth >= maxEmbedDepth || !strings.Contains(s, "*") || !strings.Contains(s, "&") {
		return 0
	}
	dec := yaml.NewDecoder(bytes.NewReader([]byte(s)))
	var total int64
	for total <= c.max {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			break
		}
		inner := &nodeCounter{max: c.max, memo: map[*yaml.Node]int64{}}
		total += inner.count(&n, depth+1)
	}
	return total
}
