//go:build linux

package main

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// threadTimerSlack is the timer slack of the calling thread, which every
// thread of the process shares unless one of them changed its own.
func threadTimerSlack() (time.Duration, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r, _, errno := unix.RawSyscall(unix.SYS_PRCTL, unix.PR_GET_TIMERSLACK, 0, 0)
	if errno != 0 {
		return 0, fmt.Errorf("prctl PR_GET_TIMERSLACK: %w", errno)
	}
	return time.Duration(r), nil
}

// reexecWithTimerSlack sets the calling thread's timer slack to d and
// executes this binary again from that thread, with the process's
// arguments and env. It returns only when that fails, the thread's slack
// put back.
func reexecWithTimerSlack(d time.Duration, env []string) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if _, _, errno := unix.RawSyscall(unix.SYS_PRCTL, unix.PR_SET_TIMERSLACK, uintptr(d), 0); errno != 0 {
		return fmt.Errorf("prctl PR_SET_TIMERSLACK: %w", errno)
	}
	// The binary's own path, not /proc/self/exe, whose name the process
	// would then go by in ps and top.
	exe, err := os.Executable()
	if err == nil {
		err = unix.Exec(exe, os.Args, env)
	}
	// 0 gives the thread back the slack it was made with.
	unix.RawSyscall(unix.SYS_PRCTL, unix.PR_SET_TIMERSLACK, 0, 0)
	return fmt.Errorf("execute %s again: %w", exe, err)
}
