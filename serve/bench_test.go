package serve_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/xp-ml/xp/internal/runtest"
	"github.com/xp-ml/xp/serve"
)

// BenchmarkPredictOneRow is the server's own work for one single-row JSON
// request to the credit model, connections aside: parsing, checking,
// encoding, scoring and writing the answer. bench/serve.sh measures it
// over loopback against a PyTorch server.
func BenchmarkPredictOneRow(b *testing.B) {
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
	body := []byte(`{"rows":[{"Seniority":9,"Home":"rent","Time":60,"Age":30,"Marital":"married","Records":"no","Job":"freelance","Expenses":73,"Income":129,"Assets":0,"Debt":0,"Amount":800,"Price":846}]}`)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v1/models/credit:predict", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
