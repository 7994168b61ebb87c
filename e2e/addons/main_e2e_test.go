//go:build e2e

package addons

import (
	"testing"

	"github.com/gitcanary/gitcanary/e2e/env"
)

func TestMain(m *testing.M) {
	env.Main(m, env.Options{})
}
