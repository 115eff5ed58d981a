package sysmetric

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
)

// MemoryAvailable is how much memory the machine can give a new process
// without swapping (Linux's MemAvailable), and whether it could tell.
func MemoryAvailable() (uint64, bool) {
	raw, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 2 && string(f[0]) == "MemAvailable:" {
			kb, err := strconv.ParseUint(string(f[1]), 10, 64)
			if err != nil {
				return 0, false
			}
			return kb << 10, true
		}
	}
	return 0, false
}
