// Package chart draws the reveal's picture: every question, each respondent's
// score side by side, gaps marked.
//
// It is a pure renderer: an Input in, PNG bytes out. It knows nothing of
// Slack, the database or the clock, and computes nothing about the
// diagnostic — which questions are structural gaps is decided by the caller
// (scoring) and passed in.
//
// Drawing is done by gonum.org/v1/plot onto an in-memory image. Its fonts
// are compiled into the binary, so rendering needs no system font and no
// network: Liberation Sans draws Latin-script text, and a subset of Motoya
// L Cedar draws the Japanese runs of a text (scripts.go). The output is
// byte-for-byte reproducible: the same Input gives the same PNG, across runs
// and across amd64 and 386.
//
// To look at the charts the tests draw:
//
//	ALIGNBOT_CHART_OUT=/tmp/charts go test ./internal/chart/
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"math"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Width and Height are the size of the PNG in pixels: wide enough to read on
// a phone when Slack shrinks the preview, small enough to stay a few tens of
// kilobytes.
const (
	Width  = 1200
	Height = 600
)

// Series is one respondent's scores: one bar per question.
type Series struct {
	// Label names the role, e.g. "Marketing", "Sales", "RevOps". It is the
	// legend's text and how a Previous series is matched to its role.
	Label string
	// Scores holds one score per question, in question order, from 0 to
	// Input.Max; math.NaN() where there is no answer.
	Scores []float64
}

// Input is everything the chart shows.
type Input struct {
	// Title is drawn on top, e.g. "Round 7 · Marketing-Sales Alignment
	// Maturity Diagnostic". It is not wrapped: about 90 characters fit, 45
	// in Japanese.
	Title string
	// Questions are the x-axis labels, e.g. "Q1".."Q10".
	Questions []string
	// Max is the top of the scale, e.g. 2; the scale starts at 0.
	Max int
	// ScaleLabels optionally names the y ticks 0..Max, e.g. {"no", "partly",
	// "yes"}; without it the ticks are the numbers.
	ScaleLabels []string
	// Current is this round's series, in role order: the first role is drawn
	// blue, the second orange, the third green (Okabe-Ito colours, told apart
	// by colour-blind readers). At least one.
	Current []Series
	// Previous optionally holds the team's previous round, matched to Current
	// by Label; each is drawn lighter, just left of its role's current bar.
	Previous []Series
	// PreviousLabel names the previous round in the legend, e.g. "round 6"
	// gives "Marketing (round 6)". Empty means "previous round".
	PreviousLabel string
	// Gaps marks, per question, a structural gap: marketing and sales two
	// points apart. Its length must equal len(Questions).
	Gaps []bool
	// GapCaption, NoAnswers and Caption are the chart's own words in the
	// reader's language: the gap band's legend entry, the mark of a series
	// without answers, and the lines under the legend. Empty, they are
	// English (GapCaption, " (no answers)", the stub and missing-bar note).
	GapCaption string
	NoAnswers  string
	Caption    []string
}

// GapCaption is the legend's explanation of the gap band, in English.
const GapCaption = "2 points apart: structural gap"

func (in Input) gapCaption() string {
	if in.GapCaption != "" {
		return in.GapCaption
	}
	return GapCaption
}

// roleColours is Okabe & Ito's colour-blind-safe palette, in role order; a
// role keeps its colour in Previous, blended towards white.
var roleColours = []color.RGBA{
	{R: 0x00, G: 0x72, B: 0xB2, A: 0xFF}, // blue
	{R: 0xE6, G: 0x9F, B: 0x00, A: 0xFF}, // orange
	{R: 0x00, G: 0x9E, B: 0x73, A: 0xFF}, // bluish green
	{R: 0xCC, G: 0x79, B: 0xA7, A: 0xFF}, // reddish purple
	{R: 0x56, G: 0xB4, B: 0xE9, A: 0xFF}, // sky blue
	{R: 0xD5, G: 0x5E, B: 0x00, A: 0xFF}, // vermillion
}

var (
	gapBandColour = color.RGBA{R: 0xFA, G: 0xD9, B: 0xE6, A: 0xFF}
	gapEdgeColour = color.RGBA{R: 0xC2, G: 0x18, B: 0x5B, A: 0xFF}
	gridColour    = color.RGBA{R: 0xD0, G: 0xD0, B: 0xD0, A: 0xFF}
	captionColour = color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xFF}
	regularFont   = font.Font{Typeface: "Liberation", Variant: "Sans"}
	boldFont      = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
)

// previousWeight is how much of its role's colour a previous bar keeps.
const previousWeight = 0.45

// PNG renders the chart as a Width×Height PNG. The same Input always gives
// the same bytes.
func PNG(in Input) (out []byte, err error) {
	if err := validate(in); err != nil {
		return nil, err
	}
	// gonum/plot panics rather than returning errors on some inputs (a font
	// it cannot load, a degenerate range); a chart is never worth crashing
	// the caller's job runner for.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("chart: render: %v", r)
		}
	}()
	return render(in)
}

func validate(in Input) error {
	if len(in.Questions) == 0 {
		return errors.New("chart: no questions")
	}
	if in.Max <= 0 {
		return fmt.Errorf("chart: Max must be positive, got %d", in.Max)
	}
	if len(in.ScaleLabels) != 0 && len(in.ScaleLabels) != in.Max+1 {
		return fmt.Errorf("chart: %d scale labels for a scale 0..%d, want %d", len(in.ScaleLabels), in.Max, in.Max+1)
	}
	if len(in.Current) == 0 {
		return errors.New("chart: no series in Current")
	}
	if len(in.Gaps) != len(in.Questions) {
		return fmt.Errorf("chart: %d gap flags for %d questions", len(in.Gaps), len(in.Questions))
	}
	if err := validateSeries("Current", in.Current, in); err != nil {
		return err
	}
	if err := validateSeries("Previous", in.Previous, in); err != nil {
		return err
	}
	if n := len(roles(in)); n > len(roleColours) {
		return fmt.Errorf("chart: %d roles, at most %d can be told apart", n, len(roleColours))
	}
	return nil
}

func validateSeries(field string, series []Series, in Input) error {
	seen := make(map[string]bool, len(series))
	for _, s := range series {
		if s.Label == "" {
			return fmt.Errorf("chart: a series in %s has no label", field)
		}
		if seen[s.Label] {
			return fmt.Errorf("chart: %s has two series labelled %q", field, s.Label)
		}
		seen[s.Label] = true
		if len(s.Scores) != len(in.Questions) {
			return fmt.Errorf("chart: %s series %q has %d scores for %d questions", field, s.Label, len(s.Scores), len(in.Questions))
		}
		for i, v := range s.Scores {
			if math.IsNaN(v) {
				continue
			}
			if v < 0 || v > float64(in.Max) {
				return fmt.Errorf("chart: %s series %q scores %s %v, outside 0..%d", field, s.Label, in.Questions[i], v, in.Max)
			}
		}
	}
	return nil
}

// role pairs a respondent's current series with the same role's previous
// one; either may be missing (an observer who joined or left).
type role struct {
	label   string
	current *Series
	prev    *Series
	colour  color.RGBA
}

// roles lists Current's roles in order, then any role found only in
// Previous, so that colours follow the role and not the slice position.
func roles(in Input) []role {
	var rs []role
	index := map[string]int{}
	for i := range in.Current {
		index[in.Current[i].Label] = len(rs)
		rs = append(rs, role{label: in.Current[i].Label, current: &in.Current[i]})
	}
	for i := range in.Previous {
		j, ok := index[in.Previous[i].Label]
		if !ok {
			j = len(rs)
			index[in.Previous[i].Label] = j
			rs = append(rs, role{label: in.Previous[i].Label})
		}
		rs[j].prev = &in.Previous[i]
	}
	for i := range rs {
		if i < len(roleColours) {
			rs[i].colour = roleColours[i]
		}
	}
	return rs
}

// Layout, in points (the canvas is 96 dpi, so 1 pt = 4/3 px).
const (
	dpi          = 96
	margin       = vg.Length(12)
	titleSize    = vg.Length(19)
	tickSize     = vg.Length(15)
	legendSize   = vg.Length(14)
	captionSize  = vg.Length(12)
	legendGap    = vg.Length(18) // between the plot and the legend
	zeroStub     = vg.Length(4)  // height of a bar scored 0, so 0 differs from no answer
	headroomFrac = 0.16          // space above Max for the "gap" marks, as a fraction of Max
)

func render(in Input) ([]byte, error) {
	if _, err := textHandler(); err != nil {
		return nil, err
	}
	rs := roles(in)
	w := vg.Length(Width) * vg.Inch / dpi
	h := vg.Length(Height) * vg.Inch / dpi
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))
	dc := draw.New(img)

	area := draw.Crop(dc, margin, -margin, margin, -margin)
	if in.Title != "" {
		sty := textStyle(boldFont, titleSize, color.Black)
		sty.YAlign = draw.YTop
		area.FillText(sty, vg.Point{X: area.Min.X, Y: area.Max.Y}, in.Title)
		area.Max.Y -= sty.Height(in.Title) + margin
	}

	leg := legend(in, rs)
	notes := caption(in)
	// At least as wide as the gap entry, so the plot keeps its width whether
	// or not this round has a gap.
	legendWidth := max(leg.Rectangle(area).Size().X, leg.ThumbnailWidth+leg.TextStyle.Width(" "+in.gapCaption()))
	for _, line := range notes {
		legendWidth = max(legendWidth, captionStyle().Width(line))
	}
	legendArea := area
	legendArea.Min.X = area.Max.X - legendWidth
	leg.Draw(legendArea)
	drawCaption(legendArea, leg, notes)

	p := newPlot(in, rs)
	plotArea := area
	plotArea.Max.X = legendArea.Min.X - legendGap
	p.Draw(plotArea)

	// Fastest compression: a reveal's chart is rendered while people may be
	// clicking on the same cores, and the default level costs 40% more time
	// for a few kilobytes (BestCompression saves 3% more and triples it).
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img.Image()); err != nil {
		return nil, fmt.Errorf("chart: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

func textStyle(f font.Font, size vg.Length, c color.Color) draw.TextStyle {
	h, _ := textHandler() // render returned its error before drawing anything
	return draw.TextStyle{
		Color:   c,
		Font:    font.From(f, size),
		Handler: h,
	}
}

func newPlot(in Input, rs []role) *plot.Plot {
	p := plot.New()
	p.BackgroundColor = nil // the canvas is already white

	n := len(in.Questions)
	p.X.Min, p.X.Max = -0.5, float64(n)-0.5
	p.Y.Min, p.Y.Max = 0, float64(in.Max)*(1+headroomFrac)
	p.X.Padding, p.Y.Padding = 0, 0

	var xticks plot.ConstantTicks
	for i, q := range in.Questions {
		xticks = append(xticks, plot.Tick{Value: float64(i), Label: q})
	}
	p.X.Tick.Marker = xticks
	p.X.Tick.Length = 0
	p.X.Tick.Label = textStyle(boldFont, tickSize, color.Black)
	p.X.Tick.Label.XAlign = draw.XCenter
	p.X.Tick.Label.YAlign = draw.YTop

	var yticks plot.ConstantTicks
	for v := 0; v <= in.Max; v++ {
		label := fmt.Sprint(v)
		if len(in.ScaleLabels) != 0 {
			label = in.ScaleLabels[v]
		}
		yticks = append(yticks, plot.Tick{Value: float64(v), Label: label})
	}
	p.Y.Tick.Marker = yticks
	p.Y.Tick.Label = textStyle(regularFont, tickSize, color.Black)
	p.Y.Tick.Label.XAlign = draw.XRight
	p.Y.Tick.Label.YAlign = draw.YCenter

	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	grid.Horizontal = draw.LineStyle{Color: gridColour, Width: vg.Points(0.75)}

	p.Add(gapBands{gaps: in.Gaps}, grid, groupedBars{questions: in.Questions, roles: rs})
	return p
}

// gapBands shades the whole column of each structural-gap question and
// writes "GAP" above its bars.
type gapBands struct {
	gaps []bool
}

func (g gapBands) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	label := textStyle(boldFont, tickSize, gapEdgeColour)
	label.XAlign = draw.XCenter
	label.YAlign = draw.YTop
	edge := draw.LineStyle{Color: gapEdgeColour, Width: vg.Points(1.25), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	for i, gap := range g.gaps {
		if !gap {
			continue
		}
		left, right := trX(float64(i)-0.5), trX(float64(i)+0.5)
		c.FillPolygon(gapBandColour, rect(left, c.Min.Y, right, c.Max.Y))
		c.StrokeLine2(edge, left, c.Min.Y, left, c.Max.Y)
		c.StrokeLine2(edge, right, c.Min.Y, right, c.Max.Y)
		c.FillText(label, vg.Point{X: (left + right) / 2, Y: c.Max.Y - vg.Points(4)}, "GAP")
	}
}

// groupedBars draws one group per question: for each role, its previous bar
// (lighter) then its current bar. gonum's BarChart rejects NaN and draws a
// zero as nothing, so this plotter draws the bars itself: nothing for no
// answer, a thin stub for 0. A series with no answer at all gets no slot, so
// the groups stay centred on their labels; the legend says it is empty.
type groupedBars struct {
	questions []string
	roles     []role
}

func (g groupedBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	var bars []barStyle
	var scores [][]float64
	for _, r := range g.roles {
		if r.prev != nil && answered(r.prev) {
			bars = append(bars, previousStyle(r.colour))
			scores = append(scores, r.prev.Scores)
		}
		if r.current != nil && answered(r.current) {
			bars = append(bars, currentStyle(r.colour))
			scores = append(scores, r.current.Scores)
		}
	}
	if len(bars) == 0 {
		return
	}
	step := trX(1) - trX(0)
	slot := step * 0.8 / vg.Length(len(bars))
	width := slot * 0.88
	base := trY(0)
	for q := range len(g.questions) {
		left := trX(float64(q)) - step*0.4
		for b, style := range bars {
			v := scores[b][q]
			if math.IsNaN(v) {
				continue
			}
			top := max(trY(v), base+zeroStub)
			x := left + slot*vg.Length(b) + (slot-width)/2
			style.draw(c, rect(x, base, x+width, top))
		}
	}
}

// barStyle is how one series' bars look, and their legend swatch.
type barStyle struct {
	fill    color.Color
	outline draw.LineStyle
}

func currentStyle(c color.RGBA) barStyle {
	return barStyle{fill: c, outline: draw.LineStyle{Color: c, Width: vg.Points(0.75)}}
}

func previousStyle(c color.RGBA) barStyle {
	return barStyle{fill: lighten(c, previousWeight), outline: draw.LineStyle{Color: c, Width: vg.Points(0.75)}}
}

func (s barStyle) draw(c draw.Canvas, pts []vg.Point) {
	c.FillPolygon(s.fill, pts)
	c.StrokeLines(s.outline, append(pts, pts[0]))
}

// Thumbnail implements plot.Thumbnailer for the legend.
func (s barStyle) Thumbnail(c *draw.Canvas) {
	s.draw(*c, rect(c.Min.X, c.Min.Y, c.Max.X, c.Max.Y))
}

// gapSwatch is the gap band's legend swatch.
type gapSwatch struct{}

func (gapSwatch) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(gapBandColour, rect(c.Min.X, c.Min.Y, c.Max.X, c.Max.Y))
	edge := draw.LineStyle{Color: gapEdgeColour, Width: vg.Points(1.25), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	c.StrokeLine2(edge, c.Min.X, c.Min.Y, c.Min.X, c.Max.Y)
	c.StrokeLine2(edge, c.Max.X, c.Min.Y, c.Max.X, c.Max.Y)
}

// legend lists each role (current, then previous), then the gap mark.
func legend(in Input, rs []role) plot.Legend {
	l := plot.NewLegend()
	l.TextStyle = textStyle(regularFont, legendSize, color.Black)
	l.Top, l.Left = true, true
	l.Padding = vg.Points(5)
	l.ThumbnailWidth = vg.Points(22)
	prevName := in.PreviousLabel
	if prevName == "" {
		prevName = "previous round"
	}
	for _, r := range rs {
		if r.current != nil {
			l.Add(r.label+unanswered(in, r.current), currentStyle(r.colour))
		}
		if r.prev != nil {
			l.Add(r.label+" ("+prevName+")"+unanswered(in, r.prev), previousStyle(r.colour))
		}
	}
	if hasGap(in.Gaps) {
		l.Add(in.gapCaption(), gapSwatch{})
	}
	return l
}

// unanswered flags a series with no score at all, which has no bars to match
// its legend entry.
func unanswered(in Input, s *Series) string {
	if answered(s) {
		return ""
	}
	if in.NoAnswers != "" {
		return in.NoAnswers
	}
	return " (no answers)"
}

// answered reports whether s has at least one score.
func answered(s *Series) bool {
	for _, v := range s.Scores {
		if !math.IsNaN(v) {
			return true
		}
	}
	return false
}

func hasGap(gaps []bool) bool {
	for _, g := range gaps {
		if g {
			return true
		}
	}
	return false
}

// caption explains the zero stub, in the scale's own word for 0 when it has
// one.
func caption(in Input) []string {
	if len(in.Caption) > 0 {
		return in.Caption
	}
	zero := "a score of 0"
	if len(in.ScaleLabels) != 0 {
		zero = fmt.Sprintf("%q (0)", in.ScaleLabels[0])
	}
	return []string{"A thin stub is " + zero + ";", "no bar means no answer."}
}

func captionStyle() draw.TextStyle {
	sty := textStyle(regularFont, captionSize, captionColour)
	sty.YAlign = draw.YTop
	return sty
}

// drawCaption writes lines under the legend.
func drawCaption(c draw.Canvas, l plot.Legend, lines []string) {
	sty := captionStyle()
	y := l.Rectangle(c).Min.Y - vg.Points(14)
	for _, line := range lines {
		c.FillText(sty, vg.Point{X: c.Min.X, Y: y}, line)
		y -= sty.Height(line) + vg.Points(2)
	}
}

func rect(x0, y0, x1, y1 vg.Length) []vg.Point {
	return []vg.Point{{X: x0, Y: y0}, {X: x0, Y: y1}, {X: x1, Y: y1}, {X: x1, Y: y0}}
}

// lighten blends c towards white, keeping weight of the colour.
func lighten(c color.RGBA, weight float64) color.RGBA {
	mix := func(v uint8) uint8 {
		return uint8(math.Round(float64(v)*weight + 255*(1-weight)))
	}
	return color.RGBA{R: mix(c.R), G: mix(c.G), B: mix(c.B), A: 0xFF}
}
