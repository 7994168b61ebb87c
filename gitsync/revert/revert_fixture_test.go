package revert

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

// deployment is a podinfo Deployment in namespace test; extra is appended to its container.
func deployment(image, extra string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  namespace: test
spec:
  selector:
    matchLabels:
      app: podinfo
  template:
    metadata:
      labels:
        app: podinfo   # the canary's selector label
    spec:
      containers:
        - name: podinfod
          image: ` + image + `
          ports:
            - containerPort: 9898
` + extra
}

// writeTree writes files into a new directory and returns it.
func writeTree(t *testing.T, files Files) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, Edit{Files: files}.WriteTo(dir))
	return dir
}

// rendered renders overlay of files and returns podinfo's template.
func rendered(t *testing.T, files Files, overlay string) *corev1.PodTemplateSpec {
	t.Helper()
	tmpl, err := RenderedTemplate(writeTree(t, files), overlay, "test", "podinfo")
	require.NoError(t, err)
	return tmpl
}

// merged is files with changes applied.
func merged(files, changes Files) Files {
	out := Files{}
	for p, b := range files {
		out[p] = b
	}
	for p, b := range changes {
		out[p] = b
	}
	return out
}

// changedLines returns the lines of after that differ from before, which must have as many.
func changedLines(t *testing.T, before, after []byte) []string {
	t.Helper()
	b, a := strings.Split(string(before), "\n"), strings.Split(string(after), "\n")
	require.Len(t, a, len(b), "line count kept:\n%s", after)
	var out []string
	for i := range b {
		if a[i] != b[i] {
			out = append(out, strings.TrimSpace(a[i]))
		}
	}
	return out
}

func readFile(t *testing.T, dir, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, p))
	require.NoError(t, err)
	return b
}
