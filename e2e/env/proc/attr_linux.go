package proc

import "syscall"

// Attr returns the SysProcAttr of every child: its own process group, and SIGKILL when the
// thread that started it dies (Go keeps its threads alive, so in practice: the process).
func Attr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
