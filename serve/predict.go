package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/metric"
	"github.com/xp-ml/xp/predict"
)

// predict answers POST /v1/models/<name>:predict.
func (s *Server) predict(w http.ResponseWriter, r *http.Request) {
	rt := routeOf(w)
	rt.handler = "predict"
	name, ok := strings.CutSuffix(r.PathValue("name"), ":predict")
	if !ok {
		writeError(w, http.StatusNotFound, "no such route; POST /v1/models/<name>:predict scores rows", nil)
		return
	}
	m, ok := s.lookup(w, name)
	if !ok {
		return
	}
	rt.model = m.name
	in, err := requestFormat(r.Header.Get("Content-Type"))
	if err != nil {
		writeError(w, http.StatusUnsupportedMediaType, err.Error(), nil)
		return
	}
	if r.ContentLength > s.opts.MaxBody {
		s.fail(w, &http.MaxBytesError{Limit: s.opts.MaxBody}) // unread
		return
	}
	buf := getBuffer()
	defer putBuffer(buf)
	if err := s.readBody(w, r, buf); err != nil {
		s.fail(w, err)
		return
	}
	// Reading and scoring a body costs several times its size: the
	// bodies at that stage are bounded, once they have arrived, so that
	// a client that sends slowly holds none of the budget.
	held := int64(buf.Len())
	if err := s.holdBody(r.Context(), held); err != nil {
		s.fail(w, err)
		return
	}
	defer s.bodies.Release(held)
	f, err := m.readRows(r.Context(), in, buf.Bytes())
	if err != nil {
		s.fail(w, err)
		return
	}
	buf.Reset() // for the answer: f keeps no part of the body
	mat, err := m.Predictor.Encode(withoutColumn(f, m.Predictor.Pipeline.Target))
	if err != nil {
		s.fail(w, &badRequest{msg: "bad input: " + err.Error()})
		return
	}
	out, err := m.workers.score(r.Context(), mat)
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header()["X-Xp-Run-Key"] = m.keyHeader
	if answerFormat(r.Header.Get("Accept"), in) == formatCSV {
		if err := m.Predictor.WriteCSV(buf, f, out); err != nil {
			s.fail(w, err)
			return
		}
		writeBody(w, http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
		return
	}
	m.appendAnswer(buf, out)
	writeBody(w, http.StatusOK, "application/json", buf.Bytes())
}

// buffers hold request bodies and answers, so that a request of one row
// does not grow a buffer of its own. One grown past maxPooled by a large
// request is left to the collector rather than kept.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooled = 64 << 10

func getBuffer() *bytes.Buffer { return buffers.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooled {
		b.Reset()
		buffers.Put(b)
	}
}

// errBusy is a request that found no room among the bodies being read
// and scored (Options.MaxInFlight) within the read timeout.
var errBusy = errors.New("busy: too many request bodies in flight; retry")

// holdBody waits for room for a body of n bytes among those being read
// as rows and scored (Options.MaxInFlight), up to the read timeout.
func (s *Server) holdBody(ctx context.Context, n int64) error {
	if s.bodies.TryAcquire(n) {
		return nil
	}
	wait, cancel := context.WithTimeout(ctx, s.opts.ReadTimeout)
	defer cancel()
	if err := s.bodies.Acquire(wait, n); err != nil {
		if ctx.Err() != nil {
			return errClientGone
		}
		return errBusy
	}
	return nil
}

// readBody reads the whole body into buf, up to the limit. A small body
// gets its room at once; a large one grows the buffer as it arrives, so
// that a Content-Length is not memory taken before any byte is sent.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer) error {
	if r.ContentLength > 0 && r.ContentLength <= min(s.opts.MaxBody, maxPooled) {
		buf.Grow(int(r.ContentLength) + bytes.MinRead) // ReadFrom reads the last, empty read into MinRead bytes
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.opts.MaxBody))
	return err
}

// fail answers err with its status: a *badRequest 400 with its problems,
// an oversized body 413, a body not read in time 408, a client gone 499,
// a server shutting down 503, anything else 500.
func (s *Server) fail(w http.ResponseWriter, err error) {
	var bad *badRequest
	var tooBig *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &bad):
		s.metrics.badInput(bad.problems)
		writeJSON(w, http.StatusBadRequest, errorBody{Error: bad.msg, Problems: bad.problems, MoreProblems: bad.more})
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over the limit of %d bytes", tooBig.Limit), nil)
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusRequestTimeout, "request not read or scored in time", nil)
	case errors.Is(err, context.Canceled), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, errClientGone):
		writeError(w, 499, errClientGone.Error(), nil)
	case errors.Is(err, errClosed):
		writeError(w, http.StatusServiceUnavailable, err.Error(), nil)
	case errors.Is(err, errBusy):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, err.Error(), nil)
	default:
		writeError(w, http.StatusInternalServerError, err.Error(), nil)
	}
}

// requestFormat tells a body's format from its Content-Type: JSON when it
// says none.
//
// application/x-www-form-urlencoded is read as JSON: it is what curl -d
// sends unless told otherwise, and no client sends rows as a form, so a
// first request without the header is scored rather than refused.
func requestFormat(contentType string) (string, error) {
	switch contentType {
	case "", "application/json", formURLEncoded:
		return formatJSON, nil
	case "text/csv":
		return formatCSV, nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", fmt.Errorf("Content-Type %q: %v", contentType, err)
	}
	switch mt {
	case "application/json", formURLEncoded:
		return formatJSON, nil
	case "text/csv":
		return formatCSV, nil
	}
	return "", fmt.Errorf("Content-Type %q: send application/json or text/csv", contentType)
}

const formURLEncoded = "application/x-www-form-urlencoded"

// answerFormat is the first of JSON and CSV that Accept names, else the
// request's own format.
func answerFormat(accept, request string) string {
	for accept != "" {
		var part string
		part, accept, _ = strings.Cut(accept, ",")
		mt, _, _ := mime.ParseMediaType(strings.TrimSpace(part))
		switch mt {
		case "application/json":
			return formatJSON
		case "text/csv":
			return formatCSV
		}
	}
	return request
}

// withoutColumn is f without the column called name: the target, which a
// row to score may carry but scoring does not read (a value that was never
// a class is no reason to refuse the row).
func withoutColumn(f *data.Frame, name string) *data.Frame {
	j := slices.Index(f.Names, name)
	if j < 0 {
		return f
	}
	g := *f
	g.Names = slices.Delete(slices.Clone(f.Names), j, j+1)
	g.Cols = slices.Delete(slices.Clone(f.Cols), j, j+1)
	return &g
}

// appendAnswer writes the JSON answer for out, the model's outputs: per
// row, the class and every class's probability, or the value. Numbers are
// written as `xp predict` writes them (predict.FormatProb,
// predict.FormatValue), so the two compare as text.
func (m *Model) appendAnswer(buf *bytes.Buffer, out []float32) {
	buf.Write(m.answerHead)
	if m.regression() {
		scale := m.Predictor.Pipeline.Scale
		for i, v := range out {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(`{"value":`)
			u := scale.Unscale(v)
			writeNumber(buf, u, func(b []byte) []byte { return append(b, predict.FormatValue(u)...) })
			buf.WriteByte('}')
		}
		buf.WriteString("]}\n")
		return
	}
	k := len(m.classJSON)
	for i := 0; i < len(out)/k; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		pr := out[i*k : (i+1)*k]
		buf.WriteString(`{"class":`)
		buf.Write(m.classJSON[metric.Argmax(pr)])
		buf.WriteString(`,"probabilities":{`)
		for c, p := range pr {
			if c > 0 {
				buf.WriteByte(',')
			}
			buf.Write(m.classJSON[c])
			buf.WriteByte(':')
			writeNumber(buf, float64(p), func(b []byte) []byte { return predict.AppendProb(b, p) })
		}
		buf.WriteString("}}")
	}
	buf.WriteString("]}\n")
}

// answerParts writes once what every answer of m repeats: its head, up to
// the predictions, and each class's name as JSON.
func (m *Model) answerParts() {
	var head bytes.Buffer
	head.WriteString(`{"model":`)
	writeString(&head, m.name)
	head.WriteString(`,"key":`)
	writeString(&head, m.Run.Key)
	head.WriteString(`,"predictions":[`)
	m.answerHead = head.Bytes()
	m.classJSON = nil
	for _, c := range m.Predictor.Pipeline.Classes {
		var b bytes.Buffer
		writeString(&b, c)
		m.classJSON = append(m.classJSON, b.Bytes())
	}
}

// writeNumber writes v as app appends it, or null where JSON has no
// number (NaN, infinities).
func writeNumber(buf *bytes.Buffer, v float64, app func([]byte) []byte) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		buf.WriteString("null")
		return
	}
	buf.Write(app(buf.AvailableBuffer()))
}

func writeString(buf *bytes.Buffer, s string) {
	q, _ := json.Marshal(s)
	buf.Write(q)
}

// contentTypes are the Content-Type headers of answers, made once.
var contentTypes = map[string][]string{
	"application/json":          {"application/json"},
	"text/csv; charset=utf-8":   {"text/csv; charset=utf-8"},
	"text/plain; charset=utf-8": {"text/plain; charset=utf-8"},
}

// errorBody is every error answer's JSON.
type errorBody struct {
	Error    string    `json:"error"`
	Problems []problem `json:"problems,omitempty"`
	// MoreProblems says the body has problems past those listed.
	MoreProblems bool `json:"more_problems,omitempty"`
}

func writeError(w http.ResponseWriter, code int, msg string, problems []problem) {
	writeJSON(w, code, errorBody{Error: msg, Problems: problems})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"internal error: encode the answer"}`)
	}
	writeBody(w, code, "application/json", append(b, '\n'))
}

func writeText(w http.ResponseWriter, code int, s string) {
	writeBody(w, code, "text/plain; charset=utf-8", []byte(s))
}

func writeBody(w http.ResponseWriter, code int, contentType string, b []byte) {
	h := w.Header()
	if v, ok := contentTypes[contentType]; ok {
		h["Content-Type"] = v // shared: net/http only reads it
	} else {
		h.Set("Content-Type", contentType)
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	w.Write(b)
}
