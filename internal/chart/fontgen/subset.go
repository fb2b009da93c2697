package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sort"

	"golang.org/x/image/font/sfnt"
)

// subset is a TrueType font holding only the glyphs of runes (and the
// glyphs their composite glyphs are built from), with the tables a
// renderer needs to draw them: cmap, glyf, loca, hmtx, hhea, head, maxp,
// post, and name and OS/2 as they were, so the font keeps its copyright
// and licence strings. Hinting goes (x/image/font draws unhinted), and so
// do vertical metrics and layout tables, which would need renumbering.
//
// The glyphs are numbered .notdef first, then in the order of their first
// rune, so the same font and runes always give the same bytes: nothing in
// it depends on the clock or on map order.
func subset(src []byte, runes []rune) ([]byte, error) {
	tables, err := readTables(src)
	if err != nil {
		return nil, err
	}
	f, err := parseFont(src, tables)
	if err != nil {
		return nil, err
	}

	runes = slices.Clone(runes)
	slices.Sort(runes)
	runes = slices.Compact(runes)
	parsed, err := sfnt.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("parse font: %w", err)
	}
	var buf sfnt.Buffer
	oldIDs := []uint16{0} // new glyph ID → old; .notdef stays first
	newID := map[uint16]uint16{0: 0}
	runeGlyph := make([]uint16, len(runes)) // new glyph ID of each rune
	var missing []rune
	for i, r := range runes {
		if r > 0xFFFF {
			return nil, fmt.Errorf("%q (U+%04X) is outside the Basic Multilingual Plane, which this subsetter's cmap does not cover", r, r)
		}
		g, err := parsed.GlyphIndex(&buf, r)
		if err != nil {
			return nil, fmt.Errorf("glyph of %q: %w", r, err)
		}
		if g == 0 {
			missing = append(missing, r)
			continue
		}
		id, ok := newID[uint16(g)]
		if !ok {
			id = uint16(len(oldIDs))
			newID[uint16(g)] = id
			oldIDs = append(oldIDs, uint16(g))
		}
		runeGlyph[i] = id
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the font has no glyph for %q", string(missing))
	}
	// Composite glyphs are drawn from others: keep those too, after the
	// ones named by a rune.
	for i := 0; i < len(oldIDs); i++ {
		parts, err := f.components(oldIDs[i])
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			if _, ok := newID[p]; !ok {
				newID[p] = uint16(len(oldIDs))
				oldIDs = append(oldIDs, p)
			}
		}
	}

	var glyf, loca, hmtx []byte
	for _, old := range oldIDs {
		loca = binary.BigEndian.AppendUint32(loca, uint32(len(glyf)))
		g, err := f.unhinted(old, newID)
		if err != nil {
			return nil, err
		}
		glyf = append(glyf, g...)
		for len(glyf)%4 != 0 {
			glyf = append(glyf, 0)
		}
		adv, lsb := f.metrics(old)
		hmtx = binary.BigEndian.AppendUint16(hmtx, adv)
		hmtx = binary.BigEndian.AppendUint16(hmtx, uint16(lsb))
	}
	loca = binary.BigEndian.AppendUint32(loca, uint32(len(glyf)))

	head := slices.Clone(tables["head"])
	binary.BigEndian.PutUint32(head[8:], 0)  // checkSumAdjustment, set once the file is whole
	binary.BigEndian.PutUint16(head[50:], 1) // indexToLocFormat: long offsets
	hhea := slices.Clone(tables["hhea"])
	binary.BigEndian.PutUint16(hhea[34:], uint16(len(oldIDs))) // numberOfHMetrics
	maxp := slices.Clone(tables["maxp"])
	binary.BigEndian.PutUint16(maxp[4:], uint16(len(oldIDs))) // numGlyphs
	post := slices.Clone(tables["post"][:32])
	binary.BigEndian.PutUint32(post[0:], 0x00030000) // version 3: no glyph names to renumber

	out := map[string][]byte{
		"cmap": cmapFormat4(runes, runeGlyph),
		"glyf": glyf,
		"head": head,
		"hhea": hhea,
		"hmtx": hmtx,
		"loca": loca,
		"maxp": maxp,
		"post": post,
	}
	for _, tag := range []string{"name", "OS/2"} {
		if t, ok := tables[tag]; ok {
			out[tag] = t
		}
	}
	return writeFont(out), nil
}

// readTables splits a TrueType font into its tables, by tag.
func readTables(b []byte) (map[string][]byte, error) {
	if len(b) < 12 {
		return nil, errors.New("not a font: too short")
	}
	switch v := binary.BigEndian.Uint32(b); v {
	case 0x00010000, 0x74727565: // 1.0, "true"
	case 0x4F54544F: // "OTTO"
		return nil, errors.New("the font has CFF (PostScript) outlines; this subsetter needs a TrueType (glyf) font")
	case 0x74746366: // "ttcf"
		return nil, errors.New("the file is a font collection (.ttc); extract one TrueType font first")
	default:
		return nil, fmt.Errorf("not a TrueType font (version %08x)", v)
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	if len(b) < 12+16*n {
		return nil, errors.New("not a font: truncated table directory")
	}
	tables := make(map[string][]byte, n)
	for i := range n {
		rec := b[12+16*i:]
		tag := string(rec[:4])
		off, length := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
		if uint64(off)+uint64(length) > uint64(len(b)) {
			return nil, fmt.Errorf("table %q runs past the end of the file", tag)
		}
		tables[tag] = b[off : off+length]
	}
	for _, tag := range []string{"cmap", "glyf", "head", "hhea", "hmtx", "loca", "maxp", "post"} {
		if _, ok := tables[tag]; !ok {
			return nil, fmt.Errorf("the font has no %q table", tag)
		}
	}
	if len(tables["head"]) < 54 || len(tables["hhea"]) < 36 || len(tables["maxp"]) < 6 || len(tables["post"]) < 32 {
		return nil, errors.New("the font's head, hhea, maxp or post table is too short")
	}
	return tables, nil
}

// font is what subset reads of the source font's glyphs.
type font struct {
	glyf, hmtx  []byte
	offsets     []uint32 // loca, one more than the glyphs
	hMetrics    int
	numGlyphs   int
	locaIsShort bool
}

func parseFont(src []byte, t map[string][]byte) (*font, error) {
	f := &font{
		glyf:        t["glyf"],
		hmtx:        t["hmtx"],
		numGlyphs:   int(binary.BigEndian.Uint16(t["maxp"][4:])),
		hMetrics:    int(binary.BigEndian.Uint16(t["hhea"][34:])),
		locaIsShort: binary.BigEndian.Uint16(t["head"][50:]) == 0,
	}
	if f.hMetrics == 0 || f.hMetrics > f.numGlyphs || len(f.hmtx) < 4*f.hMetrics+2*(f.numGlyphs-f.hMetrics) {
		return nil, errors.New("the font's hmtx table does not match hhea and maxp")
	}
	loca := t["loca"]
	for i := range f.numGlyphs + 1 {
		var off uint32
		if f.locaIsShort {
			if len(loca) < 2*i+2 {
				return nil, errors.New("the font's loca table is too short")
			}
			off = 2 * uint32(binary.BigEndian.Uint16(loca[2*i:]))
		} else {
			if len(loca) < 4*i+4 {
				return nil, errors.New("the font's loca table is too short")
			}
			off = binary.BigEndian.Uint32(loca[4*i:])
		}
		if off > uint32(len(f.glyf)) || (i > 0 && off < f.offsets[i-1]) {
			return nil, fmt.Errorf("the font's loca entry %d is out of order or past glyf", i)
		}
		f.offsets = append(f.offsets, off)
	}
	return f, nil
}

func (f *font) glyph(id uint16) ([]byte, error) {
	if int(id) >= f.numGlyphs {
		return nil, fmt.Errorf("glyph %d: the font has %d", id, f.numGlyphs)
	}
	return f.glyf[f.offsets[id]:f.offsets[id+1]], nil
}

func (f *font) metrics(id uint16) (advance uint16, lsb int16) {
	i := int(id)
	if i < f.hMetrics {
		return binary.BigEndian.Uint16(f.hmtx[4*i:]), int16(binary.BigEndian.Uint16(f.hmtx[4*i+2:]))
	}
	advance = binary.BigEndian.Uint16(f.hmtx[4*(f.hMetrics-1):])
	return advance, int16(binary.BigEndian.Uint16(f.hmtx[4*f.hMetrics+2*(i-f.hMetrics):]))
}

// Composite glyph flags (OpenType glyf table).
const (
	argsAreWords     = 0x0001
	haveScale        = 0x0008
	moreComponents   = 0x0020
	haveXYScale      = 0x0040
	haveTwoByTwo     = 0x0080
	haveInstructions = 0x0100
)

// component is one part of a composite glyph: where its glyph ID sits in
// the glyph's data.
type component struct {
	at    int
	glyph uint16
	flags uint16
	end   int // just past the component's record
}

func (f *font) parts(id uint16) ([]byte, []component, error) {
	g, err := f.glyph(id)
	if err != nil || len(g) == 0 || int16(binary.BigEndian.Uint16(g)) >= 0 {
		return g, nil, err // empty or simple
	}
	var parts []component
	for at := 10; ; {
		if len(g) < at+4 {
			return nil, nil, fmt.Errorf("composite glyph %d is truncated", id)
		}
		c := component{at: at + 2, flags: binary.BigEndian.Uint16(g[at:]), glyph: binary.BigEndian.Uint16(g[at+2:])}
		n := 4 + 2
		if c.flags&argsAreWords != 0 {
			n = 4 + 4
		}
		switch {
		case c.flags&haveScale != 0:
			n += 2
		case c.flags&haveXYScale != 0:
			n += 4
		case c.flags&haveTwoByTwo != 0:
			n += 8
		}
		at += n
		if len(g) < at {
			return nil, nil, fmt.Errorf("composite glyph %d is truncated", id)
		}
		c.end = at
		parts = append(parts, c)
		if c.flags&moreComponents == 0 {
			return g, parts, nil
		}
	}
}

// components lists the glyphs a composite glyph is drawn from.
func (f *font) components(id uint16) ([]uint16, error) {
	_, parts, err := f.parts(id)
	var ids []uint16
	for _, p := range parts {
		ids = append(ids, p.glyph)
	}
	return ids, err
}

// unhinted is glyph id's data without its hinting instructions, its
// components renumbered by newID.
func (f *font) unhinted(id uint16, newID map[uint16]uint16) ([]byte, error) {
	g, parts, err := f.parts(id)
	if err != nil || len(g) == 0 {
		return nil, err
	}
	if parts != nil {
		last := parts[len(parts)-1]
		out := slices.Clone(g[:last.end])
		for _, p := range parts {
			binary.BigEndian.PutUint16(out[p.at-2:], p.flags&^haveInstructions)
			binary.BigEndian.PutUint16(out[p.at:], newID[p.glyph])
		}
		return out, nil
	}
	contours := int(binary.BigEndian.Uint16(g))
	at := 10 + 2*contours // instructionLength
	if len(g) < at+2 {
		return nil, fmt.Errorf("glyph %d is truncated", id)
	}
	skip := int(binary.BigEndian.Uint16(g[at:]))
	if len(g) < at+2+skip {
		return nil, fmt.Errorf("glyph %d is truncated", id)
	}
	out := slices.Clone(g[:at])
	out = append(out, 0, 0)
	return append(out, g[at+2+skip:]...), nil
}

// cmapFormat4 maps each rune to its glyph: one Windows Unicode BMP
// subtable, a segment for each run of consecutive runes with consecutive
// glyphs.
func cmapFormat4(runes []rune, glyphs []uint16) []byte {
	type segment struct{ start, end, delta uint16 }
	var segs []segment
	for i, r := range runes {
		c, g := uint16(r), glyphs[i]
		if n := len(segs); n > 0 && segs[n-1].end+1 == c && segs[n-1].delta+c == g {
			segs[n-1].end = c
			continue
		}
		segs = append(segs, segment{start: c, end: c, delta: g - c})
	}
	segs = append(segs, segment{start: 0xFFFF, end: 0xFFFF, delta: 1})

	n := len(segs)
	searchRange := 2 << (bits.Len(uint(n)) - 1)
	var sub []byte
	u16 := func(v int) { sub = binary.BigEndian.AppendUint16(sub, uint16(v)) }
	u16(4)           // format
	u16(16 + 8*n)    // length
	u16(0)           // language
	u16(2 * n)       // segCountX2
	u16(searchRange) // searchRange
	u16(bits.Len(uint(n)) - 1)
	u16(2*n - searchRange)
	for _, s := range segs {
		u16(int(s.end))
	}
	u16(0) // reservedPad
	for _, s := range segs {
		u16(int(s.start))
	}
	for _, s := range segs {
		u16(int(s.delta))
	}
	for range segs {
		u16(0) // idRangeOffset: the glyph is rune + delta
	}

	cmap := []byte{0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 12} // version 0, one subtable: Windows (3), Unicode BMP (1), at 12
	return append(cmap, sub...)
}

// writeFont lays tables out as a TrueType file: the directory in tag
// order, each table 4-byte aligned with its checksum, and head's
// checkSumAdjustment making the whole file sum to 0xB1B0AFBA.
func writeFont(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for tag := range tables {
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	n := len(tags)
	searchRange := 16 << (bits.Len(uint(n)) - 1)
	out := binary.BigEndian.AppendUint32(nil, 0x00010000)
	out = binary.BigEndian.AppendUint16(out, uint16(n))
	out = binary.BigEndian.AppendUint16(out, uint16(searchRange))
	out = binary.BigEndian.AppendUint16(out, uint16(bits.Len(uint(n))-1))
	out = binary.BigEndian.AppendUint16(out, uint16(16*n-searchRange))
	offset := len(out) + 16*n
	headAt := 0
	var body []byte
	for _, tag := range tags {
		t := tables[tag]
		if tag == "head" {
			headAt = offset + len(body)
		}
		out = append(out, tag...)
		out = binary.BigEndian.AppendUint32(out, checksum(t))
		out = binary.BigEndian.AppendUint32(out, uint32(offset+len(body)))
		out = binary.BigEndian.AppendUint32(out, uint32(len(t)))
		body = append(body, t...)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
	}
	out = append(out, body...)
	binary.BigEndian.PutUint32(out[headAt+8:], 0xB1B0AFBA-checksum(out))
	return out
}

// checksum is the sum of b as big-endian uint32s, zero-padded.
func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var word [4]byte
		copy(word[:], b[i:])
		sum += binary.BigEndian.Uint32(word[:])
	}
	return sum
}
