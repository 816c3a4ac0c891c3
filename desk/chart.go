package desk

import (
	"fmt"
	"strconv"

	"golang.org/x/text/width"
)

// Charts are drawn on the server as inline SVG by the template stats.html: this file only
// works out the geometry, and html/template writes every label, as text or attribute, escaped
// (a township named "<script>" is text in a <text> element). There is no script and no style
// attribute (the Content-Security-Policy allows neither); colours come from classes in
// desk.css.
//
// Widths and horizontal positions are percentages of the chart's width, heights are pixels,
// and text keeps its pixel size: the same SVG fills an office PC's column or a phone's screen
// without shrinking its labels, which a scaled viewBox would do. Each chart has its table
// beside it, which is what a screen reader reads and what the export writes.

// chart is one chart with its table.
type chart struct {
	ID    string
	Title string
	Kind  string // "bars" (horizontal, one or more segments each) or "columns" (vertical)
	Empty bool   // nothing to draw: the table says so

	// bars
	Bars   []hbar
	Height int
	Legend []legend

	// columns
	Cols     []col
	Baseline int // y of the axis

	// the table
	Head []string
	Rows [][]string
}

// hbar is one horizontal bar: its label (cut to fit, the whole label in a tooltip), its
// segments and the total written after it.
type hbar struct {
	Label, Full string
	Y, BarY     int // the text's baseline and the bar's top, in pixels
	Segs        []seg
	Value       string
	ValueX      string // the total's x, just after the bar
}

type seg struct {
	X, W  string // percentages
	Class string
	Title string
}

type legend struct{ Label, Class string }

// col is one vertical column of the month chart.
type col struct {
	X, W, Mid string // percentages: left edge, width, centre
	Y, H      int    // pixels
	Label     string
	Title     string
	Value     string
	ShowValue bool
	Narrow    bool // hidden on a narrow screen (every other label)
}

const (
	barRow     = 26 // pixels a bar's row takes
	barH       = 16
	labelShare = 30.0 // percent of the width for the labels
	barShare   = 60.0 // percent for the longest bar; the rest holds its total
	// labelWidth is the columns a bar's label may take, a Chinese character counting two: 8
	// characters of Chinese or 16 of English fill the labels' share of a phone's chart.
	labelWidth = 16
	colHeight  = 160 // pixels of the tallest column
)

func pct(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) + "%" }

// cut shortens a label to n columns, with an ellipsis: a wide character (Chinese) takes two,
// any other one, so that an English label gets as much room as a Chinese one.
func cut(s string, n int) string {
	w := 0
	for i, r := range s {
		w += runeWidth(r)
		if w > n {
			// Back off until the ellipsis fits too.
			kept := []rune(s[:i])
			for w = columns(string(kept)); w > n-1 && len(kept) > 0; w = columns(string(kept)) {
				kept = kept[:len(kept)-1]
			}
			return string(kept) + "…"
		}
	}
	return s
}

func columns(s string) int {
	w := 0
	for _, r := range s {
		w += runeWidth(r)
	}
	return w
}

func runeWidth(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// part is one segment's value and class.
type part struct {
	N     int
	Class string
	Title string
}

// barRowIn is one bar's label and parts.
type barRowIn struct {
	Label string
	Parts []part
}

// barChart lays out horizontal bars scaled to the largest total.
func barChart(id, title string, rows []barRowIn) chart {
	c := chart{ID: id, Title: title, Kind: "bars"}
	top := 0
	for _, r := range rows {
		t := 0
		for _, p := range r.Parts {
			t += p.N
		}
		top = max(top, t)
	}
	c.Empty = top == 0
	for i, r := range rows {
		b := hbar{Label: cut(r.Label, labelWidth), Full: r.Label, BarY: i*barRow + (barRow-barH)/2, Y: i*barRow + barRow/2 + 5}
		x, total := labelShare, 0
		for _, p := range r.Parts {
			total += p.N
			if p.N == 0 || top == 0 {
				continue
			}
			w := barShare * float64(p.N) / float64(top)
			b.Segs = append(b.Segs, seg{X: pct(x), W: pct(w), Class: p.Class, Title: fmt.Sprintf("%s %s: %d", r.Label, p.Title, p.N)})
			x += w
		}
		b.Value, b.ValueX = strconv.Itoa(total), pct(x)
		c.Bars = append(c.Bars, b)
	}
	c.Height = max(len(rows), 1) * barRow
	return c
}

// columnChart lays out one column per month, scaled to the largest.
func columnChart(id, title string, labels []string, values []int, titles []string) chart {
	c := chart{ID: id, Title: title, Kind: "columns", Baseline: colHeight + 18}
	top := 0
	for _, v := range values {
		top = max(top, v)
	}
	c.Empty = top == 0
	n := len(values)
	if n == 0 {
		return c
	}
	step := 100.0 / float64(n)
	// At most twelve labels (a year's months fit any office screen), and on a phone every
	// other one of those.
	every := (n + 11) / 12
	for i, v := range values {
		h := 0
		if top > 0 {
			h = colHeight * v / top
			if v > 0 {
				h = max(h, 1)
			}
		}
		cl := col{X: pct(float64(i)*step + step*0.15), W: pct(step * 0.7), Mid: pct(float64(i)*step + step/2),
			Y: 18 + colHeight - h, H: h, Title: titles[i], Value: strconv.Itoa(v), ShowValue: n <= 12 && v > 0}
		if i%every == 0 {
			cl.Label = labels[i]
			cl.Narrow = n/every > 6 && (i/every)%2 == 1
		}
		c.Cols = append(c.Cols, cl)
	}
	return c
}
