// Command xpbench trains one bench job with an xp backend and prints one
// JSON line, the counterpart of bench/reference.py for PyTorch; with -table
// it prints the side-by-side table of the lines both wrote. bench/bench.sh
// drives it; see there for the jobs.
//
//	xpbench -job NAME (-data SPLIT | -synthetic NxD[xK] | -csv FILE -target COL)
//	        [-hidden 64,64] [-epochs 5] [-warmup 0] [-batch 256] [-lr 1e-3] [-test 0.2]
//	        [-seed 1] [-threads 1] [-backend cpu]
//	xpbench -table RESULTS.jsonl
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/xp-ml/xp/backends"
	_ "github.com/xp-ml/xp/backends/engine"      // registers "cpu"
	_ "github.com/xp-ml/xp/backends/engine/cuda" // registers "cuda"
	_ "github.com/xp-ml/xp/backends/gorgonia"    // registers "gorgonia"
	"github.com/xp-ml/xp/model"
)

type options struct {
	job, data, synthetic, csv, target, hidden, backend, table string
	epochs, warmup, batch, threads                            int
	lr, test                                                  float64
	seed                                                      uint64
}

func main() {
	var o options
	flag.StringVar(&o.job, "job", "", "job name for the output line")
	flag.StringVar(&o.data, "data", "", "split written by reference.py --prepare")
	flag.StringVar(&o.synthetic, "synthetic", "", "generate NxD[xK] here instead (Go's generator, not numpy's)")
	flag.StringVar(&o.csv, "csv", "", "CSV file to load and split here")
	flag.StringVar(&o.target, "target", "", "target column of -csv")
	flag.StringVar(&o.hidden, "hidden", "64", "hidden layer widths, comma-separated")
	flag.StringVar(&o.backend, "backend", "cpu", "xp backend")
	flag.StringVar(&o.table, "table", "", "print the table of a results file and exit")
	flag.IntVar(&o.epochs, "epochs", 5, "epochs")
	flag.IntVar(&o.warmup, "warmup", 0, "epochs trained before the clock starts (a GPU's first-use costs)")
	flag.IntVar(&o.batch, "batch", 256, "batch size")
	flag.IntVar(&o.threads, "threads", 1, "threads (also GOMAXPROCS)")
	flag.Float64Var(&o.lr, "lr", 1e-3, "Adam learning rate")
	flag.Float64Var(&o.test, "test", 0.2, "test fraction when splitting here")
	flag.Uint64Var(&o.seed, "seed", 1, "seed")
	flag.Parse()
	var err error
	if o.table != "" {
		err = printTable(os.Stdout, o.table)
	} else {
		err = run(context.Background(), os.Stdout, o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "xpbench:", err)
		os.Exit(1)
	}
}

// result is one JSON line; reference.py writes the same keys.
type result struct {
	Job            string  `json:"job"`
	Side           string  `json:"side"`
	Threads        int     `json:"threads"`
	Rows           int     `json:"rows"`
	Features       int     `json:"features"`
	Classes        int     `json:"classes"`
	Accuracy       float64 `json:"accuracy"`
	TrainSeconds   float64 `json:"train_seconds"`
	SamplesPerSec  float64 `json:"samples_per_sec"`
	Backend        string  `json:"backend,omitempty"`
	BackendVersion string  `json:"backend_version,omitempty"`
	// PeakRSSMiB is the peak resident memory of the whole process, the
	// loaded split included; MatrixMiB is the training matrix's own size.
	PeakRSSMiB float64 `json:"peak_rss_mib,omitempty"`
	MatrixMiB  float64 `json:"train_matrix_mib,omitempty"`
}

func run(ctx context.Context, w io.Writer, o options) error {
	runtime.GOMAXPROCS(max(o.threads, 1))
	var (
		sp  *split
		err error
	)
	switch {
	case o.data != "":
		sp, err = readSplit(o.data)
	case o.synthetic != "":
		sp, err = syntheticSplit(o.synthetic, o.seed, o.test)
	case o.csv != "":
		sp, err = csvSplit(o.csv, o.target, o.seed, o.test)
	default:
		err = fmt.Errorf("one of -data, -synthetic, -csv is needed")
	}
	if err != nil {
		return err
	}
	b, err := backends.Get(o.backend)
	if err != nil {
		return err
	}
	m := &model.Model{Inputs: sp.train.D, Classes: sp.classes,
		Optimizer: model.Optimizer{Kind: model.Adam, LR: o.lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}}
	width := sp.train.D
	for _, f := range strings.Split(o.hidden, ",") {
		if f == "" {
			continue
		}
		h, err := strconv.Atoi(f)
		if err != nil {
			return fmt.Errorf("-hidden %q: %w", o.hidden, err)
		}
		m.Layers = append(m.Layers, model.Layer{Kind: model.Dense, In: width, Out: h, Activation: model.ActReLU})
		width = h
	}
	m.Layers = append(m.Layers, model.Layer{Kind: model.Dense, In: width, Out: sp.classes, Activation: model.ActNone})
	params, err := model.Init(m, o.seed)
	if err != nil {
		return err
	}
	tr, err := b.Compile(ctx, m, params, backends.Config{BatchSize: o.batch, Seed: o.seed, Threads: o.threads})
	if err != nil {
		return err
	}
	defer tr.Close()

	// Timed like reference.py: the training loop, shuffling included.
	rng := rand.New(rand.NewPCG(o.seed, 0x62656e6368)) // "bench"
	order := make([]int32, sp.train.N)
	var start time.Time
	for e := range o.warmup + o.epochs {
		if e == o.warmup {
			// Parameters read back wait for the device, so the clock
			// starts after the warm-up's work, as reference.py's does.
			tr.Params()
			start = time.Now()
		}
		for i, v := range rng.Perm(sp.train.N) {
			order[i] = int32(v)
		}
		if _, err := tr.Epoch(ctx, sp.train, order, nil); err != nil {
			return err
		}
	}
	secs := time.Since(start).Seconds()

	probs := make([]float32, sp.test.N*sp.classes)
	if err := tr.Predict(ctx, sp.test, probs); err != nil {
		return err
	}
	correct := 0
	for i := range sp.test.N {
		row := probs[i*sp.classes : (i+1)*sp.classes]
		best := 0
		for c, p := range row {
			if p > row[best] {
				best = c
			}
		}
		if int32(best) == sp.test.Y[i] {
			correct++
		}
	}
	version := b.Version()
	if v, ok := tr.(interface{ Version() string }); ok {
		version = v.Version()
	}
	return json.NewEncoder(w).Encode(result{
		Job: o.job, Side: side(b.Name()), Threads: o.threads,
		Rows: sp.train.N + sp.test.N, Features: sp.train.D, Classes: sp.classes,
		Accuracy:       round(float64(correct)/float64(max(sp.test.N, 1)), 4),
		TrainSeconds:   round(secs, 4),
		SamplesPerSec:  round(float64(o.epochs*sp.train.N)/secs, 0),
		Backend:        b.Name(),
		BackendVersion: version,
		PeakRSSMiB:     round(peakRSSMiB(), 1),
		MatrixMiB:      round(float64(len(sp.train.X)*4)/(1<<20), 1),
	})
}

// side names xp's line: "xp" on the CPU (the side bench.sh pairs with
// PyTorch's), "xp-cuda" on a GPU.
func side(backend string) string {
	if backend == "cuda" {
		return "xp-cuda"
	}
	return "xp"
}

func round(v float64, digits int) float64 {
	p, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', digits, 64), 64)
	return p
}
