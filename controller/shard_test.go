package controller

import (
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/labels"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		value, selector, lease string
		runs, skips            []labels.Set
		wantErr                string
	}{{
		value: "", lease: "gitcanary-leader-election",
		runs: []labels.Set{nil, {ShardLabel: "shard1"}},
	}, {
		value: "shard1", selector: "sharding.fluxcd.io/key=shard1", lease: "gitcanary-leader-election-shard1",
		runs:  []labels.Set{{ShardLabel: "shard1", "app": "podinfo"}},
		skips: []labels.Set{nil, {ShardLabel: "shard2"}},
	}, {
		value: "sharding.fluxcd.io/key=shard2", selector: "sharding.fluxcd.io/key=shard2", lease: "gitcanary-leader-election-shard2",
		runs: []labels.Set{{ShardLabel: "shard2"}}, skips: []labels.Set{{ShardLabel: "shard1"}},
	}, {
		value: "!sharding.fluxcd.io/key", selector: "!sharding.fluxcd.io/key", lease: "gitcanary-leader-election-unsharded",
		runs: []labels.Set{nil, {"app": "podinfo"}}, skips: []labels.Set{{ShardLabel: "shard1"}},
	}, {
		value: "sharding.fluxcd.io/key in (a,b)", selector: "sharding.fluxcd.io/key in (a,b)", lease: "gitcanary-leader-election-shard-",
		runs: []labels.Set{{ShardLabel: "a"}, {ShardLabel: "b"}}, skips: []labels.Set{{ShardLabel: "c"}},
	}, {
		value: "Team_A", selector: "sharding.fluxcd.io/key=Team_A", lease: "gitcanary-leader-election-shard-",
		runs: []labels.Set{{ShardLabel: "Team_A"}},
	}, {
		value: "key in (a", wantErr: `shard selector "key in (a"`,
	}, {
		value: "-shard", wantErr: `shard selector "-shard"`,
	}}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			s, err := parseShard(tt.value)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				_, err = ShardSelector(tt.value)
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.selector, s.String())
			require.Contains(t, s.leaseName(), tt.lease, "lease names are DNS labels")
			require.LessOrEqual(t, len(s.leaseName()), 63)
			for _, l := range tt.runs {
				require.True(t, s.selector == nil || s.selector.Matches(l), "runs %v", l)
			}
			for _, l := range tt.skips {
				require.False(t, s.selector.Matches(l), "skips %v", l)
			}
		})
	}
}
