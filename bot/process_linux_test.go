package bot

import "syscall"

// replicaProcAttr makes a replica process die with the test process.
func replicaProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
