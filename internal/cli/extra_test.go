package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

type extraUsage struct{}

func (extraUsage) Error() string { return "demo: unexpected argument" }
func (extraUsage) Usage() string { return "Usage: alignbot demo\n" }

func TestWithCommand(t *testing.T) {
	var got []string
	demo := func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		got = args
		switch {
		case len(args) > 0 && args[0] == "bad":
			return extraUsage{}
		case len(args) > 0 && args[0] == "fail":
			return errors.New("it broke")
		}
		io.WriteString(stdout, "demo ran\n")
		return nil
	}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(args, &out, &errOut, refuseToServe, WithCommand("demo", demo))
		return code, out.String(), errOut.String()
	}
	if code, out, _ := run("demo", "--addr", "127.0.0.1:0"); code != 0 || out != "demo ran\n" || strings.Join(got, " ") != "--addr 127.0.0.1:0" {
		t.Errorf("demo: exit %d, %q, args %q", code, out, got)
	}
	if code, _, errOut := run("demo", "bad"); code != 2 || !strings.Contains(errOut, "unexpected argument") || !strings.Contains(errOut, "Usage: alignbot demo") {
		t.Errorf("a usage mistake: exit %d, %q; want 2 with the demo's usage", code, errOut)
	}
	if code, _, errOut := run("demo", "fail"); code != 1 || !strings.Contains(errOut, "it broke") {
		t.Errorf("a failure: exit %d, %q", code, errOut)
	}
	if code, out, _ := run("help"); code != 0 || !strings.Contains(out, "alignbot demo") {
		t.Errorf("help does not list the demo: %d %q", code, out)
	}
	// Without the option there is no demo command.
	if code, _, errOut := runCLI(t, "demo"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("demo without WithCommand: exit %d, %q", code, errOut)
	}
}
