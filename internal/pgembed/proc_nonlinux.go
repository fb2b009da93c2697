//go:build unix && !linux

package pgembed

import "syscall"

const supported = true

// serverProcAttr cannot ask for a parent-death signal outside Linux: there,
// postgres outlives alignbot unless Stop is called.
func serverProcAttr(a *account) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	if a != nil {
		attr.Credential = a.credential()
	}
	return attr
}

func initdbProcAttr(a *account) *syscall.SysProcAttr {
	if a == nil {
		return nil
	}
	return &syscall.SysProcAttr{Credential: a.credential()}
}

// ownThread cannot tell outside Linux; kill does not take thread ids there.
func ownThread(int) bool { return false }
