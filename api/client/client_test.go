package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// request is what the fake API server saw.
type request struct {
	method, path, contentType, body string
}

func newServer(t *testing.T, reply any) (*Client, *[]request) {
	t.Helper()
	var seen []request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, request{r.Method, r.URL.Path, r.Header.Get("Content-Type"), string(body)})
		w.Header().Set("Content-Type", "application/json")
		require.NoError(t, json.NewEncoder(w).Encode(reply))
	}))
	t.Cleanup(srv.Close)
	c, err := New(&rest.Config{Host: srv.URL})
	require.NoError(t, err)
	return c, &seen
}

func TestCanaryRequests(t *testing.T) {
	canary := &v1beta1.Canary{
		TypeMeta:   metav1.TypeMeta{APIVersion: "flagger.app/v1beta1", Kind: "Canary"},
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: "test"},
		Spec:       v1beta1.CanarySpec{TargetRef: v1beta1.LocalObjectReference{Name: "podinfo"}},
		Status:     v1beta1.CanaryStatus{Phase: v1beta1.CanaryPhaseProgressing, CanaryWeight: 5},
	}
	ctx := context.Background()

	tests := []struct {
		name     string
		call     func(c *Client) (*v1beta1.Canary, error)
		wantReq  request
		wantBody bool
	}{
		{
			name: "get",
			call: func(c *Client) (*v1beta1.Canary, error) {
				return c.Canaries("test").Get(ctx, "podinfo", metav1.GetOptions{})
			},
			wantReq: request{method: http.MethodGet, path: "/apis/flagger.app/v1beta1/namespaces/test/canaries/podinfo"},
		},
		{
			name: "update status",
			call: func(c *Client) (*v1beta1.Canary, error) {
				return c.Canaries("test").UpdateStatus(ctx, canary, metav1.UpdateOptions{})
			},
			wantReq:  request{method: http.MethodPut, path: "/apis/flagger.app/v1beta1/namespaces/test/canaries/podinfo/status", contentType: "application/json"},
			wantBody: true,
		},
		{
			name: "merge patch",
			call: func(c *Client) (*v1beta1.Canary, error) {
				return c.Canaries("test").Patch(ctx, "podinfo", types.MergePatchType, []byte(`{"metadata":{"finalizers":[]}}`), metav1.PatchOptions{})
			},
			wantReq:  request{method: http.MethodPatch, path: "/apis/flagger.app/v1beta1/namespaces/test/canaries/podinfo", contentType: "application/merge-patch+json"},
			wantBody: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, seen := newServer(t, canary)
			got, err := tt.call(c)
			require.NoError(t, err)
			require.Equal(t, canary.Status, got.Status)
			require.Len(t, *seen, 1)
			req := (*seen)[0]
			require.Equal(t, tt.wantReq.method, req.method)
			require.Equal(t, tt.wantReq.path, req.path)
			if tt.wantBody {
				require.Equal(t, tt.wantReq.contentType, req.contentType)
				require.NotEmpty(t, req.body)
			}
		})
	}
}

func TestListAllNamespaces(t *testing.T) {
	list := &v1beta1.MetricTemplateList{Items: []v1beta1.MetricTemplate{
		{ObjectMeta: metav1.ObjectMeta{Name: "error-rate", Namespace: "test"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "latency", Namespace: "prod"}},
	}}
	c, seen := newServer(t, list)
	got, err := c.MetricTemplates("").List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	require.Len(t, got.Items, 2)
	require.Equal(t, "/apis/flagger.app/v1beta1/metrictemplates", (*seen)[0].path)
}

func TestStoreGet(t *testing.T) {
	store := cache.NewStore(cache.MetaNamespaceKeyFunc)
	require.NoError(t, store.Add(&v1beta1.MetricTemplate{ObjectMeta: metav1.ObjectMeta{Name: "latency", Namespace: "test"}}))
	require.NoError(t, store.Add(&v1beta1.AlertProvider{ObjectMeta: metav1.ObjectMeta{Name: "slack", Namespace: "test"}}))

	mt, err := StoreGet[*v1beta1.MetricTemplate](store, "metrictemplates", "test", "latency")
	require.NoError(t, err)
	require.Equal(t, "latency", mt.Name)

	_, err = StoreGet[*v1beta1.MetricTemplate](store, "metrictemplates", "prod", "latency")
	require.True(t, apierrors.IsNotFound(err), "missing: %v", err)

	_, err = StoreGet[*v1beta1.MetricTemplate](store, "metrictemplates", "test", "slack")
	require.True(t, apierrors.IsNotFound(err), "another kind under the key is not a MetricTemplate: %v", err)
}

// ListWatchSelected lists and watches with the label selector.
func TestListWatchSelected(t *testing.T) {
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.Path+"?"+r.URL.Query().Get("labelSelector"))
		w.Header().Set("Content-Type", "application/json")
		require.NoError(t, json.NewEncoder(w).Encode(&v1beta1.CanaryList{TypeMeta: metav1.TypeMeta{Kind: "CanaryList", APIVersion: "flagger.app/v1beta1"}}))
	}))
	t.Cleanup(srv.Close)
	c, err := New(&rest.Config{Host: srv.URL})
	require.NoError(t, err)
	_, err = c.Canaries("test").ListWatchSelected("sharding.fluxcd.io/key=shard1").List(metav1.ListOptions{})
	require.NoError(t, err)
	_, err = c.Canaries("").ListWatch().List(metav1.ListOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"/apis/flagger.app/v1beta1/namespaces/test/canaries?sharding.fluxcd.io/key=shard1",
		"/apis/flagger.app/v1beta1/canaries?"}, queries)
}
