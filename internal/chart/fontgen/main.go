// Command fontgen writes the chart's fallback font: a TrueType font cut
// down to the glyphs that the reveal's chart draws in some language and
// Liberation Sans lacks (Japanese, today). It is run by go generate in
// internal/chart:
//
//	go run ./fontgen -src /usr/share/fonts/truetype/motoya-l-cedar/MTLc3m.ttf -out fonts/MotoyaLCedar-W3-subset.ttf
//
// The texts are the charts' own, from render.ChartTexts in every language
// alignbot speaks, so a catalog or instrument change that brings a new
// character to a chart needs only this run. The same source font and texts
// always give the same bytes.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"

	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/chart"
	"github.com/alignbot/alignbot/internal/locale"
)

func main() {
	src := flag.String("src", "", "the TrueType font to cut down (Debian's fonts-motoya-l-cedar installs /usr/share/fonts/truetype/motoya-l-cedar/MTLc3m.ttf)")
	out := flag.String("out", "", "where to write the subset")
	flag.Parse()
	if err := run(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "fontgen:", err)
		os.Exit(1)
	}
}

func run(src, out string) error {
	if src == "" || out == "" {
		return errors.New("both -src and -out are required")
	}
	full, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("%w (on Debian: apt-get install fonts-motoya-l-cedar)", err)
	}
	var texts []string
	for _, l := range locale.Langs {
		t, err := render.ChartTexts(l)
		if err != nil {
			return err
		}
		texts = append(texts, t...)
	}
	runes := chart.FallbackRunes(texts)
	sub, err := subset(full, runes)
	if err != nil {
		return fmt.Errorf("subset %s: %w", src, err)
	}
	if err := check(sub, runes); err != nil {
		return fmt.Errorf("the subset of %s: %w", src, err)
	}
	if old, err := os.ReadFile(out); err == nil && bytes.Equal(old, sub) {
		fmt.Printf("%s is up to date: %d characters, %d bytes\n", out, len(runes), len(sub))
		return nil
	}
	if err := os.WriteFile(out, sub, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d characters, %d bytes (from %d)\n", out, len(runes), len(sub), len(full))
	return nil
}

// check reads the subset back as the chart will, and draws every rune's
// outline.
func check(font []byte, runes []rune) error {
	f, err := opentype.Parse(font)
	if err != nil {
		return err
	}
	var buf sfnt.Buffer
	for _, r := range runes {
		g, err := f.GlyphIndex(&buf, r)
		if err != nil {
			return err
		}
		if g == 0 {
			return fmt.Errorf("no glyph for %q", r)
		}
		if _, err := f.LoadGlyph(&buf, g, fixed.I(int(f.UnitsPerEm())), nil); err != nil {
			return fmt.Errorf("outline of %q: %w", r, err)
		}
	}
	return nil
}
