package client

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func configMap(rv, data string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "cm", Namespace: "test", ResourceVersion: rv},
		Data:       map[string]string{"v": data},
	}
}

// write is one recorded write: the resourceVersion it replaced and the answer.
type write struct {
	base string
	obj  *corev1.ConfigMap
}

func TestCachedGet(t *testing.T) {
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		writes  []write
		cached  *corev1.ConfigMap // nil: the cache holds nothing
		later   time.Duration     // time between the last write and the read
		want    string            // the data of the object read; "" for NotFound
		wantRec bool              // the write is still recorded after the read
	}{
		{name: "nothing written: the cache", cached: configMap("10", "cache"), want: "cache"},
		{name: "nothing written, nothing cached: NotFound"},
		{name: "created, not cached yet: the write", writes: []write{{"", configMap("11", "created")}}, want: "created", wantRec: true},
		{name: "created, updated, not cached yet: the update", writes: []write{{"", configMap("11", "created")}, {"11", configMap("12", "updated")}}, want: "updated", wantRec: true},
		{name: "created and cached: the cache", writes: []write{{"", configMap("11", "created")}}, cached: configMap("11", "cache"), want: "cache"},
		{name: "updated, cache older: the write", writes: []write{{"10", configMap("12", "written")}}, cached: configMap("10", "cache"), want: "written", wantRec: true},
		{name: "updated, cache one digit shorter: the write", writes: []write{{"9", configMap("10", "written")}}, cached: configMap("9", "cache"), want: "written", wantRec: true},
		{name: "updated, cache caught up: the cache", writes: []write{{"10", configMap("12", "written")}}, cached: configMap("12", "cache"), want: "cache"},
		{name: "updated, cache newer: the cache", writes: []write{{"10", configMap("12", "written")}}, cached: configMap("13", "cache"), want: "cache"},
		{name: "updated twice, cache before both: the last write", writes: []write{{"10", configMap("12", "first")}, {"12", configMap("14", "second")}}, cached: configMap("10", "cache"), want: "second", wantRec: true},
		{name: "updated, then deleted: NotFound", writes: []write{{"10", configMap("12", "written")}}},
		{name: "updated, cache stale past maxCacheLag: the cache", writes: []write{{"10", configMap("12", "written")}}, cached: configMap("10", "cache"), later: maxCacheLag + time.Second, want: "cache"},
		{name: "incomparable versions, cache at the replaced one: the write", writes: []write{{"a", configMap("b", "written")}}, cached: configMap("a", "cache"), want: "written", wantRec: true},
		{name: "incomparable versions, cache before two writes: the last write", writes: []write{{"a", configMap("b", "first")}, {"b", configMap("c", "second")}}, cached: configMap("a", "cache"), want: "second", wantRec: true},
		{name: "incomparable versions, cache elsewhere: the cache", writes: []write{{"a", configMap("b", "written")}}, cached: configMap("z", "cache"), want: "cache"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := start
			c := NewCached(corev1.Resource("configmaps"), func(namespace, name string) (*corev1.ConfigMap, error) {
				if tt.cached == nil || namespace != "test" || name != "cm" {
					return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
				}
				return tt.cached, nil
			})
			c.now = func() time.Time { return now }
			for _, w := range tt.writes {
				c.Wrote(w.base, w.obj)
			}
			now = now.Add(tt.later)

			got, err := c.Get("test", "cm")
			if tt.want == "" {
				require.True(t, apierrors.IsNotFound(err), "want NotFound, got %v", err)
			} else {
				require.NoError(t, err)
				require.Equal(t, tt.want, got.Data["v"])
			}
			_, recorded := c.written["test/cm"]
			require.Equal(t, tt.wantRec, recorded, "record kept")
		})
	}
}

func TestCachedGetError(t *testing.T) {
	boom := errors.New("indexer failed")
	c := NewCached(corev1.Resource("configmaps"), func(string, string) (*corev1.ConfigMap, error) { return nil, boom })
	c.Wrote("", configMap("11", "created"))
	_, err := c.Get("test", "cm")
	require.ErrorIs(t, err, boom, "a failing cache is not hidden by a write")
}

func TestCachedPrune(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	c := NewCached(corev1.Resource("configmaps"), func(string, string) (*corev1.ConfigMap, error) { return nil, nil })
	c.now = func() time.Time { return now }
	c.Wrote("", configMap("11", "old"))
	now = now.Add(maxCacheLag + time.Second)
	other := configMap("12", "new")
	other.Name = "other"
	c.Wrote("", other)
	require.Len(t, c.written, 1, "the record older than maxCacheLag was pruned")
	require.Contains(t, c.written, "test/other")
}
