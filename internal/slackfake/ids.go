package slackfake

import (
	"fmt"
	"strings"
)

const (
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	mixedAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// nextTS returns a new message timestamp, "1700000000.000100": seconds and
// microseconds of the fake's clock, strictly increasing across the server so
// that every message has its own. The caller holds s.mu.
func (s *Server) nextTS() string {
	micros := s.now().UnixMicro()
	if micros <= s.lastTS {
		micros = s.lastTS + 1
	}
	s.lastTS = micros
	return formatTS(micros)
}

func formatTS(micros int64) string {
	return fmt.Sprintf("%d.%06d", micros/1_000_000, micros%1_000_000)
}

// actionTS returns a timestamp for an action or event: the clock's time,
// not necessarily unique. The caller holds s.mu.
func (s *Server) actionTS() string {
	return formatTS(s.now().UnixMicro())
}

// randomString returns n characters drawn from alphabet. The caller holds
// s.mu.
func (s *Server) randomString(alphabet string, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(alphabet[s.ids.IntN(len(alphabet))])
	}
	return b.String()
}

// newEnvelopeID returns a UUID, as Slack's envelope IDs are. The caller holds
// s.mu.
func (s *Server) newEnvelopeID() string {
	hi, lo := s.ids.Uint64(), s.ids.Uint64()
	hi = hi&^0xf000 | 0x4000     // version 4
	lo = lo&^(0xc<<60) | 0x8<<60 // RFC 4122 variant
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x",
		hi>>32, (hi>>16)&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}

// newEventID returns an Events API event ID such as "Ev06ABCDEF12". The caller
// holds s.mu.
func (s *Server) newEventID() string {
	return "Ev0" + s.randomString(upperAlnum, 9)
}

// newTriggerID returns a trigger_id shaped like Slack's:
// "1234567890123.1234567890.0123456789abcdef0123456789abcdef". The caller
// holds s.mu.
func (s *Server) newTriggerID() string {
	return fmt.Sprintf("%d.%d.%s",
		1_000_000_000_000+s.ids.Int64N(9_000_000_000_000),
		1_000_000_000+s.ids.Int64N(9_000_000_000),
		s.randomString("0123456789abcdef", 32))
}

// newViewID returns a view ID such as "V0123ABCDEF". The caller holds s.mu.
func (s *Server) newViewID() string {
	s.viewSeq++
	return fmt.Sprintf("V%04d%s", s.viewSeq, s.randomString(upperAlnum, 6))
}

// newHash returns a view hash such as "1700000000.AbCdEf12". The caller holds
// s.mu.
func (s *Server) newHash() string {
	return fmt.Sprintf("%d.%s", s.now().Unix(), s.randomString(mixedAlnum, 8))
}
