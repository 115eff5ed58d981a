package runner_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xp-ml/xp/runner"
)

// TestHTTPSecretsNotRecorded: the user:password@ and the query token of an
// http source reach the server, but neither the store (the run's spec,
// its error) nor its artifacts (spec.json, data.json, log.txt) nor an
// error message hold them.
func TestHTTPSecretsNotRecorded(t *testing.T) {
	iris, err := os.ReadFile("../experiments/data/iris.csv")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "s3cret" || r.URL.Query().Get("token") != "t0k3n" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		if r.URL.Path == "/missing.csv" {
			http.NotFound(w, r)
			return
		}
		w.Write(iris)
	}))
	defer srv.Close()
	secretURL := strings.Replace(srv.URL, "http://", "http://alice:s3cret@", 1)
	secrets := []string{"alice", "s3cret", "t0k3n"}
	check := func(what, text string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s holds %q:\n%s", what, s, text)
			}
		}
	}
	src := `source: http: {url: "` + secretURL + `/iris.csv?token=t0k3n", sha256: "` + hexSHA(iris) + `"}`
	exp, st := setup(t, irisFrom(src))
	res, err := runner.Run(context.Background(), st, exp, runner.Options{Backend: "gorgonia", AllowDirty: true})
	if err != nil {
		t.Fatal(err)
	}
	check("the run's recorded spec", string(res.Run.Spec))
	if !bytes.Contains(res.Run.Spec, []byte("REDACTED")) {
		t.Errorf("the recorded spec does not say the URL was redacted: %s", res.Run.Spec)
	}
	dir := st.ArtifactDir(res.Run)
	for _, name := range []string{"spec.json", "data.json", "log.txt"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		check(name, string(raw))
	}

	missing := `source: http: {url: "` + secretURL + `/missing.csv?token=t0k3n", sha256: "` + strings.Repeat("c", 64) + `"}`
	exp, st = setup(t, irisFrom(missing))
	_, err = runner.Run(context.Background(), st, exp, runner.Options{Backend: "gorgonia", AllowDirty: true})
	if err == nil {
		t.Fatal("a missing file was fetched")
	}
	check("the error", err.Error())
	if !strings.Contains(err.Error(), "404") {
		t.Errorf("the error does not say what happened: %v", err)
	}
}
