package demo

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestCommandLine(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := Command(context.Background(), []string{"--help"}, &out, &errOut); err != nil || !strings.Contains(out.String(), "Usage: alignbot demo") || !strings.Contains(out.String(), "-keep") {
		t.Errorf("--help: %v, %q", err, out.String())
	}
	for _, args := range [][]string{{"--bogus"}, {"extra"}, {"--addr", "8080"}} {
		err := Command(context.Background(), args, &out, &errOut)
		var u usageError
		if !errors.As(err, &u) || !strings.Contains(u.Usage(), "Usage: alignbot demo") {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

func TestStartRefusesATakenAddress(t *testing.T) {
	t.Parallel()
	d := startDemo(t, monday)
	_, err := Start(context.Background(), Config{Addr: strings.TrimPrefix(d.URL(), "http://"), DatabaseURL: "postgres://unused"})
	if err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Errorf("a taken address: %v, want it named as in use", err)
	}
}
