package serve_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xp-ml/xp/internal/runtest"
	"github.com/xp-ml/xp/serve"
)

// BenchmarkPredictOneRow is the server's own work for one single-row JSON
// request to the credit model, connections aside: parsing, checking,
// encoding, scoring and writing the answer. bench/serve.sh measures it
// over loopback against a PyTorch server.
// oneRow is a credit applicant as a client sends one.
const oneRow = `{"Seniority":9,"Home":"rent","Time":60,"Age":30,"Marital":"married","Records":"no","Job":"freelance","Expenses":73,"Income":129,"Assets":0,"Debt":0,"Amount":800,"Price":846}`

func BenchmarkPredictOneRow(b *testing.B) {
	benchPredict(b, []byte(`{"rows":[`+oneRow+`]}`))
}

// BenchmarkPredictManyRows is a request near the default body limit:
// 40,000 rows, 8 MB. Its bytes per op are what one such request holds.
func BenchmarkPredictManyRows(b *testing.B) {
	rows := strings.Repeat(oneRow+",", 40000)
	benchPredict(b, []byte(`{"rows":[`+rows[:len(rows)-1]+`]}`))
}

func benchPredict(b *testing.B, body []byte) {
	proj := runtest.Shipped(b, "credit")
	r, err := proj.Store.Resolve(context.Background(), proj.Runs["credit"].Key)
	if err != nil {
		b.Fatal(err)
	}
	m := loadRun(b, proj, r.Key)
	srv, err := serve.New(context.Background(), []*serve.Model{m}, serve.Options{Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	// One request and one answer, reset each time, as net/http's server
	// reuses its buffers for a connection's requests: what is counted is
	// the handler's own.
	req := httptest.NewRequest("POST", "/v1/models/credit:predict", nil)
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = int64(len(body))
	rd := bytes.NewReader(body)
	w := &recorded{header: http.Header{}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		req.Body = io.NopCloser(rd)
		clear(w.header)
		w.code, w.body = 0, w.body[:0]
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("status %d: %.300s", w.code, w.body)
		}
	}
}

// recorded is a ResponseWriter that keeps what it is given, reused from one
// request to the next.
type recorded struct {
	header http.Header
	code   int
	body   []byte
}

func (a *recorded) Header() http.Header { return a.header }

func (a *recorded) WriteHeader(code int) {
	if a.code == 0 {
		a.code = code
	}
}

func (a *recorded) Write(p []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	a.body = append(a.body, p...)
	return len(p), nil
}
