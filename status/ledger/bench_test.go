package ledger

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// benchCanaries is the size of the benchmark ledger.
const benchCanaries = 1000

// BenchmarkLedgerCommitPush measures one flush (fetch the head, rebuild the files of the batch and
// STATUS.md over 1,000 canaries, commit, push) on a branch that already records 1,000 canaries,
// for a batch of 1 transition and of 100 transitions of different canaries.
func BenchmarkLedgerCommitPush(b *testing.B) {
	srv := newServer(b)
	seed := newLedger(b, srv, Options{MaxBatch: benchCanaries})
	for i := range benchCanaries {
		require.NoError(b, seed.Record(transition("bench", fmt.Sprintf("app-%04d", i), "Succeeded", 0, "promoted")))
	}
	require.NoError(b, seed.Flush(testContext(b)))

	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			l := newLedger(b, srv, Options{MaxBatch: batch})
			n := 0
			b.ResetTimer()
			for range b.N {
				for range batch {
					n++
					tr := transition("bench", fmt.Sprintf("app-%04d", n%benchCanaries), "Progressing", n%50, fmt.Sprintf("tick %d", n))
					if err := l.Record(tr); err != nil {
						b.Fatal(err)
					}
				}
				if err := l.Flush(testContext(b)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
