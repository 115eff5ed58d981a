package runner

import (
	"context"
	"sync"
	"time"

	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sysmetric"
)

// systemEvery is how often a training run samples its process and GPU
// (a variable for tests).
var systemEvery = 2 * time.Second

// sampleSystem starts sampling what the run costs the machine: the
// process's CPU share and memory, and its GPU's utilisation and memory
// when it trains on one (through NVML; where NVML is absent the log says
// so in one line and GPU figures are not recorded). Every sample becomes
// points of split "system", at the epoch training has reached. The
// returned function stops the sampler after a last sample, so that even a
// run shorter than the period records one.
func (s *session) sampleSystem(ctx context.Context) (stop func()) {
	bus := ""
	if g, ok := s.trainer.(interface{ PCIBusID() string }); ok {
		bus = g.PCIBusID()
	}
	sampler, err := sysmetric.New(bus)
	if err != nil {
		s.log.Printf("system metrics: no GPU figures: %v", err)
	}
	var mu sync.Mutex // the sampler's goroutine and stop both record
	n := 0
	record := func(x sysmetric.Sample) {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now().UTC()
		var pts []store.Point
		for name, v := range x.Values() {
			pts = append(pts, store.Point{Split: store.SplitSystem, Name: name, Epoch: int(s.reached.Load()), Step: n, Value: v, Time: now})
		}
		n++
		if err := s.st.AddPoints(context.WithoutCancel(ctx), s.run.ID, pts); err != nil {
			s.log.Printf("system metrics: %v", err)
		}
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sampler.Run(sctx, systemEvery, record)
	}()
	return func() {
		cancel()
		<-done
		record(sampler.Sample())
	}
}
