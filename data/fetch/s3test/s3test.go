// Package s3test serves an S3-protocol store on loopback for tests: the
// in-process gofakes3 behind a handler that checks AWS Signature Version 4
// with one access key and secret, as a real store does (gofakes3 itself
// accepts any credentials), and counts the requests by method.
package s3test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Server is a running store.
type Server struct {
	URL            string // http://127.0.0.1:port
	Access, Secret string

	mu     sync.Mutex
	counts map[string]int
}

// New starts a store that accepts only requests signed with access and
// secret, where every bucket exists; it stops when the test ends.
func New(t testing.TB, access, secret string) *Server {
	t.Helper()
	return start(t, access, secret, gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)))
}

// WithBuckets is New with only the buckets named: a request to any other
// is answered NoSuchBucket, as a real store answers it.
func WithBuckets(t testing.TB, access, secret string, buckets ...string) *Server {
	t.Helper()
	backend := s3mem.New()
	for _, b := range buckets {
		if err := backend.CreateBucket(b); err != nil {
			t.Fatalf("create bucket %s: %v", b, err)
		}
	}
	return start(t, access, secret, gofakes3.New(backend))
}

func start(t testing.TB, access, secret string, fake *gofakes3.GoFakeS3) *Server {
	s := &Server{Access: access, Secret: secret, counts: map[string]int{}}
	inner := fake.Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.counts[r.Method]++
		s.mu.Unlock()
		if code, msg := s.check(r); code != "" {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, msg)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Count is how many requests of this method ("GET", "HEAD", "PUT") came.
func (s *Server) Count(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[method]
}

// check verifies r's SigV4 Authorization header; it returns an S3 error
// code and message when r is not signed with the server's key.
func (s *Server) check(r *http.Request) (string, string) {
	auth := r.Header.Get("Authorization")
	const algo = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(auth, algo) {
		return "AccessDenied", "anonymous access is not allowed"
	}
	parts := map[string]string{}
	for _, p := range strings.Split(strings.TrimPrefix(auth, algo), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		parts[k] = v
	}
	cred := strings.Split(parts["Credential"], "/")
	if len(cred) != 5 {
		return "AuthorizationHeaderMalformed", "bad Credential"
	}
	if cred[0] != s.Access {
		return "InvalidAccessKeyId", "the access key does not exist"
	}
	date, region, service := cred[1], cred[2], cred[3]
	signed := strings.Split(parts["SignedHeaders"], ";")
	var canon strings.Builder
	canon.WriteString(r.Method + "\n")
	canon.WriteString(r.URL.EscapedPath() + "\n")
	canon.WriteString(canonicalQuery(r.URL.Query()) + "\n")
	for _, h := range signed {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		canon.WriteString(h + ":" + strings.TrimSpace(v) + "\n")
	}
	canon.WriteString("\n" + parts["SignedHeaders"] + "\n")
	canon.WriteString(r.Header.Get("X-Amz-Content-Sha256"))
	sum := sha256.Sum256([]byte(canon.String()))
	scope := strings.Join(cred[1:], "/")
	toSign := "AWS4-HMAC-SHA256\n" + r.Header.Get("X-Amz-Date") + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := mac([]byte("AWS4"+s.Secret), date)
	key = mac(key, region)
	key = mac(key, service)
	key = mac(key, "aws4_request")
	want := hex.EncodeToString(mac(key, toSign))
	if !hmac.Equal([]byte(want), []byte(parts["Signature"])) {
		return "SignatureDoesNotMatch", "the request signature does not match"
	}
	return "", ""
}

func mac(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// canonicalQuery is SigV4's query string: sorted, every name and value
// percent-encoded (space as %20).
func canonicalQuery(q url.Values) string {
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, awsEscape(k)+"="+awsEscape(v))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

func awsEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
