//go:build !linux

package bot

import "syscall"

// replicaProcAttr is nil where the kernel cannot kill a child with its
// parent; the tests' cleanups kill it.
func replicaProcAttr() *syscall.SysProcAttr { return nil }
