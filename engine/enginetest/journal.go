package enginetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Call is one recorded port call.
type Call struct {
	// Port is the fake's port name, e.g. "Router".
	Port string
	// Method is the called method, e.g. "SetRoutes".
	Method string
	// Args is a short rendering of the arguments, e.g. "95/5".
	Args string
}

func (c Call) String() string {
	if c.Args == "" {
		return c.Port + "." + c.Method
	}
	return c.Port + "." + c.Method + " " + c.Args
}

// Journal is the ordered list of calls made to a set of fakes.
type Journal struct {
	mu    sync.Mutex
	calls []Call
}

func (j *Journal) add(port, method, format string, args ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.calls = append(j.calls, Call{Port: port, Method: method, Args: fmt.Sprintf(format, args...)})
}

// Calls returns the calls recorded so far.
func (j *Journal) Calls() []Call {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.calls)
}

// Len returns the number of calls recorded so far.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.calls)
}

// Since returns the calls recorded after the first n.
func (j *Journal) Since(n int) []Call {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.calls[min(n, len(j.calls)):])
}

// Lines renders calls as strings, keeping only those of the given ports (all when none).
func Lines(calls []Call, ports ...string) []string {
	var out []string
	for _, c := range calls {
		if len(ports) == 0 || slices.Contains(ports, c.Port) {
			out = append(out, c.String())
		}
	}
	return out
}

// Reset forgets the calls recorded so far.
func (j *Journal) Reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.calls = nil
}

// failures holds the errors a fake returns, by method name.
type failures struct {
	mu   sync.Mutex
	errs map[string]error
}

// Fail makes the named method return err from now on; a nil err makes it succeed again.
func (f *failures) Fail(method string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.errs == nil {
		f.errs = map[string]error{}
	}
	if err == nil {
		delete(f.errs, method)
		return
	}
	f.errs[method] = err
}

func (f *failures) err(method string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.errs[method]
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

func join(parts ...string) string {
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), " ")
}
