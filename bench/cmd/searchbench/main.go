// Command searchbench runs xp's search methods on the synthetic
// objectives of bench/search_reference.py, or on real experiments (with
// -project: each point trained as a sweep point is, see trainer), in
// process: random search (the
// draws of a random sweep) and TPE (sweep/tpe, after the same startup
// draws, each point proposed from every earlier result, as a tpe sweep
// with parallel 1 does; tpe-normalized is TPE with tpe.Sampler.Normalized).
// It prints one JSON line per objective and method
// in the reference's format: the median over seeds 1..N of the best value
// after each checkpoint, and the per-seed curves. bench/search.sh runs it
// next to the reference (Optuna) and prints the table.
//
//	searchbench [-objective all|NAME,...] [-sampler random,tpe,tpe-normalized] [-seeds 10]
//	            [-trials 64] [-startup 10] [-checkpoints 16,32,64]
//	searchbench -samples N     N random points of each objective and their values, as
//	                           "objective<TAB>params JSON<TAB>value" lines, to check the
//	                           port against search_reference.py --eval
//	searchbench -project DIR [flags]
//	                           the objectives are DIR's experiments with a sweep
//	searchbench -project DIR -serve
//	                           evaluate points asked for on stdin (serve), for
//	                           search_optuna.py to give Optuna the same objectives
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep/tpe"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "searchbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, in io.Reader, out io.Writer) (err error) {
	fs := flag.NewFlagSet("searchbench", flag.ContinueOnError)
	objective := fs.String("objective", "all", "objectives, comma-separated, or all")
	samplers := fs.String("sampler", "random,tpe", "methods, comma-separated: random, tpe, tpe-normalized")
	seeds := fs.Int("seeds", 10, "seeds 1..N")
	trials := fs.Int("trials", 64, "points per search")
	startup := fs.Int("startup", 10, "TPE's random points first")
	checkpoints := fs.String("checkpoints", "16,32,64", "trial counts to report the best value after")
	samples := fs.Int("samples", 0, "print N random points of each objective with their values, and stop")
	project := fs.String("project", "", "the objectives are this project's experiments with a sweep")
	serveFlag := fs.Bool("serve", false, "with -project: evaluate the points asked for on stdin")
	if err := fs.Parse(args); err != nil {
		return err
	}
	objs := objectives
	if *project != "" {
		var st *store.Store
		if objs, st, err = loadProject(ctx, *project); err != nil {
			return err
		}
		defer func() { err = errors.Join(err, st.Close()) }()
	}
	if *serveFlag {
		return serve(in, out, objs)
	}
	names := objectiveNames(objs)
	if *objective != "all" {
		names = strings.Split(*objective, ",")
	}
	for _, name := range names {
		if _, ok := objs[name]; !ok {
			return fmt.Errorf("unknown objective %q (have %s)", name, strings.Join(objectiveNames(objs), ", "))
		}
	}
	if *samples > 0 {
		return printSamples(out, objs, names, *samples)
	}
	var cps []int
	for _, c := range strings.Split(*checkpoints, ",") {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 {
			return fmt.Errorf("checkpoint %q: want a positive integer", c)
		}
		if n <= *trials {
			cps = append(cps, n)
		}
	}
	enc := json.NewEncoder(out)
	for _, name := range names {
		for _, method := range strings.Split(*samplers, ",") {
			var curves [][]float64
			for seed := 1; seed <= *seeds; seed++ {
				c, err := search(objs[name], method, uint64(seed), *trials, *startup)
				if err != nil {
					return err
				}
				curves = append(curves, c)
			}
			med := map[string]float64{}
			for _, c := range cps {
				at := make([]float64, len(curves))
				for i, cv := range curves {
					at[i] = cv[c-1]
				}
				med[strconv.Itoa(c)] = median(at)
			}
			if err := enc.Encode(map[string]any{"objective": name, "sampler": method, "seeds": *seeds,
				"median_best_after": med, "curves": curves}); err != nil {
				return err
			}
		}
	}
	return nil
}

// search runs one search of trials points and returns the best value
// after each.
func search(obj objective, method string, seed uint64, trials, startup int) ([]float64, error) {
	names := obj.names()
	sampler := tpe.Sampler{Normalized: method == "tpe-normalized"}
	if method == "tpe-normalized" {
		method = "tpe"
	}
	for _, n := range names {
		sampler.Space = append(sampler.Space, tpeParam(obj.space[n]))
	}
	if err := sampler.Validate(); err != nil {
		return nil, err
	}
	var (
		history []tpe.Trial
		curve   []float64
		best    = math.Inf(1)
	)
	for i := range trials {
		x := make([]float64, len(names))
		switch {
		case method == "random" || method == "tpe" && i < startup:
			// A random sweep's draw i: one RNG seeded with (seed, i).
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			for j, n := range names {
				c, ok := obj.space[n].Coord(obj.space[n].Draw(rng))
				if !ok {
					return nil, fmt.Errorf("%s: a draw of %s has no coordinate", obj.name, n)
				}
				x[j] = c
			}
		case method == "tpe":
			x = sampler.Propose(history, rand.New(rand.NewPCG(seed, 0x74706500<<32+uint64(i)*16)))
		default:
			return nil, fmt.Errorf("unknown sampler %q (random, tpe)", method)
		}
		params := map[string]any{}
		for j, n := range names {
			var v any
			if err := json.Unmarshal(obj.space[n].ValueAt(x[j]), &v); err != nil {
				return nil, err
			}
			params[n] = v
		}
		y, err := obj.eval(params)
		if err != nil {
			return nil, err
		}
		history = append(history, tpe.Trial{X: x, Loss: y})
		best = min(best, y)
		curve = append(curve, best)
	}
	return curve, nil
}

func tpeParam(p spec.SweepParam) tpe.Param {
	switch p.Dist {
	case spec.DistChoice:
		return tpe.Param{Kind: tpe.Categorical, N: len(p.Choices)}
	case spec.DistLogUniform:
		return tpe.Param{Kind: tpe.Float, Low: p.Low, High: p.High, Log: true}
	case spec.DistIntUniform:
		return tpe.Param{Kind: tpe.Int, Low: p.Low, High: p.High}
	}
	return tpe.Param{Kind: tpe.Float, Low: p.Low, High: p.High}
}

func printSamples(out io.Writer, objs map[string]objective, names []string, n int) error {
	for _, name := range names {
		obj := objs[name]
		for i := range n {
			rng := rand.New(rand.NewPCG(99, uint64(i)))
			params := map[string]any{}
			for _, pn := range obj.names() {
				var v any
				if err := json.Unmarshal(obj.space[pn].Draw(rng), &v); err != nil {
					return err
				}
				params[pn] = v
			}
			js, err := json.Marshal(params)
			if err != nil {
				return err
			}
			y, err := obj.eval(params)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s\t%s\t%s\n", name, js, strconv.FormatFloat(y, 'g', -1, 64))
		}
	}
	return nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
