package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// Options say how a Server listens and scores. The zero value of a field
// takes its default.
type Options struct {
	// MaxBody is the largest request body read, in bytes (default 8 MiB);
	// a larger one gets 413.
	MaxBody int64
	// ReadTimeout bounds reading a request, headers and body (default
	// 10 s); WriteTimeout bounds the time from the end of the headers to
	// the end of the answer (default 30 s); IdleTimeout closes a
	// keep-alive connection left idle (default 60 s).
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// DrainTimeout is how long Serve waits, once its context ends, for
	// the requests in flight to be answered (default 30 s).
	DrainTimeout time.Duration
	// Workers is how many compiled copies of each model score at once
	// (default GOMAXPROCS).
	Workers int
	// BatchRows, when above 1, lets a worker join the requests waiting
	// for it into one pass through the model, up to that many rows, and
	// BatchDelay lets it wait that long for more. With OpenBLAS a row's
	// last bits depend on the rows scored with it, so batched answers can
	// differ from `xp predict`'s in the last digit; without batching (the
	// default) each request is scored alone, as `xp predict` scores a
	// file, and its answers are the same bytes.
	BatchRows  int
	BatchDelay time.Duration
	// MaxInFlight bounds the request bodies being read as rows and scored
	// at once, in bytes (default 4 x MaxBody, at least MaxBody): a body
	// counts once it has arrived, so that a client that sends slowly holds
	// none of it, and waits for room up to ReadTimeout, else gets 503. A
	// request holds about six times its body while it is scored, so this
	// is what bounds the server's memory: 32 bodies of 8 MB at once took
	// 1.5 GB, and nothing stopped 300.
	MaxInFlight int64
}

// WithDefaults is o with each zero field at its default.
func (o Options) WithDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 8 << 20
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 4 * o.MaxBody
	}
	o.MaxInFlight = max(o.MaxInFlight, o.MaxBody) // else a body of MaxBody would wait for ever
	def(&o.ReadTimeout, 10*time.Second)
	def(&o.WriteTimeout, 30*time.Second)
	def(&o.IdleTimeout, 60*time.Second)
	def(&o.DrainTimeout, 30*time.Second)
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// Server serves models over HTTP.
type Server struct {
	opts     Options
	models   []*Model
	byName   map[string]*Model
	metrics  *metrics
	handler  http.Handler
	draining atomic.Bool
	// bodies is Options.MaxInFlight's budget, in bytes.
	bodies *semaphore.Weighted
}

// New compiles every model for its workers and returns a Server ready to
// Serve. Two runs of one experiment are served under their short keys.
func New(ctx context.Context, models []*Model, opts Options) (*Server, error) {
	if err := nameModels(models); err != nil {
		return nil, err
	}
	s := &Server{opts: opts.WithDefaults(), models: models, byName: map[string]*Model{}, metrics: newMetrics()}
	s.bodies = semaphore.NewWeighted(s.opts.MaxInFlight)
	for _, m := range models {
		s.byName[m.name] = m
		name := m.name
		pl, err := newPool(ctx, m.Predictor, s.opts.Workers, s.opts.BatchRows, s.opts.BatchDelay,
			func(rows int) { s.metrics.batch(name, rows) })
		if err != nil {
			s.closePools()
			return nil, fmt.Errorf("serve %s: %w", m.Run.Short(), err)
		}
		m.workers = pl
	}
	s.handler = s.routes()
	return s, nil
}

// Names lists the models' URL names, in the order given to New.
func (s *Server) Names() []string {
	out := make([]string, len(s.models))
	for i, m := range s.models {
		out[i] = m.name
	}
	return out
}

// Handler is the server's routes, for a caller that runs its own
// http.Server (tests do).
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers requests on ln until ctx ends, then stops accepting new
// ones, answers those in flight (up to Options.DrainTimeout) and returns
// nil. The models' workers stop with it; a Server serves once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.opts.ReadTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		// Requests in flight are drained, not canceled, when ctx ends.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.closePools()
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	dctx, cancel := context.WithTimeout(context.Background(), s.opts.DrainTimeout)
	defer cancel()
	err := srv.Shutdown(dctx)
	<-errc
	if err != nil {
		n := s.metrics.inFlight.Load()
		srv.Close()
		s.closePools()
		return fmt.Errorf("drain: %d requests still in flight after %s: %w", n, s.opts.DrainTimeout, err)
	}
	s.closePools()
	return nil
}

func (s *Server) closePools() {
	for _, m := range s.models {
		if m.workers != nil {
			m.workers.close()
			m.workers = nil
		}
	}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		routeOf(w).handler = "healthz"
		writeText(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		routeOf(w).handler = "readyz"
		if s.draining.Load() {
			writeText(w, http.StatusServiceUnavailable, "draining\n")
			return
		}
		writeText(w, http.StatusOK, "ready\n")
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		routeOf(w).handler = "metrics"
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.metrics.write(w)
	})
	mux.HandleFunc("GET /v1/models", s.listModels)
	mux.HandleFunc("GET /v1/models/{name}", s.showModel)
	mux.HandleFunc("POST /v1/models/{name}", s.predict)
	return s.record(mux)
}

// route is what a handler tells the recording middleware about a
// request.
type route struct {
	handler, model string
}

// routeOf is the route of the request being answered on w.
func routeOf(w http.ResponseWriter) *route {
	if rec, ok := w.(*statusRecorder); ok {
		return &rec.route
	}
	return &route{}
}

// record counts every request, its status and its latency.
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inFlight.Add(1)
		defer s.metrics.inFlight.Add(-1)
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK, route: route{handler: "unknown"}}
		next.ServeHTTP(rec, r)
		s.metrics.request(rec.handler, rec.model, rec.code, time.Since(start))
	})
}

// statusRecorder is a ResponseWriter that keeps the status written and
// the route that answered.
type statusRecorder struct {
	http.ResponseWriter
	code int
	route
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) {
	routeOf(w).handler = "models"
	infos := make([]modelInfo, len(s.models))
	for i, m := range s.models {
		infos[i] = m.info
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": infos})
}

func (s *Server) showModel(w http.ResponseWriter, r *http.Request) {
	rt := routeOf(w)
	rt.handler = "models"
	m, ok := s.lookup(w, r.PathValue("name"))
	if !ok {
		return
	}
	rt.model = m.name
	writeJSON(w, http.StatusOK, m.info)
}

// lookup finds a model by its URL name, or by a prefix of its key, and
// answers 404 when there is none.
func (s *Server) lookup(w http.ResponseWriter, name string) (*Model, bool) {
	if m, ok := s.byName[name]; ok {
		return m, true
	}
	var found *Model
	if len(name) >= 4 {
		for _, m := range s.models {
			if strings.HasPrefix(m.Run.Key, strings.ToLower(name)) {
				if found != nil {
					found = nil
					break
				}
				found = m
			}
		}
	}
	if found == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no model %q here; serving %s", name, strings.Join(s.Names(), ", ")), nil)
		return nil, false
	}
	return found, true
}

// errClientGone ends a request whose client went away before its answer.
var errClientGone = errors.New("client went away")
