package scoring

// Instruments lists every instrument a round can use, the default first.
var Instruments = []*Instrument{AlignmentMaturity, StageGate, RevenueAlignment}

// Default is the instrument a round uses unless another is chosen: seed 000's
// Marketing-Sales Alignment Maturity Diagnostic.
func Default() *Instrument { return Instruments[0] }

// Lookup returns the instrument with the given ID.
func Lookup(id string) (*Instrument, bool) {
	for _, in := range Instruments {
		if in.ID == id {
			return in, true
		}
	}
	return nil, false
}
