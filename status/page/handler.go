package page

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gitcanary/gitcanary/status/ledger"
)

//go:embed templates/*.html
var templateFS embed.FS

var templates = template.Must(template.New("").ParseFS(templateFS, "templates/*.html"))

// Options tune the page. The zero value is usable.
type Options struct {
	// Refresh is how often the page reloads itself (default 10s).
	Refresh time.Duration
	// History bounds the commits read per canary for its timeline (default 500).
	History int
	// Title heads every page (default "gitcanary status").
	Title string
	// Now gives the time for ages (default time.Now).
	Now func() time.Time
}

// Handler serves the status page over a Source.
type Handler struct {
	src  Source
	opts Options
}

var _ http.Handler = (*Handler)(nil)

// New returns the page's handler. Mount it at any prefix with http.StripPrefix: its links are
// relative. It answers "/" (the index) and "canary/<namespace>/<name>".
func New(src Source, opts Options) *Handler {
	if opts.Refresh <= 0 {
		opts.Refresh = 10 * time.Second
	}
	if opts.History <= 0 {
		opts.History = 500
	}
	if opts.Title == "" {
		opts.Title = "gitcanary status"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Handler{src: src, opts: opts}
}

// layout is what every page gets besides its own data.
type layout struct {
	Title   string
	Refresh int
	Base    string // relative path back to the index
	Commit  string
	Error   string
	Body    any
}

// ServeHTTP implements http.Handler: GET and HEAD only.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the status page is read-only", http.StatusMethodNotAllowed)
		return
	}
	path := strings.Trim(r.URL.Path, "/")
	switch parts := strings.Split(path, "/"); {
	case path == "":
		h.index(w, r)
	case len(parts) == 3 && parts[0] == "canary" && parts[1] != "" && parts[2] != "":
		h.canary(w, r, parts[1], parts[2])
	default:
		http.NotFound(w, r)
	}
}

func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	l := layout{Title: h.opts.Title, Refresh: int(h.opts.Refresh.Seconds()), Base: "./"}
	snap, err := h.src.Snapshot(r.Context())
	if err != nil {
		h.fail(w, l, fmt.Errorf("read the status branch: %w", err))
		return
	}
	sts, err := snap.Statuses()
	if err != nil {
		h.fail(w, l, err)
		return
	}
	now := h.opts.Now()
	rows := make([]canaryRow, 0, len(sts))
	for _, s := range sts {
		rows = append(rows, rowOf(s, now))
	}
	l.Commit, l.Body = snap.Commit(), rows
	h.render(w, "index.html", l, http.StatusOK)
}

func (h *Handler) canary(w http.ResponseWriter, r *http.Request, namespace, name string) {
	key := namespace + "/" + name
	l := layout{Title: key + " · " + h.opts.Title, Refresh: int(h.opts.Refresh.Seconds()), Base: "../../"}
	snap, err := h.src.Snapshot(r.Context())
	if err != nil {
		h.fail(w, l, fmt.Errorf("read the status branch: %w", err))
		return
	}
	v, err := h.view(snap, key)
	if errors.Is(err, errNoCanary) {
		l.Error = key + " is not recorded on the status branch"
		h.render(w, "error.html", l, http.StatusNotFound)
		return
	}
	if err != nil {
		h.fail(w, l, err)
		return
	}
	l.Commit, l.Body = snap.Commit(), v
	h.render(w, "canary.html", l, http.StatusOK)
}

var errNoCanary = errors.New("canary not recorded")

// view gathers one canary's page from the branch.
func (h *Handler) view(snap *ledger.Snapshot, key string) (*canaryView, error) {
	sts, err := snap.Statuses()
	if err != nil {
		return nil, err
	}
	var st *ledger.Status
	for i := range sts {
		if sts[i].ID() == key {
			st = &sts[i]
		}
	}
	if st == nil {
		return nil, errNoCanary
	}
	points, err := snap.Timeline(key, h.opts.History)
	if err != nil {
		return nil, err
	}
	gates, _ := snap.Gates(50) // invalid gate files are the gatekeeper's to report
	marks, revisions := revisionMarks(points)
	checks := checksOf(*st)
	row := rowOf(*st, h.opts.Now())
	return &canaryView{
		Status: *st, Source: row.Source, Age: row.Age, Checks: checks, Failed: firstFailed(checks),
		Weight: weightChart(points, marks), Metrics: metricCharts(points, marks), Events: newestFirst(st.Events),
		Gates: gatesOf(gates, key), Waiting: waitingAt(*st), Revisions: revisions,
	}, nil
}

func (h *Handler) fail(w http.ResponseWriter, l layout, err error) {
	l.Error = err.Error()
	h.render(w, "error.html", l, http.StatusBadGateway)
}

// render executes a template into a buffer first, so a template error never sends half a page.
func (h *Handler) render(w http.ResponseWriter, name string, l layout, code int) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, l); err != nil {
		http.Error(w, "render "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(b.Bytes())
}
