package page

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Chart geometry, in SVG user units.
const (
	chartWidth, chartHeight = 760, 180
	padLeft, padRight       = 48, 12
	padTop, padBottom       = 12, 28
)

// chart is a small time chart: points over time, horizontal threshold lines and vertical
// revision marks. Each point becomes an SVG circle with its attributes, so tests and scripts
// can read the data back from the page.
type chart struct {
	// Label names the chart for screen readers.
	Label string
	// YMin and YMax bound the value axis.
	YMin, YMax float64
	// Unit follows the axis labels ("%").
	Unit string
	// Points in time order.
	Points []chartPoint
	// Step joins the points with a step line (a weight holds until the next change).
	Step bool
	// Lines are horizontal thresholds.
	Lines []chartLine
	// Marks are vertical lines where a new revision starts.
	Marks []chartMark
}

type chartPoint struct {
	T     time.Time
	V     float64
	Class string            // CSS class: the phase or verdict
	Title string            // tooltip
	Data  map[string]string // data-* attributes
}

type chartLine struct {
	V     float64
	Label string
}

type chartMark struct {
	T     time.Time
	Label string
}

// render draws the chart as inline SVG.
func (c chart) render() template.HTML {
	if len(c.Points) == 0 {
		return template.HTML(`<p class="empty">No points recorded yet.</p>`)
	}
	t0, t1 := c.Points[0].T, c.Points[len(c.Points)-1].T
	for _, m := range c.Marks {
		t0, t1 = minTime(t0, m.T), maxTime(t1, m.T)
	}
	lo, hi := c.YMin, c.YMax
	if hi <= lo {
		hi = lo + 1
	}
	w, h := float64(chartWidth-padLeft-padRight), float64(chartHeight-padTop-padBottom)
	x := func(t time.Time) float64 {
		if !t1.After(t0) {
			return padLeft + w/2
		}
		return padLeft + w*float64(t.Sub(t0))/float64(t1.Sub(t0))
	}
	y := func(v float64) float64 { return padTop + h*(1-(clamp(v, lo, hi)-lo)/(hi-lo)) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s">`, chartWidth, chartHeight, esc(c.Label))
	for _, v := range []float64{lo, (lo + hi) / 2, hi} {
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, padLeft, chartWidth-padRight, y(v), y(v))
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%s%s</text>`, padLeft-4, y(v)+4, esc(axisNum(v)), esc(c.Unit))
	}
	labelEnd := math.Inf(-1)
	for _, m := range c.Marks {
		mx := x(m.T)
		fmt.Fprintf(&b, `<line class="revision" x1="%.1f" x2="%.1f" y1="%d" y2="%d"><title>%s</title></line>`,
			mx, mx, padTop, chartHeight-padBottom, esc(m.Label))
		if mx < labelEnd { // the previous label would be overwritten: the line's title keeps it
			continue
		}
		fmt.Fprintf(&b, `<text class="revision" x="%.1f" y="%d">%s</text>`, mx+3, padTop+10, esc(m.Label))
		labelEnd = mx + 3 + 6*float64(len(m.Label))
	}
	for _, l := range c.Lines {
		fmt.Fprintf(&b, `<line class="threshold" x1="%d" x2="%d" y1="%.1f" y2="%.1f"><title>%s</title></line>`,
			padLeft, chartWidth-padRight, y(l.V), y(l.V), esc(l.Label))
	}
	b.WriteString(c.path(x, y))
	for _, p := range c.Points {
		fmt.Fprintf(&b, `<circle class="point %s" cx="%.1f" cy="%.1f" r="3.5"`, esc(p.Class), x(p.T), y(p.V))
		keys := make([]string, 0, len(p.Data))
		for k := range p.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, ` data-%s="%s"`, esc(k), esc(p.Data[k]))
		}
		fmt.Fprintf(&b, `><title>%s</title></circle>`, esc(p.Title))
	}
	fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d">%s</text>`, padLeft, chartHeight-8, esc(t0.UTC().Format("15:04:05")))
	fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d" text-anchor="end">%s</text>`, chartWidth-padRight, chartHeight-8, esc(t1.UTC().Format("15:04:05")))
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text in it is escaped above
}

// path joins the points, with steps when the chart says so.
func (c chart) path(x func(time.Time) float64, y func(float64) float64) string {
	var d strings.Builder
	for i, p := range c.Points {
		switch {
		case i == 0:
			fmt.Fprintf(&d, "M%.1f %.1f", x(p.T), y(p.V))
		case c.Step:
			fmt.Fprintf(&d, " H%.1f V%.1f", x(p.T), y(p.V))
		default:
			fmt.Fprintf(&d, " L%.1f %.1f", x(p.T), y(p.V))
		}
	}
	return `<path class="line" d="` + d.String() + `"/>`
}

func esc(s string) string { return html.EscapeString(s) }

// num renders a number for labels and attributes: at most four decimals, no exponent.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprint(v)
	}
	s := fmt.Sprintf("%.4f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// axisNum renders an axis label with three significant digits ("101", "92.5", "0.125").
func axisNum(v float64) string {
	if math.Abs(v) < 1e-9 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
