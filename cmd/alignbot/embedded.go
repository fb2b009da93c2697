package main

// The binary carries what a bare container image (FROM scratch) lacks:
// the time-zone database, for people's working hours in their own zone,
// and Mozilla's CA roots, to check Slack's TLS certificate. Each is used
// only when the system has none: the system's own stays authoritative.
import (
	_ "time/tzdata"

	_ "golang.org/x/crypto/x509roots/fallback"
)
