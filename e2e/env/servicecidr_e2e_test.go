//go:build e2e

package env_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/e2e/env"
)

// Given the environment's Service range, a ClusterIP past the first 256 addresses is accepted:
// the range is wide enough for a thousand canaries (three ClusterIPs each).
func TestServiceRangeHoldsAThousandCanaries(t *testing.T) {
	e := env.Get(t)
	ns := e.Namespace(t)
	for _, ip := range []string{"10.0.1.10", "10.0.255.254"} {
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "wide-"},
			Spec: corev1.ServiceSpec{
				ClusterIP: ip,
				Ports:     []corev1.ServicePort{{Name: "http", Port: 80}},
			},
		}
		got, err := e.Client().CoreV1().Services(ns).Create(context.Background(), svc, metav1.CreateOptions{})
		require.NoError(t, err, "ClusterIP %s", ip)
		require.Equal(t, ip, got.Spec.ClusterIP)
	}
}
