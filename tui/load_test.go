package tui

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xp-ml/xp/store"
)

// The log is read as it grows: only new whole lines, a partial last line
// once its newline arrives, from the start again when it shrinks, and only
// its end when it is large.
func TestLogTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.txt")
	l := logTail{path: path}
	if err := l.read(); err != nil || len(l.lines) != 0 {
		t.Fatalf("missing log: %v, %q", err, l.lines)
	}
	write := func(s string, appendTo bool) {
		t.Helper()
		flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if appendTo {
			flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		}
		f, err := os.OpenFile(path, flag, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	step := func(name string, want ...string) {
		t.Helper()
		if err := l.read(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(l.lines, want) {
			t.Errorf("%s: lines %q, want %q", name, l.lines, want)
		}
	}
	write("one\ntwo\nthr", false)
	step("partial", "one", "two")
	write("ee\x1b[31m!\n", true)
	step("completed", "one", "two", "three!")
	step("unchanged", "one", "two", "three!")
	write("new\n", false)
	step("truncated", "new")

	var b strings.Builder
	for i := range 20000 {
		b.WriteString(strings.Repeat("x", 10) + string(rune('a'+i%26)) + "\n")
	}
	write(b.String(), false)
	if err := l.read(); err != nil {
		t.Fatal(err)
	}
	if len(l.lines) != logTailLines {
		t.Errorf("large log: %d lines kept, want %d", len(l.lines), logTailLines)
	}
	if last := l.lines[len(l.lines)-1]; last != "xxxxxxxxxx"+string(rune('a'+19999%26)) {
		t.Errorf("large log: last line %q", last)
	}
}

func TestDefaultMetric(t *testing.T) {
	m := func(split, name string) store.SplitMetric { return store.SplitMetric{Split: split, Name: name} }
	tests := []struct {
		name  string
		names []store.SplitMetric
		want  store.SplitMetric
	}{
		{"accuracy", []store.SplitMetric{m("test", "auc"), m("test", "accuracy")}, mainMetric},
		{"regression", []store.SplitMetric{m("test", "mae"), m("test", "r2"), m("test", "rmse")}, mainMetric},
		{"no main metric", []store.SplitMetric{m("test", "loss"), m("test", "auc")}, m("test", "auc")},
		{"validation only", []store.SplitMetric{m("validation", "loss"), m("validation", "auc")}, m("validation", "auc")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := defaultMetric(tt.names); got != tt.want {
				t.Errorf("defaultMetric = %v, want %v", got, tt.want)
			}
		})
	}
}
