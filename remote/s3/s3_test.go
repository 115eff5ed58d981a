package s3_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/xp-ml/xp/data/fetch"
	"github.com/xp-ml/xp/data/fetch/s3test"
	"github.com/xp-ml/xp/remote/remotetest"
	"github.com/xp-ml/xp/remote/s3"
)

const (
	access = "AKIDXPREMOTE"
	secret = "xp-remote-secret-do-not-print"
)

// servers are the S3 servers every test runs against: gofakes3 in the
// test's process behind a SigV4 check, and versitygw, a real server
// (skipped where it is not built; see s3test.Versity).
var servers = []struct {
	name  string
	start func(testing.TB) *s3test.Server
}{
	{"gofakes3", func(t testing.TB) *s3test.Server { return s3test.WithBuckets(t, access, secret, "xp-runs") }},
	{"versitygw", func(t testing.TB) *s3test.Server {
		srv := s3test.Versity(t, access, secret)
		makeBucket(t, srv, "xp-runs")
		return srv
	}},
}

func makeBucket(t testing.TB, srv *s3test.Server, name string) {
	t.Helper()
	host := strings.TrimPrefix(srv.URL, "http://")
	c, err := minio.New(host, &minio.Options{Creds: credentials.NewStaticV4(access, secret, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.MakeBucket(context.Background(), name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket %s: %v", name, err)
	}
}

func creds(a, s string) fetch.S3Options {
	return fetch.S3Options{Credentials: credentials.NewStaticV4(a, s, "")}
}

func TestConformance(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			s := srv.start(t)
			for _, prefix := range []string{"", "/team/xp"} {
				b, err := s3.Open("s3://xp-runs"+prefix, s.URL, "", creds(access, secret))
				if err != nil {
					t.Fatal(err)
				}
				t.Run("prefix "+prefix, func(t *testing.T) { remotetest.Run(t, b) })
			}
		})
	}
}

// Wrong credentials, a missing bucket and an endpoint where nothing
// listens are each one line saying which and what to do.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			s := srv.start(t)
			for _, tt := range []struct {
				name, url, endpoint string
				opts                fetch.S3Options
				kind                error
				msg                 string
			}{
				{"wrong secret", "s3://xp-runs/team", s.URL, creds(access, "wrong"), fetch.ErrAccessDenied, "access denied (SignatureDoesNotMatch): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"},
				{"unknown key", "s3://xp-runs/team", s.URL, creds("AKIDNOBODY", secret), fetch.ErrAccessDenied, "access denied ("},
				{"missing bucket", "s3://no-such-bucket/team", s.URL, creds(access, secret), fetch.ErrNotFound, `no such bucket "no-such-bucket"`},
				{"unreachable", "s3://xp-runs/team", dead, creds(access, secret), fetch.ErrUnreachable, "cannot reach the store"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					b, err := s3.Open(tt.url, tt.endpoint, "", tt.opts)
					if err != nil {
						t.Fatal(err)
					}
					_, lerr := b.List(ctx, "runs/")
					perr := b.Put(ctx, "runs/x", strings.NewReader("x"), 1)
					for _, err := range []error{lerr, perr} {
						if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.msg) || strings.Contains(err.Error(), "\n") {
							t.Errorf("error %q, want one line matching %v and saying %q", err, tt.kind, tt.msg)
						}
						if strings.Contains(err.Error(), secret) {
							t.Errorf("error %q shows the secret", err)
						}
					}
				})
			}
		})
	}
}
