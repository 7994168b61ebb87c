//go:build e2e

package evidence

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
)

// repoRoot is the gitcanary repository, seen from this package.
const repoRoot = "../.."

// controllerBin is the gitcanary binary built for this test run, in the git-ignored cache.
var controllerBin, _ = filepath.Abs(filepath.Join(repoRoot, ".cache", "e2e", "gitcanary-evidence"))

func TestMain(m *testing.M) {
	if err := walkthrough.BuildController(repoRoot, controllerBin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	env.Main(m, env.Options{})
}
