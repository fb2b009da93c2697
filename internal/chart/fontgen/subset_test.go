package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"slices"
	"strings"
	"testing"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/chart"
	"github.com/alignbot/alignbot/internal/locale"
)

// committed is the subset the chart embeds, here the source font of
// smaller subsets, so the tests need no system font.
func committed(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../fonts/MotoyaLCedar-W3-subset.ttf")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// glyph is what a renderer reads of a rune: its outline and advance.
func glyph(t *testing.T, f *sfnt.Font, r rune) (sfnt.Segments, fixed.Int26_6) {
	t.Helper()
	var buf sfnt.Buffer
	g, err := f.GlyphIndex(&buf, r)
	if err != nil || g == 0 {
		t.Fatalf("no glyph for %q (%v)", r, err)
	}
	ppem := fixed.I(int(f.UnitsPerEm()))
	segs, err := f.LoadGlyph(&buf, g, ppem, nil)
	if err != nil {
		t.Fatalf("outline of %q: %v", r, err)
	}
	adv, err := f.GlyphAdvance(&buf, g, ppem, xfont.HintingNone)
	if err != nil {
		t.Fatalf("advance of %q: %v", r, err)
	}
	return slices.Clone(segs), adv
}

// TestSubset: a subset draws its runes as the source font does, has no
// other, is a well-formed TrueType file, and is the same bytes every time.
func TestSubset(t *testing.T) {
	t.Parallel()
	src := committed(t)
	runes := []rune("営業ラ。")
	got, err := subset(src, runes)
	if err != nil {
		t.Fatal(err)
	}
	again, err := subset(src, []rune("。ラ業営業"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, again) {
		t.Error("the same runes in another order give other bytes")
	}
	if len(got) >= len(src) {
		t.Errorf("subset of %d runes is %d bytes, its source %d", len(runes), len(got), len(src))
	}

	from, err := sfnt.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := sfnt.Parse(got)
	if err != nil {
		t.Fatalf("the subset does not parse: %v", err)
	}
	if n := sub.NumGlyphs(); n != len(runes)+1 {
		t.Errorf("%d glyphs, want %d and .notdef", n, len(runes))
	}
	for _, r := range runes {
		wantSegs, wantAdv := glyph(t, from, r)
		gotSegs, gotAdv := glyph(t, sub, r)
		if !slices.Equal(gotSegs, wantSegs) || gotAdv != wantAdv {
			t.Errorf("%q: outline or advance differs from the source font's", r)
		}
	}
	var buf sfnt.Buffer
	for _, r := range "ウ点A" {
		if g, err := sub.GlyphIndex(&buf, r); err != nil || g != 0 {
			t.Errorf("%q: glyph %d (%v), want none", r, g, err)
		}
	}
	if name, err := sub.Name(&buf, sfnt.NameIDCopyright); err != nil || !strings.Contains(name, "MOTOYA") {
		t.Errorf("copyright %q (%v), want the source font's", name, err)
	}

	if sum := checksum(got); sum != 0xB1B0AFBA {
		t.Errorf("the file sums to %08x, want b1b0afba", sum)
	}
	tables, err := readTables(got)
	if err != nil {
		t.Fatal(err)
	}
	n := int(binary.BigEndian.Uint16(got[4:]))
	for i := range n {
		rec := got[12+16*i:]
		tag := string(rec[:4])
		want := checksum(tables[tag])
		if tag == "head" {
			head := slices.Clone(tables[tag])
			binary.BigEndian.PutUint32(head[8:], 0)
			want = checksum(head)
		}
		if got := binary.BigEndian.Uint32(rec[4:]); got != want {
			t.Errorf("table %q: checksum %08x, want %08x", tag, got, want)
		}
		if i > 0 && string(got[12+16*(i-1):][:4]) >= tag {
			t.Errorf("table %q is out of order", tag)
		}
	}
}

func TestSubsetRefuses(t *testing.T) {
	t.Parallel()
	src := committed(t)
	tests := []struct {
		name    string
		src     []byte
		runes   string
		wantErr string
	}{
		{"a rune the font lacks", src, "営鬱", `no glyph for "鬱"`},
		{"outside the BMP", src, "😀", "outside the Basic Multilingual Plane"},
		{"CFF outlines", append([]byte("OTTO"), src[4:]...), "営", "CFF (PostScript) outlines"},
		{"a collection", append([]byte("ttcf"), src[4:]...), "営", "font collection"},
		{"not a font", []byte("hello, world"), "営", "not a TrueType font"},
		{"truncated directory", src[:100], "営", "truncated table directory"},
		{"truncated tables", src[:1000], "営", "past the end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := subset(tt.src, []rune(tt.runes))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("subset() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestCommittedSubsetIsCurrent: regenerating from the source font gives the
// committed file. It needs the source font, which Debian's
// fonts-motoya-l-cedar installs: without it the test is skipped, unless
// ALIGNBOT_REQUIRE_CHART_FONT is set (CI sets it). TestChartTextsHaveGlyphs
// in bot/render holds the committed file sufficient in any case.
func TestCommittedSubsetIsCurrent(t *testing.T) {
	t.Parallel()
	const source = "/usr/share/fonts/truetype/motoya-l-cedar/MTLc3m.ttf"
	full, err := os.ReadFile(source)
	if err != nil {
		if os.Getenv("ALIGNBOT_REQUIRE_CHART_FONT") != "" {
			t.Fatalf("no source font (apt-get install fonts-motoya-l-cedar): %v", err)
		}
		t.Skipf("no source font (apt-get install fonts-motoya-l-cedar): %v", err)
	}
	var texts []string
	for _, l := range locale.Langs {
		tx, err := render.ChartTexts(l)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, tx...)
	}
	want, err := subset(full, chart.FallbackRunes(texts))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed(t), want) {
		t.Error("internal/chart/fonts/MotoyaLCedar-W3-subset.ttf is not what the generator makes now: go generate ./internal/chart")
	}
}

// TestCompositeGlyph: a composite glyph keeps its parts, renumbered, and
// loses its instructions. (Motoya L Cedar has no composite glyph, so the
// glyph is made up.)
func TestCompositeGlyph(t *testing.T) {
	t.Parallel()
	u16 := func(b []byte, v ...uint16) []byte {
		for _, x := range v {
			b = binary.BigEndian.AppendUint16(b, x)
		}
		return b
	}
	// One contour, two bytes of instructions, then the points.
	simple := u16(nil, 1, 0, 0, 10, 10, 0, 2, 0xAABB, 0x0100, 0)
	header := u16(nil, 0xFFFF, 0, 0, 10, 10)
	first := u16(nil, argsAreWords|moreComponents, 1, 5, 6)           // glyph 1 at (5, 6)
	second := u16(nil, haveScale|haveInstructions, 1, 0x0203, 0x4000) // glyph 1 at (2, 3), scale 1
	composite := slices.Concat(header, first, second, u16(nil, 1), []byte{0xCC})
	f := &font{glyf: append(slices.Clone(simple), composite...), offsets: []uint32{0, 0, uint32(len(simple)), uint32(len(simple) + len(composite))}, numGlyphs: 3}

	parts, err := f.components(2)
	if err != nil || !slices.Equal(parts, []uint16{1, 1}) {
		t.Fatalf("components(2) = %v, %v; want [1 1]", parts, err)
	}
	got, err := f.unhinted(2, map[uint16]uint16{1: 7})
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Concat(header, u16(nil, argsAreWords|moreComponents, 7, 5, 6), u16(nil, haveScale, 7, 0x0203, 0x4000))
	if !bytes.Equal(got, want) {
		t.Errorf("unhinted(2) = % x, want % x", got, want)
	}
	got, err = f.unhinted(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := u16(nil, 1, 0, 0, 10, 10, 0, 0, 0x0100, 0); !bytes.Equal(got, want) {
		t.Errorf("unhinted(1) = % x, want % x", got, want)
	}
	if _, err := (&font{glyf: composite[:14], offsets: []uint32{0, 14}, numGlyphs: 1}).components(0); err == nil {
		t.Error("a truncated composite glyph is read without error")
	}
}
