package serve

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// metrics are the server's counters, written in Prometheus's text
// exposition format (version 0.0.4) by hand: a few counters and histograms
// do not need a client library and its dependencies.
type metrics struct {
	mu       sync.Mutex
	requests map[requestKey]uint64
	latency  map[routeKey]*histogram
	errors   map[string]uint64 // by kind
	problems map[string]uint64 // bad input, by problem
	rows     map[string]uint64 // scored, by model
	batches  map[string]*histogram
	inFlight atomic.Int64
}

type routeKey struct{ handler, model string }

type requestKey struct {
	routeKey
	code int
}

// Latency buckets, in seconds: fine below a millisecond, where a served
// row should be.
var latencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}

// Batch buckets, in rows.
var batchBuckets = []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 1024}

func newMetrics() *metrics {
	return &metrics{
		requests: map[requestKey]uint64{}, latency: map[routeKey]*histogram{},
		errors: map[string]uint64{}, problems: map[string]uint64{},
		rows: map[string]uint64{}, batches: map[string]*histogram{},
	}
}

// errorKind names what went wrong from a response's status code.
func errorKind(code int) string {
	switch code {
	case 400:
		return "bad_input"
	case 404:
		return "not_found"
	case 405:
		return "method_not_allowed"
	case 408:
		return "timeout"
	case 413:
		return "too_large"
	case 415:
		return "unsupported_media_type"
	case 499:
		return "canceled"
	case 503:
		return "unavailable"
	}
	if code >= 500 {
		return "internal"
	}
	return "other"
}

// request records one answered request.
func (m *metrics) request(handler, model string, code int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rk := routeKey{handler, model}
	m.requests[requestKey{rk, code}]++
	h := m.latency[rk]
	if h == nil {
		h = newHistogram(latencyBuckets)
		m.latency[rk] = h
	}
	h.observe(d.Seconds())
	if code >= 400 {
		m.errors[errorKind(code)]++
	}
}

func (m *metrics) badInput(ps []problem) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range ps {
		m.problems[p.Problem]++
	}
}

// batch records one batch of rows scored for model.
func (m *metrics) batch(model string, rows int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows[model] += uint64(rows)
	h := m.batches[model]
	if h == nil {
		h = newHistogram(batchBuckets)
		m.batches[model] = h
	}
	h.observe(float64(rows))
}

// write writes every metric in the text format.
func (m *metrics) write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	m.mu.Lock()
	family(bw, "xp_serve_requests_total", "counter", "HTTP requests answered, by handler, model and status code.")
	for _, k := range sortedKeys(m.requests, func(a, b requestKey) int {
		return cmp.Or(cmpRoute(a.routeKey, b.routeKey), cmp.Compare(a.code, b.code))
	}) {
		sample(bw, "xp_serve_requests_total", labels("handler", k.handler, "model", k.model, "code", strconv.Itoa(k.code)), float64(m.requests[k]))
	}
	family(bw, "xp_serve_request_duration_seconds", "histogram", "Time from a request's arrival to its answer, by handler and model.")
	for _, k := range sortedKeys(m.latency, cmpRoute) {
		m.latency[k].write(bw, "xp_serve_request_duration_seconds", labels("handler", k.handler, "model", k.model))
	}
	family(bw, "xp_serve_errors_total", "counter", "Requests answered with an error, by kind.")
	for _, k := range slices.Sorted(maps.Keys(m.errors)) {
		sample(bw, "xp_serve_errors_total", labels("kind", k), float64(m.errors[k]))
	}
	family(bw, "xp_serve_bad_input_problems_total", "counter", "Problems named in bad-input answers, by problem.")
	for _, k := range slices.Sorted(maps.Keys(m.problems)) {
		sample(bw, "xp_serve_bad_input_problems_total", labels("problem", k), float64(m.problems[k]))
	}
	family(bw, "xp_serve_rows_total", "counter", "Rows scored, by model.")
	for _, k := range slices.Sorted(maps.Keys(m.rows)) {
		sample(bw, "xp_serve_rows_total", labels("model", k), float64(m.rows[k]))
	}
	family(bw, "xp_serve_batch_rows", "histogram", "Rows scored together in one pass through a model, by model.")
	for _, k := range slices.Sorted(maps.Keys(m.batches)) {
		m.batches[k].write(bw, "xp_serve_batch_rows", labels("model", k))
	}
	m.mu.Unlock()
	family(bw, "xp_serve_in_flight_requests", "gauge", "Requests being answered now.")
	sample(bw, "xp_serve_in_flight_requests", "", float64(m.inFlight.Load()))
	return bw.Flush()
}

func cmpRoute(a, b routeKey) int {
	if c := strings.Compare(a.handler, b.handler); c != 0 {
		return c
	}
	return strings.Compare(a.model, b.model)
}

func sortedKeys[K comparable, V any](m map[K]V, cmp func(a, b K) int) []K {
	return slices.SortedFunc(maps.Keys(m), cmp)
}

func family(w *bufio.Writer, name, typ, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

func sample(w *bufio.Writer, name, labels string, v float64) {
	w.WriteString(name)
	if labels != "" {
		w.WriteString("{" + labels + "}")
	}
	w.WriteByte(' ')
	w.WriteString(formatValue(v))
	w.WriteByte('\n')
}

// labels writes name="value" pairs, the values escaped as the format
// wants (backslash, double quote, newline).
func labels(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(kv[i])
		b.WriteString(`="`)
		b.WriteString(labelEscaper.Replace(kv[i+1]))
		b.WriteByte('"')
	}
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func formatValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// histogram counts observations at or below each bound.
type histogram struct {
	bounds []float64
	counts []uint64 // per bucket, not cumulative
	sum    float64
	count  uint64
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds))}
}

func (h *histogram) observe(v float64) {
	if i, _ := slices.BinarySearch(h.bounds, v); i < len(h.bounds) {
		h.counts[i]++
	}
	h.sum += v
	h.count++
}

func (h *histogram) write(w *bufio.Writer, name, labels string) {
	sep := ""
	if labels != "" {
		sep = ","
	}
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		sample(w, name+"_bucket", labels+sep+`le="`+formatValue(b)+`"`, float64(cum))
	}
	sample(w, name+"_bucket", labels+sep+`le="+Inf"`, float64(h.count))
	sample(w, name+"_sum", labels, h.sum)
	sample(w, name+"_count", labels, float64(h.count))
}
