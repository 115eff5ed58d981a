package sweep

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/xp-ml/xp/internal/proc"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// DefaultStaleAfter is how old a heartbeat may be before its run is marked
// lost, or its claim on a sweep point is taken over: runner.StaleAfter,
// after which a run's key is taken over too. Runs beat at least every 2 s
// and claims every claimBeatEvery, so a live process is never taken for a
// dead one.
const DefaultStaleAfter = runner.StaleAfter

// ReapLost marks as lost the runs whose process is gone: at once those of
// this host whose process has exited, and anywhere those whose heartbeat
// is older than staleAfter. Every xp command that reads or runs calls it,
// so a killed run does not stay "running".
func ReapLost(ctx context.Context, st *store.Store, staleAfter time.Duration) (int, error) {
	if staleAfter <= 0 {
		staleAfter = DefaultStaleAfter
	}
	host, _ := os.Hostname()
	n, err := st.MarkLostProcesses(ctx, host, proc.Alive)
	if err != nil {
		return 0, err
	}
	m, err := st.MarkLost(ctx, staleAfter)
	return n + m, err
}

// The owner of a process's claims: host/pid/start/n. The start time tells
// this process from an earlier one that had the same pid; n tells the
// sweeps of one process apart.
var (
	processStart = strconv.FormatInt(time.Now().UnixNano(), 36)
	ownerSeq     atomic.Int64
)

func newOwner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s/%d", host, os.Getpid(), processStart, ownerSeq.Add(1))
}

// OwnerGone reports whether the process that holds a claim on a sweep
// point (store.QueuedPoint.Owner) is known to be gone: on this host, a pid
// that no longer runs, or that now runs another process (this one, started
// later). Owners on other hosts are never known gone; their heartbeat
// decides.
func OwnerGone(owner string) bool {
	parts := strings.Split(owner, "/")
	if len(parts) != 4 {
		return false
	}
	host, _ := os.Hostname()
	pid, err := strconv.Atoi(parts[1])
	if parts[0] != host || err != nil {
		return false
	}
	if pid == os.Getpid() {
		return parts[2] != processStart
	}
	return !proc.Alive(pid)
}

// OwnerProcess is the process of a claim's owner, "host/pid".
func OwnerProcess(owner string) string {
	parts := strings.Split(owner, "/")
	if len(parts) >= 2 {
		return parts[0] + "/" + parts[1]
	}
	return owner
}
