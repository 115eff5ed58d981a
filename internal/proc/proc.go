package proc

import (
	"errors"
	"os"
	"runtime"
	"syscall"
)

// Alive reports whether process pid exists on this machine. When it
// cannot tell, it says alive: the caller's heartbeat then decides, later.
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	if runtime.GOOS == "windows" {
		return true // FindProcess found it; Signal(0) is not supported there
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
