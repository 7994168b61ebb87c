package gitserver

import (
	"bytes"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/stretchr/testify/require"
)

func TestNegotiation(t *testing.T) {
	st := memory.NewStorage()
	blob := st.NewEncodedObject()
	blob.SetType(plumbing.BlobObject)
	_, err := blob.Writer()
	require.NoError(t, err)
	common, err := st.SetEncodedObject(blob)
	require.NoError(t, err)
	unknown := plumbing.NewHash("0123456789abcdef0123456789abcdef01234567")
	have := func(h plumbing.Hash) string { return "have " + h.String() + "\n" }

	tests := []struct {
		name     string
		detailed bool
		lines    []string // "" is a flush
		want     []string
		wantDone bool
		wantErr  string
	}{
		{name: "detailed: a round with nothing common", detailed: true, lines: []string{have(unknown), ""},
			want: []string{"NAK"}},
		{name: "detailed: every common have acknowledged, NAK per round, ACK on done", detailed: true,
			lines: []string{have(unknown), have(common), "", have(common), "done\n"},
			want:  []string{"ACK " + common.String() + " common", "NAK", "ACK " + common.String() + " common", "ACK " + common.String()}, wantDone: true},
		{name: "detailed: done with nothing common", detailed: true, lines: []string{have(unknown), "done\n"},
			want: []string{"NAK"}, wantDone: true},
		{name: "basic: first common acknowledged once, silent after", lines: []string{have(unknown), "", have(common), have(common), "", "done\n"},
			want: []string{"NAK", "ACK " + common.String()}, wantDone: true},
		{name: "basic: go-git's haves, flush and done with nothing common", lines: []string{have(unknown), "", "done\n"},
			want: []string{"NAK", "NAK"}, wantDone: true},
		{name: "end of request before done: no pack", detailed: true, lines: []string{have(common), ""},
			want: []string{"ACK " + common.String() + " common", "NAK"}},
		{name: "bad have", lines: []string{"have nothex\n"}, wantErr: `bad have "nothex"`},
		{name: "unexpected line", lines: []string{"want " + common.String() + "\n"}, wantErr: "unexpected line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in, out bytes.Buffer
			enc := pktline.NewEncoder(&in)
			for _, l := range tt.lines {
				if l == "" {
					require.NoError(t, enc.Flush())
				} else {
					require.NoError(t, enc.EncodeString(l))
				}
			}
			done, err := newNegotiation(pktline.NewEncoder(&out), st, tt.detailed).run(pktline.NewScanner(&in))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantDone, done)
			var got []string
			sc := pktline.NewScanner(&out)
			for sc.Scan() {
				got = append(got, strings.TrimSuffix(string(sc.Bytes()), "\n"))
			}
			require.NoError(t, sc.Err())
			require.Equal(t, tt.want, got)
		})
	}
}
