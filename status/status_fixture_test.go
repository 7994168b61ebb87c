package status

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/api/v1beta1/canarytest"
	"github.com/stretchr/testify/require"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
)

// fakeAPI is an in-process API server for flagger.app/v1beta1 Canaries: GET, PUT of the status
// subresource and JSON merge PATCH, with resourceVersion checks like the real one.
type fakeAPI struct {
	mu      sync.Mutex
	objs    map[string]*v1beta1.Canary
	rv      int
	writes  []string
	patches []string
	// conflicts is how many of the next writes race with a concurrent writer: the stored
	// object changes (a label is added) and the write gets 409 Conflict.
	conflicts int
	// fail makes every request answer this status.
	fail int
	// reads counts the GETs; frozen, when set, is what GetByKey serves: an informer's cache
	// that lags behind.
	reads  int
	frozen map[string]*v1beta1.Canary
	// thawOnConflict makes the cache catch up when a write conflicts, as the informer does
	// while the writer backs off.
	thawOnConflict bool
}

// fastRetries shortens client.CacheBackoff for a test whose writes keep conflicting.
func fastRetries(t *testing.T) {
	saved := client.CacheBackoff
	client.CacheBackoff = wait.Backoff{Steps: 3, Duration: time.Millisecond, Factor: 1}
	t.Cleanup(func() { client.CacheBackoff = saved })
}

// GetByKey makes the fake API its own informer's store: it serves the stored Canaries at once,
// or after freeze what they were then.
func (f *fakeAPI) GetByKey(key string) (any, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	objs := f.objs
	if f.frozen != nil {
		objs = f.frozen
	}
	c, ok := objs[key]
	if !ok {
		return nil, false, nil
	}
	return c.DeepCopy(), true, nil
}

// freeze makes GetByKey serve the Canaries as they are now, as an informer that lags.
func (f *fakeAPI) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frozen = map[string]*v1beta1.Canary{}
	for k, c := range f.objs {
		f.frozen[k] = c.DeepCopy()
	}
}

// thaw makes GetByKey catch up.
func (f *fakeAPI) thaw() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frozen = nil
}

var canaryGR = schema.GroupResource{Group: v1beta1.GroupName, Resource: "canaries"}

func newFakeAPI(t *testing.T, canaries ...*v1beta1.Canary) (*fakeAPI, *client.Client) {
	t.Helper()
	f := &fakeAPI{objs: map[string]*v1beta1.Canary{}}
	for _, c := range canaries {
		c = c.DeepCopy()
		f.rv++
		c.ResourceVersion = strconv.Itoa(f.rv)
		f.objs[c.Namespace+"/"+c.Name] = c
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cl, err := client.New(&rest.Config{Host: srv.URL})
	require.NoError(t, err)
	return f, cl
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// /apis/flagger.app/v1beta1/namespaces/<ns>/canaries/<name>[/status]
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/apis/flagger.app/v1beta1/"), "/")
	if len(parts) < 4 || parts[0] != "namespaces" || parts[2] != "canaries" {
		writeStatus(w, apierrors.NewNotFound(canaryGR, r.URL.Path))
		return
	}
	if f.fail != 0 {
		writeStatus(w, apierrors.NewGenericServerResponse(f.fail, r.Method, canaryGR, parts[3], "injected", 0, false))
		return
	}
	key := parts[1] + "/" + parts[3]
	cur, ok := f.objs[key]
	if !ok {
		writeStatus(w, apierrors.NewNotFound(canaryGR, parts[3]))
		return
	}
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.Method == http.MethodGet:
		f.reads++
		writeJSON(w, cur)
	case r.Method == http.MethodPut && len(parts) == 5 && parts[4] == "status":
		f.writes = append(f.writes, "update status")
		var in v1beta1.Canary
		_ = json.Unmarshal(body, &in)
		if f.conflict(cur, in.ResourceVersion, w) {
			return
		}
		cur.Status = in.Status
		f.bump(cur)
		writeJSON(w, cur)
	case r.Method == http.MethodPatch && len(parts) == 4:
		f.writes = append(f.writes, "patch")
		f.patches = append(f.patches, string(body))
		var guard struct {
			Metadata struct {
				ResourceVersion string `json:"resourceVersion"`
			} `json:"metadata"`
		}
		_ = json.Unmarshal(body, &guard)
		if f.conflict(cur, guard.Metadata.ResourceVersion, w) {
			return
		}
		orig, _ := json.Marshal(cur)
		patched, err := jsonpatch.MergePatch(orig, body)
		if err != nil {
			writeStatus(w, apierrors.NewBadRequest(err.Error()))
			return
		}
		var next v1beta1.Canary
		_ = json.Unmarshal(patched, &next)
		next.Status = cur.Status // the main resource ignores status
		f.bump(&next)
		f.objs[key] = &next
		writeJSON(w, &next)
	default:
		writeStatus(w, apierrors.NewMethodNotSupported(canaryGR, r.Method))
	}
}

// conflict answers 409 for an injected race or a stale resourceVersion.
func (f *fakeAPI) conflict(cur *v1beta1.Canary, rv string, w http.ResponseWriter) bool {
	if f.conflicts > 0 {
		f.conflicts--
		if cur.Labels == nil {
			cur.Labels = map[string]string{}
		}
		cur.Labels["concurrent-writer"] = strconv.Itoa(f.rv)
		f.bump(cur)
	}
	if rv != "" && rv != cur.ResourceVersion {
		if f.thawOnConflict {
			f.frozen = nil
		}
		writeStatus(w, apierrors.NewConflict(canaryGR, cur.Name, errStale))
		return true
	}
	return false
}

func (f *fakeAPI) bump(c *v1beta1.Canary) {
	f.rv++
	c.ResourceVersion = strconv.Itoa(f.rv)
}

func (f *fakeAPI) get(t *testing.T, namespace, name string) *v1beta1.Canary {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.objs[namespace+"/"+name]
	require.True(t, ok, "no Canary %s/%s", namespace, name)
	return c.DeepCopy()
}

func (f *fakeAPI) recordedWrites() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.writes...)
}

type staleError struct{}

func (staleError) Error() string {
	return "the object has been modified; please apply your changes to the latest version and try again"
}

var errStale = staleError{}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeStatus(w http.ResponseWriter, err *apierrors.StatusError) {
	st := err.Status()
	st.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(int(st.Code))
	_ = json.NewEncoder(w).Encode(st)
}

type canaryOpt = canarytest.Option

func newCanary(opts ...canaryOpt) *v1beta1.Canary { return canarytest.New(opts...) }
