package gitsource

import (
	"net/url"
	"regexp"
	"strings"
)

const redacted = "<redacted>"

// userinfoPattern matches the userinfo of URLs inside free text, such as error messages.
var userinfoPattern = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)([^/@\s]+)@`)

// RedactURL returns rawURL without secrets: the password of the userinfo, and for HTTP(S) the
// whole userinfo (a token is often given as the user name). SSH user names stay.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return redactText(rawURL)
	}
	switch {
	case u.Scheme == "http" || u.Scheme == "https":
		u.User = url.User(redacted)
	default:
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), redacted)
		}
	}
	s := u.String()
	return strings.ReplaceAll(s, url.PathEscape(redacted), redacted)
}

// redactText removes URL userinfo that contains a password, or belongs to an HTTP(S) URL, from
// free text.
func redactText(s string) string {
	return userinfoPattern.ReplaceAllStringFunc(s, func(m string) string {
		parts := userinfoPattern.FindStringSubmatch(m)
		scheme, info := parts[1], parts[2]
		if strings.HasPrefix(scheme, "http") || strings.Contains(info, ":") {
			return scheme + redacted + "@"
		}
		return m
	})
}

// scrub removes URL credentials and every listed secret value from s.
func scrub(s string, secrets []string) string {
	s = redactText(s)
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, redacted)
		}
	}
	return s
}
