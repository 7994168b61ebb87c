//go:build !linux

package proc

import "syscall"

// Attr returns the SysProcAttr of every child: its own process group. Without Linux's
// parent-death signal, children outlive a killed parent on this platform.
func Attr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
