package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDescribeSection(t *testing.T) {
	out := "Name: podinfo\nStatus:\n  Analysis:\n    Checks:\n      Name:  request-success-rate\n      Query:  sum(x)\n  Canary Weight:  0\n"
	require.Equal(t, "  Analysis:\n    Checks:\n      Name:  request-success-rate\n      Query:  sum(x)\n", describeSection(out, "  Analysis:"))
	require.Empty(t, describeSection("Name: x\n", "  Analysis:"))
}
