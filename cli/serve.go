package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/predict"
	"github.com/xp-ml/xp/serve"
)

// serveGCPercent is xp serve's GOGC unless the environment sets one.
const serveGCPercent = 400

// serveMemoryLimit is xp serve's soft memory limit unless GOMEMLIMIT or
// GOGC is set: room for the models and six times the bodies in flight.
func serveMemoryLimit(o serve.Options) int64 {
	return 64<<20 + 6*o.WithDefaults().MaxInFlight
}

type serveOptions struct {
	addr    string
	backend string
	serve.Options
}

func newServeCmd(s Streams) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use: "serve <key-prefix>...",
		Example: `  xp serve 3f9a
  xp serve 3f9a 7b21 --addr :8080`,
		Short: "Serve trained runs over HTTP: rows in, classes and probabilities (or values) out",
		Long: `Serve trained runs over HTTP. Each run scores rows with its own fitted
preprocessing and model, as xp predict does, so the answers are the same bytes:

  POST /v1/models/<name>:predict   {"rows": [{"column": value, ...}]} or CSV (Content-Type: text/csv)
  GET  /v1/models                  each run's key, experiment, commit, metrics and input schema
  GET  /healthz, /readyz, /metrics (Prometheus text format)

<name> is the run's experiment (its short key when two served runs share one)
or a prefix of its key. A request with an unknown or missing column, text in a
numeric column or invalid UTF-8 gets 400 naming each row and column. SIGTERM or
Ctrl-C stops accepting requests, answers those in flight and exits 0.

xp serve has no TLS and no authentication: it listens on loopback unless --addr
says otherwise; to serve beyond this machine, put it behind a proxy that
provides them.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.check(cmd); err != nil {
				return err
			}
			return runServe(cmd.Context(), s, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	f.StringVar(&o.backend, "backend", "", "backend to score on (default: each run's)")
	f.Int64Var(&o.MaxBody, "max-body", 8<<20, "largest request body in bytes; larger ones get 413")
	f.Int64Var(&o.MaxInFlight, "max-in-flight", 0, "request body bytes read as rows and scored at once, counted once a body has arrived; a request waits for room up to --read-timeout, else gets 503 (default: 4 x --max-body)")
	f.DurationVar(&o.ReadTimeout, "read-timeout", 10*time.Second, "time to read a request, headers and body")
	f.DurationVar(&o.WriteTimeout, "write-timeout", 30*time.Second, "time to score a request and write its answer")
	f.DurationVar(&o.DrainTimeout, "drain-timeout", 30*time.Second, "on SIGTERM, time to answer the requests in flight")
	f.IntVar(&o.Workers, "workers", 0, "models scoring at once, per run (default: the usable CPUs)")
	f.IntVar(&o.BatchRows, "batch-rows", 0, "join waiting requests into batches of up to this many rows (0: score each request alone, as xp predict does)")
	f.DurationVar(&o.BatchDelay, "batch-delay", 0, "with --batch-rows, wait up to this long for more requests to join a batch")
	return cmd
}

// check refuses flag values the server would otherwise quietly replace
// with its defaults (serve.Options takes 0 and below as "the default").
func (o *serveOptions) check(cmd *cobra.Command) error {
	flags := cmd.Flags()
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"max-body", o.MaxBody}, {"max-in-flight", o.MaxInFlight},
		{"read-timeout", int64(o.ReadTimeout)}, {"write-timeout", int64(o.WriteTimeout)},
		{"drain-timeout", int64(o.DrainTimeout)}, {"workers", int64(o.Workers)},
		{"batch-rows", int64(o.BatchRows)}, {"batch-delay", int64(o.BatchDelay)},
	} {
		zeroOK := f.name == "batch-rows" || f.name == "batch-delay" || !flags.Changed(f.name)
		if f.v < 0 || f.v == 0 && !zeroOK {
			return usageError{fmt.Errorf("--%s %s: must be above 0", f.name, flags.Lookup(f.name).Value)}
		}
	}
	if o.MaxInFlight > 0 && o.MaxInFlight < o.MaxBody {
		return usageError{fmt.Errorf("--max-in-flight %d is below --max-body %d: a body of the largest size could never be read", o.MaxInFlight, o.MaxBody)}
	}
	return nil
}

func runServe(ctx context.Context, s Streams, o *serveOptions, prefixes []string) error {
	models, err := loadModels(ctx, s, o.backend, prefixes)
	if err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" {
		// A server's live heap is a few MB: at Go's default of 100 the
		// collector ran many times a second under load, 6-9% of a core
		// (bench/serve.sh at 32 clients, 1 core); 400 costs a few MB.
		debug.SetGCPercent(serveGCPercent)
		if os.Getenv("GOMEMLIMIT") == "" {
			// Large requests are another matter: at 400 the heap may grow
			// to five times what they hold. A request holds about six
			// times its body, and the bodies in flight are bounded, so the
			// collector works harder past what they can hold (32 requests
			// of 8 MB at once: 1 GB peak, 440-470 MB with this limit).
			debug.SetMemoryLimit(serveMemoryLimit(o.Options))
		}
	}
	srv, err := serve.New(ctx, models, o.Options)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("serve: %w: another server listens there (another xp serve?); pick another --addr, or port 0 for a free one", err)
	}
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	base := "http://" + ln.Addr().String()
	for i, name := range srv.Names() {
		fmt.Fprintf(s.Err, "serving %s (run %s): POST %s/v1/models/%s:predict\n",
			name, models[i].Run.Short(), base, name)
	}
	fmt.Fprintf(s.Err, "listening on %s: GET /v1/models /healthz /readyz /metrics\n", base)
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		fmt.Fprintf(s.Err, "xp: note: %s is reachable beyond this machine, and xp serve has no TLS or authentication: put it behind a proxy that has them\n", ln.Addr())
	}
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	fmt.Fprintln(s.Err, "stopped: every request in flight answered")
	return nil
}

// loadModels resolves each key prefix to its run and loads its model.
func loadModels(ctx context.Context, s Streams, backend string, prefixes []string) ([]*serve.Model, error) {
	st, root, err := openStore(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var models []*serve.Model
	for _, prefix := range prefixes {
		r, err := resolveRun(ctx, st, prefix)
		if err != nil {
			return nil, err
		}
		if err := needArtifacts(ctx, s, st, root, r); err != nil {
			return nil, err
		}
		p, err := predict.Load(st.ArtifactDir(r), r, backend)
		if err != nil {
			return nil, err
		}
		if p.Note != "" {
			fmt.Fprintf(s.Err, "xp: note: %s\n", p.Note)
		}
		m, err := serve.NewModel(r, p)
		if err != nil {
			return nil, err
		}
		models = append(models, m)
	}
	return models, nil
}
