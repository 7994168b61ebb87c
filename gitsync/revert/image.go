package revert

import "strings"

// imageRef is a container image reference split into its parts.
type imageRef struct {
	name, tag, digest string
}

// parseImage splits "registry/repo[:tag][@digest]"; a port in the registry is not a tag.
func parseImage(s string) imageRef {
	var r imageRef
	if i := strings.Index(s, "@"); i >= 0 {
		s, r.digest = s[:i], s[i+1:]
	}
	if i := strings.LastIndex(s, ":"); i >= 0 && !strings.Contains(s[i:], "/") {
		s, r.tag = s[:i], s[i+1:]
	}
	r.name = s
	return r
}

func (r imageRef) String() string {
	s := r.name
	if r.tag != "" {
		s += ":" + r.tag
	}
	if r.digest != "" {
		s += "@" + r.digest
	}
	return s
}
