//go:build !unix

package pgembed

import (
	"os"
	"syscall"
)

// Start refuses to run outside Unix; the rest only has to compile.
const supported = false

type account struct{ name string }

func serverAccount(string) (*account, error)                 { return nil, nil }
func (*account) chown(string) error                          { return nil }
func unreachableError(err error, _ string, _ *account) error { return err }
func serverProcAttr(*account) *syscall.SysProcAttr           { return nil }
func initdbProcAttr(*account) *syscall.SysProcAttr           { return nil }
func interrupt(p *os.Process) error                          { return p.Kill() }
func quit(p *os.Process) error                               { return p.Kill() }
func alive(int) bool                                         { return false }
func ownThread(int) bool                                     { return false }
