package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"

	"github.com/lib/pq"
)

// CreateScratchDatabase creates a new, empty database named prefix plus a
// random suffix on the server that serverURL points at, and returns its URL
// and a func that drops it (with any connection still open to it). A demo
// or a trial run uses one so that it never writes into the database the URL
// names. The user in serverURL must be allowed to create databases.
func CreateScratchDatabase(ctx context.Context, serverURL, prefix string) (string, func(context.Context) error, error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("create scratch database: want a postgres:// URL")
	}
	db, err := sql.Open("postgres", serverURL)
	if err != nil {
		return "", nil, fmt.Errorf("create scratch database: %w", err)
	}
	buf := make([]byte, 6)
	rand.Read(buf)
	name := prefix + hex.EncodeToString(buf)
	// template0 is empty whatever was added to template1.
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE template0"); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create scratch database %s (the user needs the CREATEDB privilege): %w", name, err)
	}
	drop := func(ctx context.Context) error {
		defer db.Close()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop scratch database %s: %w", name, err)
		}
		return nil
	}
	scratch := *u
	scratch.Path, scratch.RawPath = "/"+name, ""
	return scratch.String(), drop, nil
}
