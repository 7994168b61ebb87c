package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDescribeSection(t *testing.T) {
	out := "Name: podinfo\nSpec:\n  Analysis:\n    Interval:  3s\nStatus:\n  Analysis:\n    Checks:\n      Name:  request-success-rate\n      Query:  sum(x)\n  Canary Weight:  0\n"
	require.Equal(t, "  Analysis:\n    Checks:\n      Name:  request-success-rate\n      Query:  sum(x)\n", describeSection(out, "  Analysis:"))
	require.Empty(t, describeSection("Name: x\nSpec:\n  Analysis:\n    Interval:  3s\nStatus:\n  Phase: Failed\n", "  Analysis:"))
}
