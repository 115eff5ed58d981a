// Command loadgen sends one request body over and over to an HTTP server
// from concurrent clients for a fixed time and prints one JSON line:
// requests, errors, throughput and latency percentiles. bench/serve.sh
// drives it against `xp serve`, the PyTorch baseline and the fixed-answer
// controls (bench/cmd/fixedserver).
//
//	loadgen -url URL -body FILE [-type application/json] [-c 8] [-rate 0] [-seconds 5] [-warmup 1] [-server xp] [-cores 1] [-pid PID]
//	loadgen -table RESULTS.jsonl
//
// Each client has one keep-alive connection and writes the same request
// bytes on it (conn.go), as wrk does: lean, so that the generator is not
// what limits the throughput measured.
//
// With -rate 0 each client sends its next request as soon as the last is
// answered (closed loop: the throughput the server sustains). With -rate R
// the clients together send R requests a second on a fixed schedule (open
// loop), and a request's latency counts from when it was due if its client
// was still waiting for its last answer then, so a server that falls
// behind is charged for the wait (no coordinated omission). A client that
// was idle counts from when its timer woke it: the runtime's timers fire
// up to a millisecond late (they wait in epoll, whose timeout is in
// milliseconds; 0.5 ms late at the median on a VM here), and that
// lateness is the generator's, not the server's.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

type result struct {
	Server     string  `json:"server"`
	Cores      int     `json:"cores"`
	Clients    int     `json:"clients"`
	Rate       float64 `json:"rate"`
	Seconds    float64 `json:"seconds"`
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	Throughput float64 `json:"throughput"`
	P50        float64 `json:"p50_ms"`
	P99        float64 `json:"p99_ms"`
	P999       float64 `json:"p999_ms"`
	Max        float64 `json:"max_ms"`
	// CPUPerReq is the server's CPU time (user and system, all threads)
	// per answered request, in microseconds: what a request costs it,
	// whatever else the machine runs.
	CPUPerReq  float64 `json:"cpu_us_per_request,omitempty"`
	FirstError string  `json:"first_error,omitempty"`
}

func main() {
	url := flag.String("url", "", "URL to POST to")
	bodyFile := flag.String("body", "", "file holding the request body")
	ctype := flag.String("type", "application/json", "Content-Type of the body")
	clients := flag.Int("c", 8, "concurrent clients")
	rate := flag.Float64("rate", 0, "requests a second from all clients together; 0: as fast as answered")
	seconds := flag.Float64("seconds", 5, "measured time")
	warmup := flag.Float64("warmup", 1, "time sent before measuring")
	server := flag.String("server", "xp", "the server's name, for the table")
	cores := flag.Int("cores", 1, "the server's cores, for the table")
	table := flag.String("table", "", "print the table of the results in this file and exit")
	pid := flag.Int("pid", 0, "the server's process, whose CPU time is read from /proc (Linux)")
	hz := flag.Float64("hz", 100, "clock ticks a second of /proc's times (getconf CLK_TCK)")
	flag.Parse()
	if *table != "" {
		if err := printTable(os.Stdout, *table); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		return
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil || *url == "" {
		fmt.Fprintln(os.Stderr, "usage: loadgen -url URL -body FILE [...]", err)
		os.Exit(2)
	}
	newSender := func() (func() error, func(), error) {
		c, err := newConn(*url, *ctype, body, 30*time.Second)
		if err != nil {
			return nil, nil, err
		}
		return c.send, c.close, nil
	}
	if _, _, err := newSender(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	if *warmup > 0 {
		run(newSender, *clients, *rate, time.Duration(*warmup*float64(time.Second)))
	}
	cpu0 := cpuSeconds(*pid, *hz)
	o := run(newSender, *clients, *rate, time.Duration(*seconds*float64(time.Second)))
	cpu := cpuSeconds(*pid, *hz) - cpu0
	r := summarize(o.lats, o.took)
	if *pid > 0 && len(o.lats) > 0 {
		r.CPUPerReq = cpu / float64(len(o.lats)+o.errs) * 1e6
	}
	r.Server, r.Cores, r.Clients, r.Rate, r.Errors = *server, *cores, *clients, *rate, o.errs
	firstErr := o.firstErr
	if firstErr != nil {
		r.FirstError = firstErr.Error()
	}
	json.NewEncoder(os.Stdout).Encode(r)
}

// outcome is what one measurement saw: every successful request's
// latency, how many failed and the first failure, and the time taken.
type outcome struct {
	lats     []time.Duration
	errs     int
	firstErr error
	took     time.Duration
}

// run sends from clients goroutines, each with its own sender, for d.
func run(newSender func() (func() error, func(), error), clients int, rate float64, d time.Duration) outcome {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		errs++
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			send, done, err := newSender()
			if err != nil {
				fail(err)
				return
			}
			defer done()
			var lats []time.Duration
			var interval time.Duration
			if rate > 0 {
				interval = time.Duration(float64(clients) / rate * float64(time.Second))
			}
			// Clients of an open loop are spread over one interval.
			next := start.Add(time.Duration(c) * interval / time.Duration(clients))
			for ctx.Err() == nil {
				due := time.Now()
				if rate > 0 {
					var ok bool
					if due, ok = waitUntil(ctx, next); !ok {
						continue
					}
					next = next.Add(interval)
				}
				if err := send(); err != nil {
					fail(err)
					continue
				}
				lats = append(lats, time.Since(due))
			}
			mu.Lock()
			all = append(all, lats...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return outcome{lats: all, errs: errs, firstErr: firstErr, took: time.Since(start)}
}

// waitUntil waits for t, or until ctx ends (false). It returns when the
// request counts from: t if t has passed already (the client was busy
// with its last request), else when its timer woke it.
func waitUntil(ctx context.Context, t time.Time) (time.Time, bool) {
	wait := time.Until(t)
	if wait <= 0 {
		return t, true
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return time.Now(), true
	case <-ctx.Done():
		return time.Time{}, false
	}
}

// cpuSeconds is the user and system time process pid has used, from
// /proc/pid/stat (fields 14 and 15, after the command's closing paren).
func cpuSeconds(pid int, hz float64) float64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / hz
}

func summarize(lats []time.Duration, took time.Duration) result {
	slices.Sort(lats)
	ms := func(q float64) float64 {
		if len(lats) == 0 {
			return 0
		}
		i := min(int(q*float64(len(lats))), len(lats)-1)
		return float64(lats[i]) / float64(time.Millisecond)
	}
	return result{
		Seconds: took.Seconds(), Requests: len(lats), Throughput: float64(len(lats)) / took.Seconds(),
		P50: ms(0.50), P99: ms(0.99), P999: ms(0.999), Max: ms(1),
	}
}

// Servers the table knows: xp, its baseline, and the controls.
const (
	serverXP      = "xp"
	serverPyTorch = "pytorch"
	serverHTTP    = "fixed-http"
	serverRaw     = "fixed-raw"
	serverEpoll   = "fixed-epoll"
)

// printTable prints xp's results beside the baseline's for the same cores
// and load, with the ratio of their throughputs; then the controls', with
// the ratio of PyTorch's CPU per request to theirs: the most that any
// server built like them could reach against PyTorch on this machine.
func printTable(w io.Writer, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	type key struct {
		cores, clients int
		rate           float64
	}
	var order []key
	by := map[key]map[string]result{}
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var r result
		if err := dec.Decode(&r); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		k := key{r.Cores, r.Clients, r.Rate}
		if by[k] == nil {
			by[k] = map[string]result{}
			order = append(order, k)
		}
		by[k][r.Server] = r
	}
	load := func(k key) string {
		if k.rate > 0 {
			return fmt.Sprintf("%.0f req/s from %d clients", k.rate, k.clients)
		}
		if k.clients == 1 {
			return "1 client, closed loop"
		}
		return fmt.Sprintf("%d clients, closed loop", k.clients)
	}
	cell := func(r result, ok bool) string {
		if !ok {
			return "- | - | - | -"
		}
		errs := ""
		if r.Errors > 0 {
			errs = fmt.Sprintf(" (%d errors)", r.Errors)
		}
		return fmt.Sprintf("%.0f%s | %.2f | %.2f | %.0f", r.Throughput, errs, r.P50, r.P99, r.CPUPerReq)
	}
	fmt.Fprintln(w, "| cores | load | xp req/s | xp p50 ms | xp p99 ms | xp CPU µs/req | PyTorch req/s | PyTorch p50 ms | PyTorch p99 ms | PyTorch CPU µs/req | xp / PyTorch |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, k := range order {
		x, xok := by[k][serverXP]
		py, pok := by[k][serverPyTorch]
		if !xok && !pok {
			continue
		}
		ratio := "-"
		if xok && pok && py.Throughput > 0 && k.rate == 0 { // an open loop's throughput is its rate
			ratio = fmt.Sprintf("%.1fx", x.Throughput/py.Throughput)
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s |\n", k.cores, load(k), cell(x, xok), cell(py, pok), ratio)
	}
	header := false
	for _, k := range order {
		if k.rate > 0 {
			continue
		}
		py, pok := by[k][serverPyTorch]
		for _, name := range []string{serverHTTP, serverRaw, serverEpoll} {
			r, ok := by[k][name]
			if !ok {
				continue
			}
			if !header {
				fmt.Fprintln(w)
				fmt.Fprintln(w, "Controls, answering fixed bytes and computing nothing: net/http's server (fixed-http), no HTTP server (fixed-raw), and one thread calling epoll, read and write itself (fixed-epoll: the kernel's cost alone).")
				fmt.Fprintln(w)
				fmt.Fprintln(w, "| cores | load | control | req/s | p50 ms | p99 ms | CPU µs/req | PyTorch CPU / its CPU |")
				fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
				header = true
			}
			ceiling := "-"
			if pok && r.CPUPerReq > 0 {
				ceiling = fmt.Sprintf("%.1fx", py.CPUPerReq/r.CPUPerReq)
			}
			fmt.Fprintf(w, "| %d | %s | %s | %s | %s |\n", k.cores, load(k), name, cell(r, ok), ceiling)
		}
	}
	return nil
}
