package proc

import (
	"os/exec"
	"runtime"
	"sync"
)

// starter runs every cmd.Start on one goroutine locked to its OS thread for the life of the
// process: Linux sends the parent-death signal when the *thread* that forked a child exits,
// and Go may end a thread whose goroutine exits while locked to it. A thread that never
// exits makes Pdeathsig mean "when this process dies".
var starter struct {
	once sync.Once
	reqs chan startReq
}

type startReq struct {
	cmd  *exec.Cmd
	errc chan error
}

// Start starts cmd from the dedicated starter thread.
func Start(cmd *exec.Cmd) error {
	starter.once.Do(func() {
		starter.reqs = make(chan startReq)
		go func() {
			runtime.LockOSThread() // never unlocked: this thread lives as long as the process
			for r := range starter.reqs {
				r.errc <- r.cmd.Start()
			}
		}()
	})
	errc := make(chan error, 1)
	starter.reqs <- startReq{cmd: cmd, errc: errc}
	return <-errc
}

// Run starts cmd with Start and waits for it.
func Run(cmd *exec.Cmd) error {
	if err := Start(cmd); err != nil {
		return err
	}
	return cmd.Wait()
}
