package pgembed

import (
	"os"
	"strconv"
	"syscall"
)

const supported = true

func serverProcAttr(a *account) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{
		// A Ctrl-C at the terminal is for alignbot, which stops postgres
		// after its own shutdown.
		Setpgid: true,
		// If alignbot dies without calling Stop, the kernel asks postgres
		// for a fast shutdown.
		Pdeathsig: syscall.SIGINT,
	}
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

// ownThread reports whether id is one of this process' threads, which kill
// would find alive.
func ownThread(id int) bool {
	_, err := os.Stat("/proc/self/task/" + strconv.Itoa(id))
	return err == nil
}
