package env

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// ephemeralRangeFile holds the kernel's range of local ports for outgoing connections.
const ephemeralRangeFile = "/proc/sys/net/ipv4/ip_local_port_range"

// lowestPort is the lowest port FreePorts picks below the ephemeral range.
const lowestPort = 10000

// FreePorts returns n distinct free TCP ports on 127.0.0.1, picked at random below the kernel's
// ephemeral range when it leaves room (else chosen by the kernel). A component binds its port
// seconds after it was chosen (kube-controller-manager only once kube-apiserver is ready), and
// a port of the ephemeral range can be taken meanwhile as the local port of any outgoing
// connection — CI saw kube-controller-manager fail with "address already in use". The
// listeners are held until all ports are chosen, so the n ports differ; another process may
// still bind one first (a concurrent environment picking the same port), which makes that
// component fail fast and the start fail loudly.
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			_ = l.Close()
		}
	}()
	hi := ephemeralStart()
	for range n {
		l, err := listenBelow(hi)
		if err != nil {
			return nil, fmt.Errorf("find a free loopback port: %w", err)
		}
		lns = append(lns, l)
		addr, ok := l.Addr().(*net.TCPAddr)
		if !ok {
			return nil, fmt.Errorf("find a free loopback port: unexpected address %v", l.Addr())
		}
		ports = append(ports, addr.Port)
	}
	return ports, nil
}

// listenBelow listens on a random free port in [lowestPort, hi), or on one the kernel chooses
// when that range is empty or every try was taken.
func listenBelow(hi int) (net.Listener, error) {
	for range min(max(hi-lowestPort, 0), 100) {
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", lowestPort+rand.IntN(hi-lowestPort))); err == nil {
			return l, nil
		}
	}
	return net.Listen("tcp", "127.0.0.1:0")
}

// ephemeralStart returns the first port of the ephemeral range, 0 when it cannot be read.
func ephemeralStart() int {
	b, err := os.ReadFile(ephemeralRangeFile)
	if err != nil {
		return 0
	}
	lo, err := strconv.Atoi(strings.Fields(string(b) + " x")[0])
	if err != nil {
		return 0
	}
	return lo
}
