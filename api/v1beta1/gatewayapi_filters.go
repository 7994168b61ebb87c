package v1beta1

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Headers is spec.service.headers in Flagger's (Istio's) shape: the changes made to requests
// before they reach the primary or canary, and to responses. With Gateway API they become the
// HTTPRoute's RequestHeaderModifier and ResponseHeaderModifier filters.
type Headers struct {
	Request  *HeaderOperations `json:"request,omitempty"`
	Response *HeaderOperations `json:"response,omitempty"`
}

// HeaderOperations are the headers set (replacing any value), added (appended to any value)
// and removed.
type HeaderOperations struct {
	Set    map[string]string `json:"set,omitempty"`
	Add    map[string]string `json:"add,omitempty"`
	Remove []string          `json:"remove,omitempty"`
}

// HTTPRewrite is spec.service.rewrite in Flagger's shape: the request path (URI) and the Host
// header (authority) rewritten before the request is forwarded. With Gateway API it becomes
// the HTTPRoute's URLRewrite filter.
type HTTPRewrite struct {
	// URI replaces the whole path, or with type ReplacePrefixMatch the matched path prefix.
	URI string `json:"uri,omitempty"`
	// Authority replaces the Host header.
	Authority string `json:"authority,omitempty"`
	// Type is ReplaceFullPath (default) or ReplacePrefixMatch.
	Type string `json:"type,omitempty"`
}

// The rewrite types of spec.service.rewrite.type (Gateway API's path modifier types).
const (
	RewriteFullPath    = "ReplaceFullPath"
	RewritePrefixMatch = "ReplacePrefixMatch"
)

// PathType returns the rewrite's path modifier type: ReplacePrefixMatch when asked for,
// otherwise ReplaceFullPath, as Flagger does.
func (r HTTPRewrite) PathType() string {
	if r.Type == RewritePrefixMatch {
		return RewritePrefixMatch
	}
	return RewriteFullPath
}

// Limits of Gateway API v1 HTTPRoute filters, checked before anything is written.
const (
	maxHeaderChanges   = 16
	maxHeaderNameLen   = 256
	maxHeaderValueLen  = 4096
	maxRewritePathLen  = 1024
	maxRewriteHostname = 253
)

var (
	headerName      = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+\\-.^_`|~]+$")
	preciseHostname = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// gatewayDuration is GEP-2257's duration: up to four <number><unit> parts, e.g. 1m30s.
	gatewayDuration = regexp.MustCompile(`^([0-9]{1,5}(h|m|s|ms)){1,4}$`)
)

// ParseHeaders decodes spec.service.headers and checks that an HTTPRoute can carry it: only
// request and response, each with set, add and remove; header names as HTTP allows them, no
// name twice (in any case), non-empty values, at most 16 names per operation. A nil raw
// returns nil.
func ParseHeaders(raw *apiextensionsv1.JSON, path *field.Path) (*Headers, field.ErrorList) {
	if raw == nil {
		return nil, nil
	}
	var h Headers
	if err := decodeStrict(raw.Raw, &h); err != nil {
		return nil, field.ErrorList{field.Invalid(path, string(raw.Raw),
			fmt.Sprintf("headers supports request and response, each with set, add and remove: %v", err))}
	}
	errs := checkHeaderOperations(h.Request, path.Child("request"))
	errs = append(errs, checkHeaderOperations(h.Response, path.Child("response"))...)
	return &h, errs
}

func checkHeaderOperations(ops *HeaderOperations, path *field.Path) field.ErrorList {
	if ops == nil {
		return nil
	}
	var errs field.ErrorList
	seen := map[string]string{}
	check := func(p *field.Path, name string) {
		switch {
		case len(name) > maxHeaderNameLen || !headerName.MatchString(name):
			errs = append(errs, field.Invalid(p, name, "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~, at most 256)"))
		case seen[strings.ToLower(name)] != "":
			errs = append(errs, field.Duplicate(p, fmt.Sprintf("%s (also in %s; header names are case-insensitive)", name, seen[strings.ToLower(name)])))
		default:
			seen[strings.ToLower(name)] = p.String()
		}
	}
	for _, op := range []struct {
		name   string
		values map[string]string
	}{{"set", ops.Set}, {"add", ops.Add}} {
		if len(op.values) > maxHeaderChanges {
			errs = append(errs, field.TooMany(path.Child(op.name), len(op.values), maxHeaderChanges))
		}
		for _, name := range sortedKeys(op.values) {
			p := path.Child(op.name).Key(name)
			check(p, name)
			if v := op.values[name]; v == "" || len(v) > maxHeaderValueLen {
				errs = append(errs, field.Invalid(p, v, "must be a value of 1 to 4096 characters"))
			}
		}
	}
	if len(ops.Remove) > maxHeaderChanges {
		errs = append(errs, field.TooMany(path.Child("remove"), len(ops.Remove), maxHeaderChanges))
	}
	for i, name := range ops.Remove {
		check(path.Child("remove").Index(i), name)
	}
	return errs
}

// ParseRewrite decodes spec.service.rewrite and checks that an HTTPRoute can carry it: uri an
// absolute path of at most 1024 characters, authority a lowercase DNS name, type
// ReplaceFullPath or ReplacePrefixMatch. A nil raw returns nil.
func ParseRewrite(raw *apiextensionsv1.JSON, path *field.Path) (*HTTPRewrite, field.ErrorList) {
	if raw == nil {
		return nil, nil
	}
	var r HTTPRewrite
	if err := decodeStrict(raw.Raw, &r); err != nil {
		return nil, field.ErrorList{field.Invalid(path, string(raw.Raw),
			fmt.Sprintf("rewrite supports uri, authority and type: %v", err))}
	}
	var errs field.ErrorList
	if r.URI == "" && r.Authority == "" {
		errs = append(errs, field.Required(path, "uri or authority"))
	}
	if r.URI != "" && (!strings.HasPrefix(r.URI, "/") || len(r.URI) > maxRewritePathLen) {
		errs = append(errs, field.Invalid(path.Child("uri"), r.URI, "must be an absolute path (starting with /) of at most 1024 characters"))
	}
	if r.Authority != "" && (len(r.Authority) > maxRewriteHostname || !preciseHostname.MatchString(r.Authority)) {
		errs = append(errs, field.Invalid(path.Child("authority"), r.Authority, "must be a lowercase DNS name without port or wildcard"))
	}
	if r.Type != "" && r.Type != RewriteFullPath && r.Type != RewritePrefixMatch {
		errs = append(errs, field.NotSupported(path.Child("type"), r.Type, []string{RewriteFullPath, RewritePrefixMatch}))
	}
	return &r, errs
}

// validateGatewayDuration checks a timeout that becomes an HTTPRoute timeout (GEP-2257).
func validateGatewayDuration(s string, path *field.Path) field.ErrorList {
	if s == "" || gatewayDuration.MatchString(s) {
		return nil
	}
	return field.ErrorList{field.Invalid(path, s, "must be a Gateway API duration: up to four parts of 1-5 digits and h, m, s or ms, e.g. 30s or 1m30s")}
}

func decodeStrict(raw []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
