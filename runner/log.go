package runner

import (
	"fmt"
	"os"
	"sort"
	"time"
)

// runLog appends timestamped lines to a run's log.txt. A log that cannot be
// opened is silently dropped: losing the log must not fail the training.
type runLog struct{ f *os.File }

func newRunLog(path string) *runLog {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return &runLog{}
	}
	return &runLog{f: f}
}

func (l *runLog) Printf(format string, args ...any) {
	if l.f == nil {
		return
	}
	fmt.Fprintf(l.f, "%s %s\n", time.Now().UTC().Format(time.RFC3339), fmt.Sprintf(format, args...))
}

func (l *runLog) Close() error {
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
