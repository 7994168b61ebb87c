package meshsim

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Host is an in-cluster host name split into its parts.
type Host struct {
	// Service is the Service name.
	Service string
	// Namespace is the Service's namespace.
	Namespace string
	// Port is the port of the request, 0 when the host had none.
	Port int
}

// ParseHost parses an in-cluster host name with an optional port: <svc>, <svc>.<ns>,
// <svc>.<ns>.svc or <svc>.<ns>.svc.cluster.local. A bare <svc> is in defaultNamespace.
// IP addresses and other names are errors.
func ParseHost(hostport, defaultNamespace string) (Host, error) {
	name, port, err := splitHostPort(hostport)
	if err != nil {
		return Host{}, err
	}
	if net.ParseIP(name) != nil {
		return Host{}, fmt.Errorf("parse host %q: an IP address is not a service name", hostport)
	}
	labels := strings.Split(strings.TrimSuffix(strings.ToLower(name), "."), ".")
	h := Host{Port: port, Service: labels[0]}
	switch {
	case len(labels) == 1:
		h.Namespace = defaultNamespace
	case len(labels) == 2,
		len(labels) == 3 && labels[2] == "svc",
		len(labels) == 5 && strings.Join(labels[2:], ".") == "svc.cluster.local":
		h.Namespace = labels[1]
	default:
		return Host{}, fmt.Errorf("parse host %q: not an in-cluster service name", hostport)
	}
	for _, l := range []string{h.Service, h.Namespace} {
		if errs := validation.IsDNS1123Label(l); len(errs) > 0 {
			return Host{}, fmt.Errorf("parse host %q: label %q: %s", hostport, l, strings.Join(errs, "; "))
		}
	}
	return h, nil
}

// splitHostPort splits host[:port]; the port is 0 when absent.
func splitHostPort(hostport string) (string, int, error) {
	if hostport == "" {
		return "", 0, fmt.Errorf("parse host: empty host")
	}
	host, portText, err := net.SplitHostPort(hostport)
	if err != nil {
		// No port (or a bare IPv6 address): the whole string is the host.
		return strings.Trim(hostport, "[]"), 0, nil
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("parse host %q: bad port %q", hostport, portText)
	}
	return host, port, nil
}

// isLoopback reports whether host (without port) is a loopback IP or localhost.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
