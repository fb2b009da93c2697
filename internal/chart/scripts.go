package chart

import (
	_ "embed"
	"fmt"
	"math"
	"strings"
	"sync"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

// The fallback font draws what Liberation Sans cannot: Japanese. It is
// Motoya L Cedar W3 (Apache License 2.0, see fonts/NOTICE), cut down to the
// glyphs of the charts' texts in every language alignbot speaks that
// Liberation Sans lacks: kilobytes instead of the full font's 1.9 MB. After
// a catalog or instrument change brings a new character to a chart
// (TestChartTextsHaveGlyphs in bot/render says which), regenerate it:
//
//	apt-get install fonts-motoya-l-cedar && go generate ./internal/chart
//
//go:generate go run ./fontgen -src /usr/share/fonts/truetype/motoya-l-cedar/MTLc3m.ttf -out fonts/MotoyaLCedar-W3-subset.ttf
//go:embed fonts/MotoyaLCedar-W3-subset.ttf
var fallbackTTF []byte

var fallbackFont = sync.OnceValues(func() (*opentype.Font, error) {
	f, err := opentype.Parse(fallbackTTF)
	if err != nil {
		return nil, fmt.Errorf("chart: parse fallback font: %w", err)
	}
	return f, nil
})

// fallbackBold is how far a bold run of the fallback font, which has no
// bold, is drawn a second time to the right, as a fraction of the font
// size: enough to read as bold beside Liberation Sans Bold.
const fallbackBold = 0.035

// scripts is the chart's text handler: gonum's plain text, each line cut
// into runs that Liberation Sans can draw and runs it cannot, which the
// fallback font draws. A line Liberation Sans draws whole goes to gonum's
// handler unchanged, so Latin-script charts are what they always were.
type scripts struct {
	plain    text.Handler
	fallback *opentype.Font
}

// textHandler is the chart's text handler, once the fallback font parsed.
func textHandler() (text.Handler, error) {
	f, err := fallbackFont()
	if err != nil {
		return nil, err
	}
	return scripts{plain: plot.DefaultTextHandler, fallback: f}, nil
}

func (h scripts) Cache() *font.Cache                   { return h.plain.Cache() }
func (h scripts) Extents(fnt font.Font) font.Extents   { return h.plain.Extents(fnt) }
func (h scripts) Lines(txt string) []string            { return h.plain.Lines(txt) }
func (h scripts) latin(fnt font.Font) font.Face        { return h.plain.Cache().Lookup(fnt, fnt.Size) }
func (h scripts) fallbackFace(fnt font.Font) font.Face { return fallbackFace(h.fallback, fnt.Size) }

func fallbackFace(f *opentype.Font, size vg.Length) font.Face {
	return font.Face{Font: font.Font{Typeface: "MotoyaLCedar", Size: size}, Face: f}
}

// run is a part of a line drawn in one face.
type run struct {
	text     string
	fallback bool
}

// runs cuts a line where it changes between what Liberation Sans has and
// what it lacks. A rune neither font has stays with Liberation Sans, which
// draws its missing-glyph box.
func (h scripts) runs(line string, fnt font.Font) []run {
	latin := h.latin(fnt).Face
	buf := buffers.Get().(*sfnt.Buffer)
	defer buffers.Put(buf)
	var runs []run
	start := 0
	for i, r := range line {
		fallback := h.isFallback(latin, buf, r)
		if len(runs) > 0 && runs[len(runs)-1].fallback == fallback {
			continue
		}
		if len(runs) > 0 {
			runs[len(runs)-1].text = line[start:i]
		}
		runs = append(runs, run{fallback: fallback})
		start = i
	}
	if len(runs) > 0 {
		runs[len(runs)-1].text = line[start:]
	}
	return runs
}

// isFallback reports whether the fallback font draws r: Liberation Sans
// lacks it and the fallback font has it.
func (h scripts) isFallback(latin *opentype.Font, buf *sfnt.Buffer, r rune) bool {
	// Liberation Sans has every printable ASCII character, in either
	// weight: most of a chart's text needs no look-up.
	return (r < 0x20 || r > 0x7E) && !hasGlyph(latin, buf, r) && hasGlyph(h.fallback, buf, r)
}

// latinOnly reports whether Liberation Sans draws all of txt, without
// cutting it into runs: most of the chart's texts in most languages.
func (h scripts) latinOnly(txt string, fnt font.Font) bool {
	latin := h.latin(fnt).Face
	buf := buffers.Get().(*sfnt.Buffer)
	defer buffers.Put(buf)
	for _, r := range txt {
		if h.isFallback(latin, buf, r) {
			return false
		}
	}
	return true
}

// buffers holds the glyph look-ups' scratch space: a chart cuts a few
// hundred lines into runs, and a buffer is too big to allocate for each.
var buffers = sync.Pool{New: func() any { return new(sfnt.Buffer) }}

func hasGlyph(f *opentype.Font, buf *sfnt.Buffer, r rune) bool {
	g, err := f.GlyphIndex(buf, r)
	return err == nil && g != 0
}

func (h scripts) face(r run, fnt font.Font) font.Face {
	if r.fallback {
		return h.fallbackFace(fnt)
	}
	return h.latin(fnt)
}

// Box implements text.Handler: the runs side by side, as high and deep as
// the highest and deepest face among them.
func (h scripts) Box(txt string, fnt font.Font) (width, height, depth vg.Length) {
	if h.latinOnly(txt, fnt) {
		return h.plain.Box(txt, fnt)
	}
	for _, r := range h.runs(txt, fnt) {
		face := h.face(r, fnt)
		ext := face.Extents()
		width += face.Width(r.text)
		height, depth = max(height, ext.Ascent), max(depth, ext.Descent)
	}
	return width, height, depth
}

// Draw implements text.Handler as gonum's plain handler does, a run at a
// time, on one baseline.
func (h scripts) Draw(c vg.Canvas, txt string, sty text.Style, pt vg.Point) {
	txt = strings.TrimRight(txt, "\n")
	if len(txt) == 0 {
		return
	}
	if h.latinOnly(txt, sty.Font) {
		h.plain.Draw(c, txt, sty, pt)
		return
	}
	lines := h.Lines(txt)

	c.SetColor(sty.Color)
	if sty.Rotation != 0 {
		c.Push()
		c.Rotate(sty.Rotation)
		defer c.Pop()
	}
	sin64, cos64 := math.Sincos(sty.Rotation)
	sin, cos := vg.Length(sin64), vg.Length(cos64)
	pt.X, pt.Y = pt.Y*sin+pt.X*cos, pt.Y*cos-pt.X*sin

	latin := h.latin(sty.Font)
	pt.Y += sty.Height(txt)*vg.Length(sty.YAlign) - latin.Extents().Ascent
	bold := sty.Font.Weight >= xfont.WeightBold
	for i, line := range lines {
		width, _, _ := h.Box(line, sty.Font)
		at := pt.Add(vg.Point{X: vg.Length(sty.XAlign) * width, Y: vg.Length(len(lines)-i) * sty.Font.Size})
		for _, r := range h.runs(line, sty.Font) {
			face := h.face(r, sty.Font)
			c.FillString(face, at, r.text)
			if r.fallback && bold {
				c.FillString(face, at.Add(vg.Point{X: sty.Font.Size * fallbackBold}), r.text)
			}
			at.X += face.Width(r.text)
		}
	}
}

// FallbackRunes lists, in order of first appearance, the runes of texts
// that the chart draws with its fallback font: those Liberation Sans, in
// its regular or its bold weight, does not have. The fallback font is
// subset to them.
func FallbackRunes(texts []string) []rune {
	var buf sfnt.Buffer
	seen := map[rune]bool{}
	var out []rune
	cache := plot.DefaultTextHandler.Cache()
	regular, bold := cache.Lookup(regularFont, 1).Face, cache.Lookup(boldFont, 1).Face
	for _, t := range texts {
		for _, r := range t {
			if seen[r] || r == '\n' {
				continue
			}
			seen[r] = true
			if !hasGlyph(regular, &buf, r) || !hasGlyph(bold, &buf, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// MissingGlyphs lists, in order of first appearance, the runes of txt that
// the chart cannot draw in either weight: neither Liberation Sans nor its
// fallback font has them. A chart showing one draws a box in its place.
func MissingGlyphs(txt string) ([]rune, error) {
	f, err := fallbackFont()
	if err != nil {
		return nil, err
	}
	var buf sfnt.Buffer
	var out []rune
	for _, r := range FallbackRunes([]string{txt}) {
		if !hasGlyph(f, &buf, r) {
			out = append(out, r)
		}
	}
	return out, nil
}
