package sysmetric

import (
	"context"
	"time"
)

// The names of the points a Sample becomes.
const (
	CPUPercent     = "cpu_percent"      // process CPU time over wall time, ×100 (above 100 on several cores)
	RSSMB          = "rss_mb"           // resident memory, MiB
	GPUUtilPercent = "gpu_util_percent" // time the GPU ran a kernel over the last sample period, ×100
	GPUMemMB       = "gpu_mem_mb"       // memory in use on the GPU (all processes), MiB
)

// Sample is one reading of the process and its GPU.
type Sample struct {
	Elapsed    time.Duration // since the sampler started
	CPUPercent float64       // over the time since the previous sample
	RSSBytes   uint64
	GPU        *GPUSample // nil when the run has no GPU or NVML is absent
}

// GPUSample is one reading of a GPU through NVML.
type GPUSample struct {
	UtilPercent   float64
	MemUsedBytes  uint64
	MemTotalBytes uint64
}

// Values returns the sample's figures by point name.
func (s Sample) Values() map[string]float64 {
	v := map[string]float64{CPUPercent: s.CPUPercent, RSSMB: float64(s.RSSBytes) / (1 << 20)}
	if s.GPU != nil {
		v[GPUUtilPercent] = s.GPU.UtilPercent
		v[GPUMemMB] = float64(s.GPU.MemUsedBytes) / (1 << 20)
	}
	return v
}

// Sampler reads the process's CPU time and memory, and a GPU's.
type Sampler struct {
	start   time.Time
	last    time.Time
	lastCPU time.Duration
	gpu     *gpu // nil without one
	now     func() time.Time
}

// New starts a sampler of this process; gpuBusID, when not empty, names
// the PCI bus of the GPU the run trains on ("0000:19:00.0", as the CUDA
// driver reports it), whose figures it also reads. The error, when not
// nil, says in one line why the GPU's figures cannot be read (no NVML);
// the sampler works without them.
func New(gpuBusID string) (*Sampler, error) {
	s := &Sampler{now: time.Now}
	s.start = s.now()
	s.last, s.lastCPU = s.start, cpuTime()
	if gpuBusID == "" {
		return s, nil
	}
	g, err := openGPU(gpuBusID)
	if err != nil {
		return s, err
	}
	s.gpu = g
	return s, nil
}

// Sample reads the process and the GPU now.
func (s *Sampler) Sample() Sample {
	now, cpu := s.now(), cpuTime()
	out := Sample{Elapsed: now.Sub(s.start), RSSBytes: rss()}
	if wall := now.Sub(s.last); wall > 0 {
		out.CPUPercent = 100 * float64(cpu-s.lastCPU) / float64(wall)
	}
	s.last, s.lastCPU = now, cpu
	if s.gpu != nil {
		if g, err := s.gpu.sample(); err == nil {
			out.GPU = &g
		}
	}
	return out
}

// Run samples every period until ctx is done, handing each sample to
// record; it returns when ctx is done. The first sample comes one period
// after the start (a CPU share needs an interval to be measured over).
func (s *Sampler) Run(ctx context.Context, period time.Duration, record func(Sample)) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			record(s.Sample())
		}
	}
}
