package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Object names an object in Amazon S3 or an S3-compatible store.
type S3Object struct {
	// Endpoint is "host[:port]" (HTTPS) or a URL whose scheme says HTTP or
	// HTTPS; "" is Amazon S3.
	Endpoint string
	Region   string
	Bucket   string
	Key      string
	// SHA256 pins the object's bytes; with it, a cached copy is used
	// without any request.
	SHA256 string
}

// String is the object as s3://bucket/key, with a non-default endpoint.
func (o S3Object) String() string {
	s := "s3://" + o.Bucket + "/" + o.Key
	if o.Endpoint != "" {
		s += " at " + o.Endpoint
	}
	return s
}

// S3Options tune S3. The zero value takes credentials from the
// environment and the AWS profile.
type S3Options struct {
	// Credentials replace the environment's (tests).
	Credentials *credentials.Credentials
	// Transport replaces the default HTTP transport.
	Transport http.RoundTripper
}

// DefaultCredentials are the standard AWS ones: the environment, then the
// shared credentials file and profile; anonymous when there are none.
func DefaultCredentials() *credentials.Credentials {
	return credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{},
		&credentials.FileAWSCredentials{},
	})
}

// s3Index is what the cache remembers of an object it downloaded without a
// pin, to know the next time whether its copy is current.
type s3Index struct {
	ETag   string `json:"etag"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// S3 returns the object's bytes: from the cache without a request when
// it is pinned and cached; from the cache after a HEAD request when the
// object has the ETag and size it had when it was downloaded; downloaded
// otherwise.
func (c *Cache) S3(ctx context.Context, o S3Object, opts S3Options) (Blob, error) {
	if b, ok := c.Lookup(o.SHA256); ok {
		return b, nil
	}
	client, err := newS3Client(o, opts)
	if err != nil {
		return Blob{}, err
	}
	indexPath := c.s3IndexPath(o)
	info, err := client.StatObject(ctx, o.Bucket, o.Key, minio.StatObjectOptions{})
	if err != nil {
		return Blob{}, s3Error(ctx, o, err)
	}
	if o.SHA256 == "" {
		if idx, ok := readIndex(indexPath); ok && idx.ETag == info.ETag && idx.Size == info.Size {
			if b, ok := c.Lookup(idx.SHA256); ok {
				return b, nil
			}
		}
	}
	obj, err := client.GetObject(ctx, o.Bucket, o.Key, minio.GetObjectOptions{})
	if err != nil {
		return Blob{}, s3Error(ctx, o, err)
	}
	defer obj.Close()
	b, err := c.Put(ctx, obj, o.SHA256, o.String())
	if err != nil {
		var er minio.ErrorResponse
		if errors.As(err, &er) {
			return Blob{}, s3Error(ctx, o, er)
		}
		return Blob{}, err
	}
	// The index is a hint; losing it only costs a download.
	if raw, err := json.Marshal(s3Index{ETag: info.ETag, Size: info.Size, SHA256: b.SHA256}); err == nil {
		_ = os.MkdirAll(filepath.Dir(indexPath), 0o755)
		tmp := indexPath + ".tmp" + fmt.Sprint(os.Getpid())
		if os.WriteFile(tmp, raw, 0o644) == nil {
			_ = os.Rename(tmp, indexPath)
		}
	}
	return b, nil
}

func (c *Cache) s3IndexPath(o S3Object) string {
	sum := sha256.Sum256([]byte(o.Endpoint + "\n" + o.Bucket + "\n" + o.Key))
	return filepath.Join(c.Dir, "s3", hex.EncodeToString(sum[:])+".json")
}

func readIndex(path string) (s3Index, bool) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return s3Index{}, false
	}
	var idx s3Index
	if json.Unmarshal(raw, &idx) != nil || idx.SHA256 == "" {
		return s3Index{}, false
	}
	return idx, true
}

// NewS3Client is a client of the store that o names (its Endpoint and
// Region; the bucket and key are the caller's), with the credentials of
// opts, else of the environment and the AWS profile: the one S3 client of
// xp, for data sources and for remotes (package remote/s3).
func NewS3Client(o S3Object, opts S3Options) (*minio.Client, error) { return newS3Client(o, opts) }

func newS3Client(o S3Object, opts S3Options) (*minio.Client, error) {
	host, secure, err := parseEndpoint(o.Endpoint)
	if err != nil {
		return nil, err
	}
	creds := opts.Credentials
	if creds == nil {
		creds = DefaultCredentials()
	}
	region := o.Region
	if region == "" && o.Endpoint != "" {
		// S3-compatible stores mostly ignore the region but sign with one;
		// without it the client would first ask the store for the bucket's.
		region = "us-east-1"
	}
	client, err := minio.New(host, &minio.Options{
		Creds: creds, Secure: secure, Region: region, Transport: opts.Transport,
		// A wrong key or password does not get better by asking again.
		MaxRetries: 2,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 client for %s: %w", o, err)
	}
	return client, nil
}

// parseEndpoint splits an endpoint into the host minio-go wants and
// whether to use TLS.
func parseEndpoint(ep string) (string, bool, error) {
	if ep == "" {
		return "s3.amazonaws.com", true, nil
	}
	if !strings.Contains(ep, "://") {
		return ep, true, nil
	}
	u, err := url.Parse(ep)
	if err != nil {
		return "", false, fmt.Errorf("s3 endpoint %q: %w", ep, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return "", false, fmt.Errorf("s3 endpoint %q: want host:port or http(s)://host:port", ep)
	}
	return u.Host, u.Scheme == "https", nil
}

// s3Error turns the client's error into one that says what to do.
func s3Error(ctx context.Context, o S3Object, err error) error {
	return S3Error(ctx, "fetch", o, err)
}

// S3Error turns an S3 client's error about o, met while doing what ("fetch",
// "push to"), into one line that says what went wrong and what to do, and
// matches this package's sentinels (ErrNotFound, ErrAccessDenied,
// ErrUnreachable, ErrStatus).
func S3Error(ctx context.Context, what string, o S3Object, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s %s: %w", what, o, ctx.Err())
	}
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case "NoSuchKey":
		return errorf(ErrNotFound, nil, "%s %s: no such key in bucket %q", what, o, o.Bucket)
	case "NoSuchBucket":
		return errorf(ErrNotFound, nil, "%s %s: no such bucket %q", what, o, o.Bucket)
	// XAdminUserNotFound is versitygw's answer to an access key it does
	// not know.
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "AuthorizationHeaderMalformed", "XAdminUserNotFound":
		return errorf(ErrAccessDenied, nil, "%s %s: access denied (%s): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE", what, o, resp.Code)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || (errors.As(err, &ne) && ne.Timeout()) {
		return errorf(ErrUnreachable, err, "%s %s: cannot reach the store: %v", what, o, unwrapURLError(err))
	}
	if resp.StatusCode != 0 {
		return errorf(ErrStatus, err, "%s %s: %s (%d %s)", what, o, resp.Code, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return fmt.Errorf("%s %s: %w", what, o, err)
}

// S3Cached is the sha256 of the copy of o the cache last downloaded, ""
// if none; it asks nothing of the store, so the copy may be stale.
func (c *Cache) S3Cached(o S3Object) string {
	idx, ok := readIndex(c.s3IndexPath(o))
	if !ok {
		return ""
	}
	return idx.SHA256
}
