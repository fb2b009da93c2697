package demo

import (
	"cmp"
	"maps"
	"slices"
)

// byValue returns m's keys in the order of their values, then of the keys.
func byValue(m map[string]string) []string {
	return slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		return cmp.Or(cmp.Compare(m[a], m[b]), cmp.Compare(a, b))
	})
}
