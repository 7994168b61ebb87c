package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// logLine is one line of the controller's JSON log, as far as the benchmarks read it.
type logLine struct {
	TS       string `json:"ts"`
	Logger   string `json:"logger"`
	Msg      string `json:"msg"`
	Canary   string `json:"canary"`
	Overlay  string `json:"overlay"`
	Revision string `json:"revision"`
	// Transitions is the size of a ledger commit ("status committed").
	Transitions int `json:"transitions"`
	at          time.Time
}

// zapTime is the controller's time format (zapcore.ISO8601TimeEncoder).
const zapTime = "2006-01-02T15:04:05.000Z0700"

// controllerLog holds the lines of a controller log that the benchmarks use: the canaries'
// events, the overlays applied and the ledger's commits.
type controllerLog struct {
	events  map[string][]logLine // by canary namespace/name, in order
	applied []logLine
	commits []logLine
}

// readControllerLog reads the controller's log file.
func readControllerLog(path string) (*controllerLog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read controller log: %w", err)
	}
	defer func() { _ = f.Close() }()
	out := &controllerLog{events: map[string][]logLine{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var l logLine
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		if l.at, err = time.Parse(zapTime, l.TS); err != nil {
			continue
		}
		switch {
		case strings.HasSuffix(l.Logger, "events") && l.Canary != "":
			out.events[l.Canary] = append(out.events[l.Canary], l)
		case l.Msg == "overlay applied":
			out.applied = append(out.applied, l)
		case l.Msg == "status committed":
			out.commits = append(out.commits, l)
		}
	}
	return out, sc.Err()
}

// lastApplied returns how many overlays were applied at revision (a short SHA prefix of it
// matches) and when the last of them was.
func (c *controllerLog) lastApplied(revision string) (n int, last time.Time) {
	for _, l := range c.applied {
		if l.Revision != "" && strings.HasPrefix(revision, l.Revision) {
			n++
			if l.at.After(last) {
				last = l.at
			}
		}
	}
	return n, last
}

// eventAt returns when the canary's first event after since with a message starting with
// prefix was logged.
func (c *controllerLog) eventAt(canary, prefix string, since time.Time) (time.Time, bool) {
	for _, l := range c.events[canary] {
		if !l.at.Before(since) && strings.HasPrefix(l.Msg, prefix) {
			return l.at, true
		}
	}
	return time.Time{}, false
}

// tickLags returns, for every canary, how late each analysis tick after since came: the time
// between two consecutive ticks minus interval. A tick is known by the events it logged; events
// less than half an interval apart belong to one tick.
func (c *controllerLog) tickLags(since time.Time, interval time.Duration) []float64 {
	var lags []float64
	for _, events := range c.events {
		var ticks []time.Time
		for _, l := range events {
			if l.at.Before(since) {
				continue
			}
			if n := len(ticks); n == 0 || l.at.Sub(ticks[n-1]) > interval/2 {
				ticks = append(ticks, l.at)
			}
		}
		for i := 1; i < len(ticks); i++ {
			lags = append(lags, (ticks[i].Sub(ticks[i-1]) - interval).Seconds())
		}
	}
	return lags
}

// commitsSince returns the ledger commits logged after since, and the transitions they hold.
func (c *controllerLog) commitsSince(since time.Time) (commits, transitions int) {
	for _, l := range c.commits {
		if !l.at.Before(since) {
			commits++
			transitions += l.Transitions
		}
	}
	return commits, transitions
}

// canaries returns the canaries that logged events, sorted.
func (c *controllerLog) canaries() []string {
	out := make([]string, 0, len(c.events))
	for k := range c.events {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// driftPass is one drift correction pass of the controller's sync loop, as its log shows it.
type driftPass struct {
	started, finished time.Time
	overlays, failed  int
}

// logTail reads the lines a controller log gains, from where the last read stopped, so a step
// can wait for a line without parsing the whole log again.
type logTail struct {
	path   string
	offset int64
	rest   []byte     // a line not yet ended
	open   *driftPass // a pass started, not yet finished
}

// driftPasses reads the lines written since the last call and returns the drift correction
// passes that finished in them; a pass started but not finished is kept for the next call.
func (t *logTail) driftPasses() ([]driftPass, error) {
	f, err := os.Open(t.path)
	if err != nil {
		return nil, fmt.Errorf("read controller log: %w", err)
	}
	defer func() { _ = f.Close() }()
	if _, err := f.Seek(t.offset, io.SeekStart); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	t.offset += int64(len(data))
	data = append(t.rest, data...)
	end := bytes.LastIndexByte(data, '\n') + 1
	t.rest = slices.Clone(data[end:])
	var done []driftPass
	for line := range bytes.Lines(data[:end]) {
		if !bytes.Contains(line, []byte(`"drift correction `)) {
			continue
		}
		var l struct {
			logLine
			Overlays int `json:"overlays"`
			Failed   int `json:"failed"`
		}
		if json.Unmarshal(line, &l) != nil {
			continue
		}
		at, err := time.Parse(zapTime, l.TS)
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(l.Msg, "drift correction started"):
			t.open = &driftPass{started: at, overlays: l.Overlays}
		case l.Msg == "drift correction finished" && t.open != nil:
			p := *t.open
			p.finished, p.failed = at, l.Failed
			done = append(done, p)
			t.open = nil
		}
	}
	return done, nil
}
