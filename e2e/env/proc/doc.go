// Package proc holds the process hygiene shared by the e2e harness and the load tester: every
// child process gets its own process group and, on Linux, a parent-death signal (SIGKILL), so
// nothing outlives the process that started it; a whole group is signalled at once; and the
// output kept of a command is bounded.
//
// It does not start or supervise processes itself: callers use os/exec with Attr and Cancel.
package proc
