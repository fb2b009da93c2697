package locale

import (
	"fmt"
	"testing"
)

// A printer writes a message once per id and shape of its data: what it
// remembers, filled with the strings, is what it would write, and
// different data, counts or ids never share.
func TestPrinterRemembersWhatItWrote(t *testing.T) {
	t.Parallel()
	for _, l := range Langs {
		p := For(l)
		fresh := &Printer{lang: p.lang, loc: p.loc}
		for _, tc := range []struct {
			id string
			n  int
			kv []any
		}{
			{"list.pair", -1, []any{"First", "a", "Second", "b"}},
			{"list.pair", -1, []any{"First", "b", "Second", "a"}},
			{"list.pair", -1, []any{"First", "a\x00", "Second", "b"}},
			{"list.pair", -1, []any{"First", "", "Second", "<#C1>"}},
			{"list.pair", -1, []any{"First", "\x001\x00", "Second", "b"}},
			{"list.pair", -1, []any{"First", 3, "Second", "b & c"}},
			{"list.separator", -1, nil},
			{"interval.days", 1, nil},
			{"interval.days", 2, nil},
			{"interval.days", 90, nil},
			{"interval.hours", 2, nil},
		} {
			write := func(p *Printer) string {
				if tc.n < 0 {
					return p.T(tc.id, tc.kv...)
				}
				return p.N(tc.id, tc.n, tc.kv...)
			}
			want := write(fresh)
			for i := range 2 {
				if got := write(p); got != want {
					t.Errorf("%s: %s %d %v, call %d: %q, want %q", l, tc.id, tc.n, tc.kv, i, got, want)
				}
			}
		}
		if a, b := p.N("interval.days", 1), p.N("interval.days", 2); a == b {
			t.Errorf("%s: one day and two days both read %q", l, a)
		}
	}
}

// Past maxMemo, messages are written anew: still right, never kept.
func TestPrinterRemembersBoundedly(t *testing.T) {
	t.Parallel()
	p := &Printer{lang: English, loc: For(English).loc}
	for i := range maxMemo + 10 {
		if got, want := p.T("list.pair", "First", i, "Second", "x"), fmt.Sprint(i)+" and x"; got != want {
			t.Fatalf("%q, want %q", got, want)
		}
	}
	n := 0
	p.memo.Range(func(_, _ any) bool { n++; return true })
	if n != maxMemo {
		t.Errorf("%d messages kept, want %d", n, maxMemo)
	}
}
