package chart

import (
	"bytes"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"testing"
)

// element is one parsed SVG element: its name, attributes and own text.
type element struct {
	name  string
	attrs map[string]string
	text  string
}

// parse fails the test unless doc is well-formed XML, and returns its elements in order.
func parse(t *testing.T, doc []byte) []element {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var out []element
	var stack []int
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed SVG: %v\n%s", err, doc)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			e := element{name: x.Name.Local, attrs: map[string]string{}}
			for _, a := range x.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			out = append(out, e)
			stack = append(stack, len(out)-1)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				out[stack[len(stack)-1]].text += string(x)
			}
		}
	}
	if len(out) == 0 || out[0].name != "svg" {
		t.Fatalf("root element is not svg:\n%s", doc)
	}
	return out
}

func num(t *testing.T, e element, attr string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(e.attrs[attr], 64)
	if err != nil {
		t.Fatalf("%s %s=%q: %v", e.name, attr, e.attrs[attr], err)
	}
	return v
}

func TestBarsAreProportionalAndEscaped(t *testing.T) {
	b := Bars{
		Title:      "ratio <to> raw & more",
		Unit:       "× raw GetItem",
		Categories: []string{"a<b", "c&d", "e"},
		Series:     []Series{{"p50", []float64{1, 2, 4}}, {"p99", []float64{2, 4, 8}}},
		Refs:       []Ref{{1.3, "target 1.3×"}},
	}
	els := parse(t, b.SVG())
	var bars []element
	texts := map[string]bool{}
	for _, e := range els {
		if e.name == "rect" && e.attrs["class"] == "bar" {
			bars = append(bars, e)
		}
		if e.name == "text" {
			texts[e.text] = true
		}
	}
	if len(bars) != 6 {
		t.Fatalf("%d bars, want one per category and series (6)", len(bars))
	}
	// Bars start at zero, so their widths must keep the values' proportions.
	w := func(i int) float64 { return num(t, bars[i], "width") }
	for i, want := range []float64{1, 2, 2, 4, 4, 8} {
		if got := w(i) / w(0); got < want*0.98 || got > want*1.02 {
			t.Errorf("bar %d is %.2f× the first, want %v×", i, got, want)
		}
	}
	for _, s := range []string{"a<b", "c&d", "ratio <to> raw & more", "target 1.3×"} {
		if !texts[s] {
			t.Errorf("text %q missing (or mangled) in the SVG", s)
		}
	}
	var refs int
	for _, e := range els {
		if e.attrs["class"] == "refline" {
			refs++
		}
	}
	if refs != 1 {
		t.Errorf("%d reference lines, want 1", refs)
	}
}

func TestBarsWithNegativeValuesStayInside(t *testing.T) {
	b := Bars{Categories: []string{"x", "y"}, Series: []Series{{"overhead", []float64{-0.2, 0.5}}}}
	for _, e := range parse(t, b.SVG()) {
		if e.name == "rect" && e.attrs["class"] == "bar" {
			if x, wd := num(t, e, "x"), num(t, e, "width"); x < 0 || wd < 0 || x+wd > width {
				t.Errorf("bar outside the canvas: x=%v width=%v", x, wd)
			}
		}
	}
}

func TestLinesPlotHigherValuesHigher(t *testing.T) {
	l := Lines{
		Title: "p99", XLabel: "rate", YLabel: "ms",
		Lines: []Line{{"getToken", []Point{{50, 2}, {100, 4}, {200, 60}}}},
		YRefs: []Ref{{50, "50 ms"}},
		XRefs: []Ref{{200, "limit"}},
	}
	var poly element
	var circles []element
	for _, e := range parse(t, l.SVG()) {
		switch {
		case e.name == "polyline":
			poly = e
		case e.name == "circle":
			circles = append(circles, e)
		}
	}
	pts := strings.Fields(poly.attrs["points"])
	if len(pts) != 3 || len(circles) != 3 {
		t.Fatalf("points=%q circles=%d, want 3 of each", poly.attrs["points"], len(circles))
	}
	for i := 1; i < len(circles); i++ {
		if num(t, circles[i], "cx") <= num(t, circles[i-1], "cx") {
			t.Errorf("x does not grow left to right at point %d", i)
		}
		// SVG's y grows downwards: a larger latency must sit higher, at a smaller y.
		if num(t, circles[i], "cy") >= num(t, circles[i-1], "cy") {
			t.Errorf("larger y value is not drawn higher at point %d", i)
		}
	}
}

func TestNiceScale(t *testing.T) {
	cases := []struct {
		max       float64
		n         int
		step, end float64
	}{
		{7.3, 5, 2, 8},
		{100, 5, 20, 100},
		{0.42, 5, 0.1, 0.5},
		{1600, 8, 200, 1600},
		{0, 5, 1, 1},
	}
	for _, tc := range cases {
		step, end := NiceScale(tc.max, tc.n)
		if step != tc.step || end != tc.end {
			t.Errorf("NiceScale(%v, %d) = %v, %v; want %v, %v", tc.max, tc.n, step, end, tc.step, tc.end)
		}
	}
}
