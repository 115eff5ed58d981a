package fetch

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/xp-ml/xp/data/fetch/s3test"
)

const (
	testAccess = "AKIDXPTEST"
	testSecret = "xp-test-secret-do-not-print"
)

// upload puts body at bucket/key through the signature-checking store,
// with the right key: the upload is itself a check that signing works.
func upload(t *testing.T, srv *s3test.Server, bucket, key string, body []byte) {
	t.Helper()
	host, _, _ := parseEndpoint(srv.URL)
	client, err := minio.New(host, &minio.Options{Creds: credentials.NewStaticV4(testAccess, testSecret, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		if r := minio.ToErrorResponse(err); r.Code != "BucketAlreadyOwnedByYou" && r.Code != "BucketAlreadyExists" {
			t.Fatalf("make bucket: %v", err)
		}
	}
	if _, err := client.PutObject(ctx, bucket, key, bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("upload: %v", err)
	}
}

func TestS3(t *testing.T) {
	srv := s3test.New(t, testAccess, testSecret)
	body := []byte("a,b\n1,2\n3,4\n")
	upload(t, srv, "xp-data", "sets/ab.csv", body)
	// Credentials come from the standard environment variables.
	t.Setenv("AWS_ACCESS_KEY_ID", testAccess)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	ctx := context.Background()
	c := &Cache{Dir: t.TempDir()}
	obj := S3Object{Endpoint: srv.URL, Bucket: "xp-data", Key: "sets/ab.csv"}

	t.Run("download, then a hit after one HEAD", func(t *testing.T) {
		gets := srv.Count("GET")
		b, err := c.S3(ctx, obj, S3Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(b.Path)
		if b.Hit || b.SHA256 != sha(body) || !bytes.Equal(got, body) {
			t.Fatalf("first fetch %+v with %q", b, got)
		}
		if srv.Count("GET") != gets+1 {
			t.Errorf("%d GETs for one download", srv.Count("GET")-gets)
		}
		gets, heads := srv.Count("GET"), srv.Count("HEAD")
		b2, err := c.S3(ctx, obj, S3Options{})
		if err != nil || !b2.Hit || b2.Path != b.Path {
			t.Fatalf("second fetch %+v, %v; want a hit", b2, err)
		}
		if srv.Count("GET") != gets || srv.Count("HEAD") != heads+1 {
			t.Errorf("second fetch made %d GETs and %d HEADs, want 0 and 1", srv.Count("GET")-gets, srv.Count("HEAD")-heads)
		}
	})

	t.Run("pinned and cached: no request at all", func(t *testing.T) {
		n := srv.Count("GET") + srv.Count("HEAD")
		pinned := obj
		pinned.SHA256 = sha(body)
		b, err := c.S3(ctx, pinned, S3Options{})
		if err != nil || !b.Hit {
			t.Fatalf("%+v, %v", b, err)
		}
		if srv.Count("GET")+srv.Count("HEAD") != n {
			t.Error("a pinned, cached object was requested")
		}
	})

	t.Run("changed object is downloaded again", func(t *testing.T) {
		changed := []byte("a,b\n5,6\n")
		upload(t, srv, "xp-data", "sets/ab.csv", changed)
		b, err := c.S3(ctx, obj, S3Options{})
		if err != nil || b.Hit || b.SHA256 != sha(changed) {
			t.Fatalf("%+v, %v; want a fresh download of the new bytes", b, err)
		}
		upload(t, srv, "xp-data", "sets/ab.csv", body)
	})

	tests := []struct {
		name   string
		obj    S3Object
		access string
		secret string
		kind   error
		msg    string
	}{
		{"missing key", S3Object{Endpoint: srv.URL, Bucket: "xp-data", Key: "sets/nope.csv"}, testAccess, testSecret, ErrNotFound, "no such key"},
		{"wrong secret", obj, testAccess, "wrong", ErrAccessDenied, "access denied"},
		{"unknown access key", obj, "AKIDOTHER", testSecret, ErrAccessDenied, "access denied"},
		{"wrong pin", S3Object{Endpoint: srv.URL, Bucket: "xp-data", Key: "sets/ab.csv", SHA256: strings.Repeat("1", 64)}, testAccess, testSecret, ErrPinMismatch, "sha256 is " + sha(body)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_ACCESS_KEY_ID", tt.access)
			t.Setenv("AWS_SECRET_ACCESS_KEY", tt.secret)
			fresh := &Cache{Dir: t.TempDir()}
			_, err := fresh.S3(ctx, tt.obj, S3Options{})
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error %v, want %v", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), "s3://"+tt.obj.Bucket+"/"+tt.obj.Key) {
				t.Errorf("error %q, want it to name the object and say %q", err, tt.msg)
			}
			if strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}

	t.Run("unreachable store", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		_, err = (&Cache{Dir: t.TempDir()}).S3(ctx, S3Object{Endpoint: "http://" + addr, Bucket: "bucket", Key: "k.csv"}, S3Options{})
		if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "cannot reach the store") {
			t.Errorf("error %v, want ErrUnreachable", err)
		}
	})
}

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in, host string
		secure   bool
		bad      bool
	}{
		{"", "s3.amazonaws.com", true, false},
		{"minio.local:9000", "minio.local:9000", true, false},
		{"http://127.0.0.1:9000", "127.0.0.1:9000", false, false},
		{"https://s3.example.com/", "s3.example.com", true, false},
		{"ftp://x", "", false, true},
		{"http://x/path", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			host, secure, err := parseEndpoint(tt.in)
			if (err != nil) != tt.bad || host != tt.host || secure != tt.secure {
				t.Errorf("parseEndpoint(%q) = %q, %v, %v", tt.in, host, secure, err)
			}
		})
	}
}
