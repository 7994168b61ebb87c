//go:build e2e

package env_test

import (
	"os"
	"testing"

	"github.com/gitcanary/gitcanary/e2e/env"
)

func TestMain(m *testing.M) {
	if pidFile := os.Getenv(killChildEnv); pidFile != "" {
		os.Exit(runKillChild(pidFile))
	}
	env.Main(m, env.Options{})
}
