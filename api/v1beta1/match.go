package v1beta1

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// HTTPMatch is the part of Flagger's (Istio's) HTTPMatchRequest that a Gateway API HTTPRoute
// can express: the path, the method, headers and query parameters. All conditions of one
// HTTPMatch must hold; a list of HTTPMatches matches when any of them does.
type HTTPMatch struct {
	// URI matches the request path.
	URI *StringMatch `json:"uri,omitempty"`
	// Method matches the request method (exact only).
	Method *StringMatch `json:"method,omitempty"`
	// Headers match request headers by name (exact or regex).
	Headers map[string]StringMatch `json:"headers,omitempty"`
	// QueryParams match query parameters by name (exact or regex).
	QueryParams map[string]StringMatch `json:"queryParams,omitempty"`
	// Name of the match; ignored.
	Name string `json:"name,omitempty"`
}

// StringMatch is one of exact, prefix or regex.
type StringMatch struct {
	Exact  string `json:"exact,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	Regex  string `json:"regex,omitempty"`
}

// Header is a named StringMatch, the sorted form of a map of matches.
type Header struct {
	Name  string
	Match StringMatch
}

// SortedHeaders returns the header matches sorted by name, so that routes built from them
// are stable.
func (m HTTPMatch) SortedHeaders() []Header { return sortedMatches(m.Headers) }

// SortedQueryParams returns the query parameter matches sorted by name.
func (m HTTPMatch) SortedQueryParams() []Header { return sortedMatches(m.QueryParams) }

func sortedMatches(in map[string]StringMatch) []Header {
	out := make([]Header, 0, len(in))
	for k, v := range in {
		out = append(out, Header{Name: k, Match: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ParseMatches decodes match conditions (spec.service.match or spec.analysis.match) and checks
// that an HTTPRoute can express them: a field other than uri, method, headers, queryParams and
// name (Istio's sourceLabels, port, authority, …), a prefix match of a header, query parameter
// or method, or a match with no value is an error naming the field.
func ParseMatches(raw []apiextensionsv1.JSON, path *field.Path) ([]HTTPMatch, field.ErrorList) {
	var out []HTTPMatch
	var errs field.ErrorList
	for i, r := range raw {
		p := path.Index(i)
		var m HTTPMatch
		dec := json.NewDecoder(bytes.NewReader(r.Raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			errs = append(errs, field.Invalid(p, string(r.Raw),
				fmt.Sprintf("an HTTPRoute match supports uri, method, headers and queryParams only: %v", err)))
			continue
		}
		errs = append(errs, checkMatch(m, p)...)
		out = append(out, m)
	}
	return out, errs
}

func checkMatch(m HTTPMatch, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if m.URI != nil {
		errs = append(errs, checkString(*m.URI, p.Child("uri"), true)...)
	}
	if m.Method != nil {
		if m.Method.Exact == "" {
			errs = append(errs, field.Invalid(p.Child("method"), *m.Method, "an HTTPRoute matches the method exactly: set exact"))
		}
	}
	for _, h := range m.SortedHeaders() {
		errs = append(errs, checkString(h.Match, p.Child("headers").Key(h.Name), false)...)
	}
	for _, q := range m.SortedQueryParams() {
		errs = append(errs, checkString(q.Match, p.Child("queryParams").Key(q.Name), false)...)
	}
	return errs
}

// checkString requires exactly one value; prefix only where allowed (paths).
func checkString(s StringMatch, p *field.Path, prefixOK bool) field.ErrorList {
	set := 0
	for _, v := range []string{s.Exact, s.Prefix, s.Regex} {
		if v != "" {
			set++
		}
	}
	switch {
	case set != 1:
		return field.ErrorList{field.Invalid(p, s, "set exactly one of exact, prefix or regex")}
	case s.Prefix != "" && !prefixOK:
		return field.ErrorList{field.Invalid(p, s, "an HTTPRoute cannot match a prefix here: use exact or regex")}
	}
	return nil
}
