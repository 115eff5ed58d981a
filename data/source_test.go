package data

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data/fetch"
	"github.com/xp-ml/xp/data/fetch/s3test"
)

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestResolveFileSource(t *testing.T) {
	dir := t.TempDir()
	body := []byte(tableCSV)
	if err := os.WriteFile(filepath.Join(dir, "t.csv"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src, err := ResolveSource(ctx, "data.source", spec.Source{File: "t.csv"}, SourceOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if src.Kind != "file" || src.SHA256 != hexSHA(body) || src.Format != FormatCSV || src.Path != filepath.Join(dir, "t.csv") {
		t.Errorf("resolved %+v", src)
	}
	f, err := src.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkFrame(t, f, []int{2, 3, 4}, tableWant)

	t.Run("changed after hashing", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(dir, "t.csv"), append(body, "4,x,1,true\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := src.Read(ctx); !errors.Is(err, ErrChanged) {
			t.Errorf("error %v, want ErrChanged", err)
		}
	})
	for _, tt := range []struct {
		name, file, field string
		kind              error
	}{
		{"missing file", "nope.csv", "data.source.file", os.ErrNotExist},
		{"unknown format", "t.xlsx", "data.source.file", ErrFormat},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ResolveSource(ctx, "data.source", spec.Source{File: tt.file}, SourceOptions{Dir: dir})
			wantFieldError(t, err, tt.field, tt.kind)
		})
	}
}

func TestResolveHTTPSource(t *testing.T) {
	body := gz(t, []byte(tableCSV))
	var requests int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		if r.URL.Path == "/sets/t.csv.gz" {
			w.Write(body)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	ctx := context.Background()
	o := SourceOptions{CacheDir: t.TempDir()}
	good := spec.Source{HTTP: &spec.HTTP{URL: srv.URL + "/sets/t.csv.gz?token=1", SHA256: hexSHA(body)}}

	src, err := ResolveSource(ctx, "data.source", good, o)
	if err != nil {
		t.Fatal(err)
	}
	if src.Cached || src.SHA256 != hexSHA(body) || src.Format != FormatCSV {
		t.Errorf("first resolve %+v", src)
	}
	f, err := src.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkFrame(t, f, []int{2, 3, 4}, tableWant)
	if want := srv.URL + "/sets/t.csv.gz?token=REDACTED"; f.Path != want {
		t.Errorf("frame named %q, want the URL without its token, %q", f.Path, want)
	}
	again, err := ResolveSource(ctx, "data.source", good, o)
	if err != nil || !again.Cached || requests != 1 {
		t.Errorf("second resolve %+v, %v after %d requests; want a cache hit and 1 request", again, err, requests)
	}

	wrong := strings.Repeat("a", 64)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	for _, tt := range []struct {
		name  string
		src   spec.HTTP
		field string
		kind  error
		parts []string
	}{
		{"wrong pin", spec.HTTP{URL: srv.URL + "/sets/t.csv.gz", SHA256: wrong}, "data.source.http.sha256", fetch.ErrPinMismatch,
			[]string{"sha256 is " + hexSHA(body), "pins " + wrong}},
		{"unreachable", spec.HTTP{URL: "http://" + dead + "/t.csv", SHA256: wrong}, "data.source.http.url", fetch.ErrUnreachable,
			[]string{"cannot reach the server", dead}},
		{"not found", spec.HTTP{URL: srv.URL + "/nope.csv", SHA256: wrong}, "data.source.http.url", fetch.ErrNotFound, []string{"404"}},
		{"no format", spec.HTTP{URL: srv.URL + "/data", SHA256: wrong}, "data.source.http.url", ErrFormat, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ResolveSource(ctx, "data.source", spec.Source{HTTP: &tt.src}, o)
			wantFieldError(t, err, tt.field, tt.kind, tt.parts...)
		})
	}
}

func TestResolveS3Source(t *testing.T) {
	const access, secret = "AKIDDATA", "data-secret"
	srv := s3test.New(t, access, secret)
	body := []byte(tableCSV)
	client, err := minio.New(strings.TrimPrefix(srv.URL, "http://"), &minio.Options{Creds: credentials.NewStaticV4(access, secret, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := client.MakeBucket(ctx, "sets", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutObject(ctx, "sets", "2024/t.csv", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", access)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	o := SourceOptions{CacheDir: t.TempDir()}
	s := spec.Source{S3: &spec.S3{Bucket: "sets", Key: "2024/t.csv", Endpoint: srv.URL}}

	src, err := ResolveSource(ctx, "data.source", s, o)
	if err != nil {
		t.Fatal(err)
	}
	f, err := src.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkFrame(t, f, []int{2, 3, 4}, tableWant)
	gets := srv.Count("GET")
	again, err := ResolveSource(ctx, "data.source", s, o)
	if err != nil || !again.Cached || srv.Count("GET") != gets || again.SHA256 != hexSHA(body) {
		t.Errorf("second resolve %+v, %v; want a cache hit without a GET", again, err)
	}

	for _, tt := range []struct {
		name        string
		key, secret string
		field       string
		kind        error
		part        string
	}{
		{"missing key", "2024/nope.csv", secret, "data.source.s3.key", fetch.ErrNotFound, "no such key"},
		{"wrong credentials", "2024/t.csv", "not-the-secret", "data.source.s3.key", fetch.ErrAccessDenied, "access denied"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_SECRET_ACCESS_KEY", tt.secret)
			bad := spec.Source{S3: &spec.S3{Bucket: "sets", Key: tt.key, Endpoint: srv.URL}}
			_, err := ResolveSource(ctx, "data.source", bad, SourceOptions{CacheDir: t.TempDir()})
			wantFieldError(t, err, tt.field, tt.kind, tt.part, "s3://sets/"+tt.key)
		})
	}
}

func TestSyntheticSource(t *testing.T) {
	ctx := context.Background()
	cls := spec.Source{Synthetic: &spec.Synthetic{Classification: &spec.SynthClassification{
		Rows: 500, Features: 4, Categorical: 2, Levels: 3, Classes: 3, Separation: 2, Missing: 0.05, Seed: 9}}}
	a, err := ResolveSource(ctx, "data.source", cls, SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fa, err := a.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fa.Len() != 500 || !slices.Equal(fa.Names, []string{"x0", "x1", "x2", "x3", "c0", "c1", "label"}) {
		t.Fatalf("%d rows, columns %q", fa.Len(), fa.Names)
	}
	b, _ := ResolveSource(ctx, "data.source", cls, SourceOptions{})
	fb, _ := b.Read(ctx)
	if a.SHA256 != b.SHA256 || !sameFrame(fa, fb) {
		t.Error("the same parameters gave different data or hashes")
	}
	other := *cls.Synthetic.Classification
	other.Seed = 10
	c, _ := ResolveSource(ctx, "data.source", spec.Source{Synthetic: &spec.Synthetic{Classification: &other}}, SourceOptions{})
	if c.SHA256 == a.SHA256 {
		t.Error("another seed hashes the same")
	}
	// Separated classes are learnable: a classifier's input, not noise.
	p, err := Prepare(fa, spec.Data{Target: "label", Split: spec.Split{Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Classes) != 3 || p.Report[0].Kind != "impute" {
		t.Errorf("classes %q, report %+v", p.Classes, p.Report)
	}

	inter := spec.Source{Synthetic: &spec.Synthetic{Interactions: &spec.SynthInteractions{
		Users: 50, Items: 40, Interactions: 1000, Factors: 4, Negatives: 2, Seed: 1}}}
	s, err := ResolveSource(ctx, "data.source", inter, SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Len() != 3000 || !slices.Equal(fi.Names, []string{"user", "item", "label"}) {
		t.Fatalf("%d rows, columns %q", fi.Len(), fi.Names)
	}
	// Positives are unique pairs and favour some items over others.
	label, _ := fi.Col("label")
	user, _ := fi.Col("user")
	item, _ := fi.Col("item")
	seen := map[string]bool{}
	popular := map[string]int{}
	for i := range fi.Len() {
		if label.Num[i] == 1 {
			k := user.Str[i] + "/" + item.Str[i]
			if seen[k] {
				t.Fatalf("positive %s twice", k)
			}
			seen[k] = true
			popular[item.Str[i]]++
		}
	}
	most := 0
	for _, n := range popular {
		most = max(most, n)
	}
	if len(seen) != 1000 || most < 3*1000/40/2 { // uniform picks would give about 25 each
		t.Errorf("%d positives, the most popular item has %d: the latent factors do not show", len(seen), most)
	}
	for _, bad := range []spec.Synthetic{
		{Interactions: &spec.SynthInteractions{Users: 2, Items: 2, Interactions: 10, Factors: 1, Negatives: 1}},
		{Classification: &spec.SynthClassification{Rows: 10, Classes: 1, Features: 1}},
	} {
		src, err := ResolveSource(ctx, "data.source", spec.Source{Synthetic: &bad}, SourceOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Read(ctx); err == nil {
			t.Errorf("%+v generated", bad)
		}
	}
}
