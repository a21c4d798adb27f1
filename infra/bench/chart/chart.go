// Package chart draws the benchmark report's plots as standalone SVG: horizontal grouped bars
// (one row per operation or function) and lines (latency against offered rate). It has no
// dependencies so that the report needs nothing but Go to render and a browser to read.
package chart

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strings"
)

// Series is one named set of values, one per category (Bars) or point (Lines).
type Series struct {
	Name   string
	Values []float64
}

// Ref is a reference line (a target or a limit) drawn across the plot at Value.
type Ref struct {
	Value float64
	Label string
}

// Bars is a horizontal grouped bar chart: each category is a row with one bar per series.
type Bars struct {
	Title      string
	Unit       string // label of the value axis
	Categories []string
	Series     []Series
	Refs       []Ref
}

// Point is one (x, y) sample of a line.
type Point struct{ X, Y float64 }

// Line is one named polyline.
type Line struct {
	Name   string
	Points []Point
}

// Lines is a line chart over numeric axes.
type Lines struct {
	Title          string
	XLabel, YLabel string
	Lines          []Line
	YRefs          []Ref // horizontal reference lines
	XRefs          []Ref // vertical reference lines
}

var palette = []string{"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"}

const (
	width    = 900
	charW    = 6.6 // average width of a 11px sans-serif character, to size the label column
	fontSize = 11
)

// NiceScale returns a tick step and the axis end for values up to max, both round numbers
// (1, 2 or 5 times a power of ten) with about n ticks, so axes read at a glance.
func NiceScale(max float64, n int) (step, end float64) {
	if !(max > 0) || math.IsInf(max, 0) {
		return 1, 1
	}
	if n < 1 {
		n = 1
	}
	raw := max / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	end = math.Ceil(max/step-1e-9) * step
	return step, end
}

type svg struct{ bytes.Buffer }

func (s *svg) f(format string, a ...any) { fmt.Fprintf(&s.Buffer, format, a...) }

func (s *svg) text(x, y float64, anchor, class, txt string) {
	s.f(`<text x="%.1f" y="%.1f" text-anchor="%s" class="%s">%s</text>`+"\n", x, y, anchor, class, esc(txt))
}

func esc(t string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(t))
	return b.String()
}

func (s *svg) open(h float64, title string) {
	s.f(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%.0f" viewBox="0 0 %d %.0f" font-family="sans-serif" font-size="%d">`+"\n", width, h, width, h, fontSize)
	s.f(`<style>.title{font-size:14px;font-weight:bold}.axis{fill:#444}.ref{fill:#c00}.label{fill:#222}.value{fill:#222;font-size:10px}</style>` + "\n")
	s.f(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	s.text(width/2, 20, "middle", "title", title)
}

func (s *svg) legend(x, y float64, names []string) {
	for i, n := range names {
		s.f(`<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/>`+"\n", x, y+float64(i)*16-9, palette[i%len(palette)])
		s.text(x+14, y+float64(i)*16, "start", "label", n)
	}
}

// SVG renders the bar chart.
func (b Bars) SVG() []byte {
	var s svg
	labelW := 0.0
	for _, c := range b.Categories {
		labelW = math.Max(labelW, float64(len(c))*charW)
	}
	left := labelW + 16
	legendW := 0.0
	for _, se := range b.Series {
		legendW = math.Max(legendW, float64(len(se.Name))*charW+30)
	}
	right := float64(width) - legendW - 10
	top := 40.0
	barH := 12.0
	rowH := barH*float64(max(len(b.Series), 1)) + 8
	plotH := rowH * float64(len(b.Categories))
	h := top + plotH + 50

	lo, hi := 0.0, 0.0
	for _, se := range b.Series {
		for _, v := range se.Values {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	for _, r := range b.Refs {
		lo, hi = math.Min(lo, r.Value), math.Max(hi, r.Value)
	}
	step, end := NiceScale(hi, 5)
	start := 0.0
	if lo < 0 {
		_, neg := NiceScale(-lo, 2)
		start = -math.Ceil(neg/step) * step
	}
	x := func(v float64) float64 { return left + (v-start)/(end-start)*(right-left) }

	s.open(h, b.Title)
	for t := start; t <= end+step/2; t += step {
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x(t), top, x(t), top+plotH)
		s.text(x(t), top+plotH+14, "middle", "axis", trim(t))
	}
	s.text((left+right)/2, top+plotH+32, "middle", "axis", b.Unit)
	for i, c := range b.Categories {
		y0 := top + float64(i)*rowH + 4
		s.text(left-6, y0+rowH/2, "end", "label", c)
		for j, se := range b.Series {
			if i >= len(se.Values) {
				continue
			}
			v := se.Values[i]
			x0, x1 := x(math.Min(0, v)), x(math.Max(0, v))
			y := y0 + float64(j)*barH
			s.f(`<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s</title></rect>`+"\n",
				x0, y, x1-x0, barH-2, palette[j%len(palette)], esc(c+" "+se.Name), trim(v))
			s.text(x1+3, y+barH-3, "start", "value", trim(v))
		}
	}
	s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#444"/>`+"\n", x(0), top, x(0), top+plotH)
	for _, r := range b.Refs {
		s.f(`<line class="refline" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#c00" stroke-dasharray="5,3"/>`+"\n", x(r.Value), top-4, x(r.Value), top+plotH)
		s.text(x(r.Value), top-6, "middle", "ref", r.Label)
	}
	names := make([]string, len(b.Series))
	for i, se := range b.Series {
		names[i] = se.Name
	}
	s.legend(right+20, top+10, names)
	s.f("</svg>\n")
	return s.Bytes()
}

// SVG renders the line chart; each point is marked so single-step lines stay visible.
func (l Lines) SVG() []byte {
	var s svg
	left, right, top, bottom := 60.0, float64(width)-200, 40.0, 360.0
	h := bottom + 50
	xmax, ymax := 0.0, 0.0
	for _, ln := range l.Lines {
		for _, p := range ln.Points {
			xmax, ymax = math.Max(xmax, p.X), math.Max(ymax, p.Y)
		}
	}
	for _, r := range l.XRefs {
		xmax = math.Max(xmax, r.Value)
	}
	for _, r := range l.YRefs {
		ymax = math.Max(ymax, r.Value)
	}
	xstep, xend := NiceScale(xmax, 8)
	ystep, yend := NiceScale(ymax, 6)
	x := func(v float64) float64 { return left + v/xend*(right-left) }
	y := func(v float64) float64 { return bottom - v/yend*(bottom-top) }

	s.open(h, l.Title)
	for t := 0.0; t <= xend+xstep/2; t += xstep {
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/>`+"\n", x(t), top, x(t), bottom)
		s.text(x(t), bottom+14, "middle", "axis", trim(t))
	}
	for t := 0.0; t <= yend+ystep/2; t += ystep {
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/>`+"\n", left, y(t), right, y(t))
		s.text(left-6, y(t)+4, "end", "axis", trim(t))
	}
	s.f(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#444"/>`+"\n", left, top, right-left, bottom-top)
	s.text((left+right)/2, bottom+34, "middle", "axis", l.XLabel)
	s.f(`<text x="14" y="%.1f" text-anchor="middle" class="axis" transform="rotate(-90 14 %.1f)">%s</text>`+"\n", (top+bottom)/2, (top+bottom)/2, esc(l.YLabel))
	for _, r := range l.YRefs {
		s.f(`<line class="refline" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#c00" stroke-dasharray="5,3"/>`+"\n", left, y(r.Value), right, y(r.Value))
		s.text(right-4, y(r.Value)-4, "end", "ref", r.Label)
	}
	for i, r := range l.XRefs {
		s.f(`<line class="refline" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#c00" stroke-dasharray="2,3"/>`+"\n", x(r.Value), top, x(r.Value), bottom)
		// Left of the line: a limit at the right edge would otherwise run into the legend.
		s.text(x(r.Value)-3, top+12+float64(i)*12, "end", "ref", r.Label)
	}
	names := make([]string, len(l.Lines))
	for i, ln := range l.Lines {
		names[i] = ln.Name
		color := palette[i%len(palette)]
		pts := make([]string, len(ln.Points))
		for k, p := range ln.Points {
			pts[k] = fmt.Sprintf("%.1f,%.1f", x(p.X), y(p.Y))
		}
		s.f(`<polyline class="line" points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), color)
		for _, p := range ln.Points {
			s.f(`<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s: %s, %s</title></circle>`+"\n", x(p.X), y(p.Y), color, esc(ln.Name), trim(p.X), trim(p.Y))
		}
	}
	s.legend(right+20, top+10, names)
	s.f("</svg>\n")
	return s.Bytes()
}

// trim prints a number with at most two decimals and no trailing zeros.
func trim(v float64) string {
	t := fmt.Sprintf("%.2f", v)
	t = strings.TrimRight(strings.TrimRight(t, "0"), ".")
	if t == "-0" {
		return "0"
	}
	return t
}
