//go:build unix

package main

import (
	"log/slog"
	"syscall"
)

// raiseOpenFilesLimit raises the process's soft limit of open files
// (RLIMIT_NOFILE) to its hard limit, as servers commonly do, and logs both:
// every connection, listener and log file takes one.
func raiseOpenFilesLimit(log *slog.Logger) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		log.Warn("read the open files limit", "err", err)
		return
	}
	was := l.Cur
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			log.Warn("raise the open files limit", "soft", was, "hard", l.Max, "err", err)
			return
		}
	}
	log.Info("open files limit", "soft", l.Cur, "hard", l.Max, "soft_at_start", was)
}
