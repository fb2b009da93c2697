package chart

import (
	"bytes"
	"image/color"
	"image/png"
	"slices"
	"testing"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// drawWith draws txt with handler h, aligned as the chart's title and tick
// labels are, and returns the PNG.
func drawWith(t *testing.T, h text.Handler, f font.Font, txt string) []byte {
	t.Helper()
	img := vgimg.NewWith(vgimg.UseWH(8*vg.Inch, vg.Inch), vgimg.UseDPI(dpi))
	c := draw.New(img)
	for i, align := range []struct {
		x text.XAlignment
		y text.YAlignment
	}{{draw.XLeft, draw.YTop}, {draw.XCenter, draw.YCenter}, {draw.XRight, draw.YBottom}} {
		sty := draw.TextStyle{Color: color.Black, Font: font.From(f, 14), Handler: h, XAlign: align.x, YAlign: align.y}
		c.FillText(sty, vg.Point{X: vg.Length(i+1) * 2 * vg.Inch, Y: vg.Inch / 2}, txt)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img.Image()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestLatinTextDrawsAsBefore: a text Liberation Sans draws whole is
// measured and drawn exactly as gonum's plain handler does, pixel for
// pixel, in every Latin-script language alignbot speaks.
func TestLatinTextDrawsAsBefore(t *testing.T) {
	t.Parallel()
	h, err := textHandler()
	if err != nil {
		t.Fatal(err)
	}
	plain := plot.DefaultTextHandler
	for _, txt := range []string{
		"Round 7 · Marketing-Sales Alignment Maturity Diagnostic",
		"Rodada 3 · Diagnóstico de Maturidade do Alinhamento entre Marketing e Vendas",
		"Selisih 2 poin: kesenjangan struktural",
		`Um toco fino é "0 não existe" (0);`,
		"Q10",
	} {
		for _, f := range []font.Font{regularFont, boldFont} {
			f = font.From(f, 14)
			gw, gh, gd := h.Box(txt, f)
			ww, wh, wd := plain.Box(txt, f)
			if gw != ww || gh != wh || gd != wd {
				t.Errorf("Box(%q, %s) = %v %v %v, want gonum's %v %v %v", txt, f.Name(), gw, gh, gd, ww, wh, wd)
			}
			if !bytes.Equal(drawWith(t, h, f, txt), drawWith(t, plain, f, txt)) {
				t.Errorf("%q in %s is drawn differently from gonum's plain text", txt, f.Name())
			}
		}
	}
}

// TestRunsSplitScripts: a Japanese label is cut where it changes between
// Liberation Sans (Latin letters, digits, spaces, ASCII punctuation) and the
// fallback font (kana, kanji, full-width punctuation), and every rune of a
// run has a glyph in the face that draws it.
func TestRunsSplitScripts(t *testing.T) {
	t.Parallel()
	h, err := textHandler()
	if err != nil {
		t.Fatal(err)
	}
	s := h.(scripts)
	tests := []struct {
		text string
		want []run
	}{
		{"Marketing", []run{{"Marketing", false}}},
		{"営業", []run{{"営業", true}}},
		{"ラウンド 7 · マーケティング・営業アライメント成熟度診断", []run{
			{"ラウンド", true}, {" 7 · ", false}, {"マーケティング・営業アライメント成熟度診断", true}}},
		{"営業 (ラウンド 6) （回答なし）", []run{{"営業", true}, {" (", false}, {"ラウンド", true}, {" 6) ", false}, {"（回答なし）", true}}},
		{`細い棒は "0 未整備" (0)。`, []run{{"細い棒は", true}, {` "0 `, false}, {"未整備", true}, {`" (0)`, false}, {"。", true}}},
		{"2点の差：構造的ギャップ", []run{{"2", false}, {"点の差：構造的ギャップ", true}}},
		{"", nil},
	}
	var buf sfnt.Buffer
	for _, tt := range tests {
		for _, f := range []font.Font{regularFont, boldFont} {
			f = font.From(f, 14)
			got := s.runs(tt.text, f)
			if !slices.Equal(got, tt.want) {
				t.Errorf("runs(%q, %s) = %+v, want %+v", tt.text, f.Name(), got, tt.want)
			}
			for _, r := range got {
				face := s.face(r, f)
				for _, c := range r.text {
					g, err := face.Face.GlyphIndex(&buf, c)
					if err != nil || g == 0 {
						t.Errorf("%q of %q: no glyph in %s (%v)", c, tt.text, face.Name(), err)
						continue
					}
					if _, err := face.Face.GlyphAdvance(&buf, g, 14*64, xfont.HintingNone); err != nil {
						t.Errorf("%q of %q: no advance in %s: %v", c, tt.text, face.Name(), err)
					}
				}
			}
		}
	}
	// A mixed line is as wide as its runs, and at least as high as Liberation
	// Sans, so that its neighbours do not move.
	f := font.From(regularFont, 14)
	txt := "営業 (ラウンド 6)"
	w, ht, d := s.Box(txt, f)
	var sum vg.Length
	for _, r := range s.runs(txt, f) {
		face := s.face(r, f)
		sum += face.Width(r.text)
	}
	_, lh, ld := s.plain.Box("Sales (round 6)", f)
	if w != sum || ht < lh || d < ld {
		t.Errorf("Box(%q) = %v %v %v, want width %v and at least %v high, %v deep", txt, w, ht, d, sum, lh, ld)
	}
}
