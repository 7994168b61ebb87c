package loadtester

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Payload is Flagger's webhook payload.
type Payload struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Phase     string            `json:"phase"`
	Checksum  string            `json:"checksum,omitempty"`
	Metadata  map[string]string `json:"metadata,omitempty"`
}

// Options configures a Server.
type Options struct {
	// NamespaceRegexp allows payload namespaces; nil allows all.
	NamespaceRegexp *regexp.Regexp
	// Timeout bounds every command; default 1h as in Flagger (the harness uses less).
	Timeout time.Duration
	// Env is the environment of commands, as KEY=VALUE; nil means the process's own.
	Env []string
	// Dir is the working directory of commands; "" means the process's own.
	Dir string
	// Logger receives the load tester's log; default discards.
	Logger *slog.Logger
}

// Server is the load tester's HTTP handler.
type Server struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux

	ctx    context.Context
	cancel context.CancelFunc
	tasks  sync.WaitGroup

	mu      sync.Mutex
	gates   map[string]bool
	running map[string]bool // dedup keys of running cmd tasks
	calls   []Call          // the last maxCalls requests, oldest first
}

// Call is one request the load tester answered, kept for tests (Flagger's load tester keeps
// none): the path, the Flagger payload when the body was one, and the status answered.
type Call struct {
	Path    string
	Payload Payload
	Status  int
}

// maxCalls bounds the calls kept, and maxCallPayload the body whose payload a call keeps.
const (
	maxCalls       = 2000
	maxCallPayload = 16 << 10
)

// New returns a Server; call Close to stop its background commands.
func New(opts Options) *Server {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts: opts, log: opts.Logger, mux: http.NewServeMux(), ctx: ctx, cancel: cancel,
		gates: map[string]bool{}, running: map[string]bool{},
	}
	s.mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { text(w, http.StatusOK, "OK") })
	s.mux.HandleFunc("/gate/approve", func(w http.ResponseWriter, _ *http.Request) { text(w, http.StatusOK, "OK") })
	s.mux.HandleFunc("/gate/halt", func(w http.ResponseWriter, _ *http.Request) { text(w, http.StatusForbidden, "Forbidden") })
	s.mux.HandleFunc("/gate/check", s.gateCheck(""))
	s.mux.HandleFunc("/gate/open", s.gateSet("", true))
	s.mux.HandleFunc("/gate/close", s.gateSet("", false))
	s.mux.HandleFunc("/rollback/check", s.gateCheck("rollback."))
	s.mux.HandleFunc("/rollback/open", s.gateSet("rollback.", true))
	s.mux.HandleFunc("/rollback/close", s.gateSet("rollback.", false))
	s.mux.HandleFunc("/", s.task)
	return s
}

// ServeHTTP implements http.Handler. Every request is kept as a Call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload))
	if err != nil {
		text(w, http.StatusBadRequest, "error reading payload: "+err.Error())
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var p Payload
	if len(body) <= maxCallPayload {
		_ = json.Unmarshal(body, &p)
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(rec, r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.calls) == maxCalls {
		s.calls = s.calls[1:]
	}
	s.calls = append(s.calls, Call{Path: r.URL.Path, Payload: p, Status: rec.status})
}

// Calls returns the requests answered so far (the last 2,000), oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// statusRecorder remembers the status written through it.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Close kills running commands and waits for them to end.
func (s *Server) Close() {
	s.cancel()
	s.tasks.Wait()
}

// Running reports how many asynchronous cmd tasks are running.
func (s *Server) Running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.running)
}

func (s *Server) gateCheck(prefix string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := readPayload(w, r)
		if !ok {
			return
		}
		s.mu.Lock()
		open := s.gates[prefix+p.Name+"."+p.Namespace]
		s.mu.Unlock()
		if open {
			text(w, http.StatusOK, "Approved")
			return
		}
		text(w, http.StatusForbidden, "Forbidden")
	}
}

func (s *Server) gateSet(prefix string, open bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := readPayload(w, r)
		if !ok {
			return
		}
		key := prefix + p.Name + "." + p.Namespace
		s.mu.Lock()
		s.gates[key] = open
		s.mu.Unlock()
		s.log.Info("gate set", "gate", key, "open", open)
		if open {
			text(w, http.StatusAccepted, "Gate opened")
			return
		}
		text(w, http.StatusAccepted, "Gate closed")
	}
}

// task serves POST /: the cmd, bash and kubectl task types.
func (s *Server) task(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	p, ok := readPayload(w, r)
	if !ok {
		return
	}
	if len(p.Metadata) == 0 {
		text(w, http.StatusBadRequest, "metadata not found in payload")
		return
	}
	if s.opts.NamespaceRegexp != nil && !s.opts.NamespaceRegexp.MatchString(p.Namespace) {
		text(w, http.StatusForbidden, "Forbidden")
		return
	}
	typ := p.Metadata["type"]
	if typ == "" {
		typ = "cmd"
	}
	cmd := p.Metadata["cmd"]
	if cmd == "" {
		text(w, http.StatusBadRequest, "cmd not found in metadata")
		return
	}
	switch typ {
	case "cmd":
		s.startCmd(p, cmd)
		text(w, http.StatusAccepted, "")
	case "bash":
		s.runBlocking(w, r, p, cmd, "bash", "-c", cmd)
	case "kubectl":
		s.runBlocking(w, r, p, cmd, "kubectl", strings.Fields(cmd)...)
	default:
		text(w, http.StatusBadRequest, fmt.Sprintf("unsupported task type %q", typ))
	}
}

// startCmd runs cmd in the background unless the same command of the same canary runs.
func (s *Server) startCmd(p Payload, cmd string) {
	key := p.Name + "." + p.Namespace + "\x00" + cmd
	s.mu.Lock()
	if s.running[key] {
		s.mu.Unlock()
		s.log.Info("command skipped, it is already running", "canary", p.Name+"."+p.Namespace, "cmd", cmd)
		return
	}
	s.running[key] = true
	s.tasks.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.tasks.Done()
		defer func() {
			s.mu.Lock()
			delete(s.running, key)
			s.mu.Unlock()
		}()
		ctx, cancel := context.WithTimeout(s.ctx, s.opts.Timeout)
		defer cancel()
		s.log.Info("command starting", "canary", p.Name+"."+p.Namespace, "cmd", cmd)
		out, err := s.run(ctx, "sh", "-c", cmd)
		attrs := []any{"canary", p.Name + "." + p.Namespace, "cmd", cmd}
		if p.Metadata["logCmdOutput"] == "true" {
			attrs = append(attrs, "output", string(out))
		}
		if err != nil {
			s.log.Error("command failed", append(attrs, "err", err)...)
			return
		}
		s.log.Info("command finished", attrs...)
	}()
}

// runBlocking runs a command for the duration of the request and answers 200 or 500.
func (s *Server) runBlocking(w http.ResponseWriter, r *http.Request, p Payload, cmd, name string, args ...string) {
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	out, err := s.run(ctx, name, args...)
	if err != nil {
		s.log.Error("command failed", "canary", p.Name+"."+p.Namespace, "cmd", cmd, "err", err)
		text(w, http.StatusInternalServerError, fmt.Sprintf("command %s failed: %s: %s", cmd, out, exitText(err)))
		return
	}
	s.log.Info("command finished", "canary", p.Name+"."+p.Namespace, "cmd", cmd)
	if p.Metadata["returnCmdOutput"] == "true" {
		text(w, http.StatusOK, string(out))
		return
	}
	text(w, http.StatusOK, "")
}

// maxPayload bounds request bodies.
const maxPayload = 1 << 20

func readPayload(w http.ResponseWriter, r *http.Request) (Payload, bool) {
	var p Payload
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload))
	if err == nil {
		err = json.Unmarshal(body, &p)
	}
	if err != nil {
		text(w, http.StatusBadRequest, "error decoding payload: "+err.Error())
		return Payload{}, false
	}
	return p, true
}

func text(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg)
}

// exitText is the error text Flagger's load tester reports: "exit status 1" for a command
// that failed, the whole error otherwise.
func exitText(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.Error()
	}
	return err.Error()
}
