//go:build e2e

package scenarios

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gitcanary/gitcanary/e2e/env"
)

// controllerBin is the gitcanary binary built for this test run, in the git-ignored cache.
var controllerBin, _ = filepath.Abs("../../.cache/e2e/gitcanary")

func TestMain(m *testing.M) {
	build := exec.Command("go", "build", "-o", controllerBin, "github.com/gitcanary/gitcanary/cmd/gitcanary")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build gitcanary:", err)
		os.Exit(1)
	}
	env.Main(m, env.Options{})
}
