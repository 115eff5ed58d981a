package sysmetric

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestCPUAndMemory: a goroutine that spins shows in the CPU share, and
// memory the test touches shows in the resident size.
func TestCPUAndMemory(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("CPU and memory are read on Unix systems")
	}
	s, err := New("")
	if err != nil {
		t.Fatalf("New without a GPU: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	idle := s.Sample()
	// Spin until the process has used 200 ms more CPU time, however long
	// that takes on a busy machine: the sample's share of the wall time
	// since the last one must account for it.
	x, from := 0, cpuTime()
	for cpuTime()-from < 200*time.Millisecond {
		x++
	}
	busy := s.Sample()
	wall := busy.Elapsed - idle.Elapsed
	if used := time.Duration(busy.CPUPercent / 100 * float64(wall)); used < 190*time.Millisecond {
		t.Errorf("CPU %.1f%% over %v is %v of CPU time; the test spun for 200ms", busy.CPUPercent, wall, used)
	}
	if idle.CPUPercent > busy.CPUPercent {
		t.Errorf("CPU %.1f%% asleep, %.1f%% spinning", idle.CPUPercent, busy.CPUPercent)
	}
	before := busy.RSSBytes
	buf := make([]byte, 64<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = byte(i)
	}
	after := s.Sample().RSSBytes
	runtime.KeepAlive(buf)
	if before == 0 || after < before+32<<20 {
		t.Errorf("resident memory %d MiB, then %d MiB after touching 64 MiB", before>>20, after>>20)
	}
	v := busy.Values()
	if _, ok := v[GPUUtilPercent]; ok || v[CPUPercent] != busy.CPUPercent || v[RSSMB] != float64(busy.RSSBytes)/(1<<20) {
		t.Errorf("values %v of %+v", v, busy)
	}
	_ = x
}

// TestRun hands a sample to record every period until its context ends.
func TestRun(t *testing.T) {
	s, _ := New("")
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	var got []Sample
	s.Run(ctx, 40*time.Millisecond, func(x Sample) { got = append(got, x) })
	if len(got) < 3 || len(got) > 7 {
		t.Fatalf("%d samples in 250 ms at one per 40 ms", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Elapsed <= got[i-1].Elapsed {
			t.Errorf("sample %d at %v after %v", i, got[i].Elapsed, got[i-1].Elapsed)
		}
	}
}

// TestNoNVML: without NVML a sampler still samples the process and says
// in one line why it has no GPU figures.
func TestNoNVML(t *testing.T) {
	_, err := openNVML("libnvidia-ml-xp-missing.so.1")
	if !errors.Is(err, ErrNoNVML) || !strings.Contains(err.Error(), "libnvidia-ml-xp-missing.so.1 not found") {
		t.Fatalf("openNVML of a missing library: %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
}
