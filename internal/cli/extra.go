package cli

import (
	"context"
	"errors"
	"io"
)

// Command is a subcommand that main wires in from a package this one must
// not import (the demo runs the bot): it parses its own arguments and runs
// until ctx is done. An error with a Usage method is a mistake on the
// command line: its usage is printed after it and the exit code is 2.
type Command func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// Option adds to what Main can run.
type Option func(map[string]command)

// WithCommand makes `alignbot NAME` run cmd.
func WithCommand(name string, cmd Command) Option {
	return func(m map[string]command) { m[name] = command(cmd) }
}

// commandUsageError is what an extra command's usage mistakes implement.
type commandUsageError interface {
	error
	Usage() string
}

// asUsageError turns an extra command's usage mistake into this package's.
func asUsageError(err error) error {
	var u commandUsageError
	if errors.As(err, &u) {
		return usageError{msg: u.Error(), usage: u.Usage()}
	}
	return err
}
