// Package s3 is a remote in an S3 bucket, under a prefix
// (s3://bucket/prefix), on Amazon S3 or any S3-compatible store (MinIO,
// versitygw, Ceph) at an endpoint. It uses the S3 client and credentials
// of data/fetch: the AWS environment variables or the shared credentials
// file with AWS_PROFILE, never written anywhere by xp.
//
// A PUT is atomic in S3: an object is visible whole or not at all, and an
// upload cut off leaves nothing (a multipart upload of a large object is
// completed only when every part is in).
package s3

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/xp-ml/xp/data/fetch"
	"github.com/xp-ml/xp/remote"
)

// Bucket is a remote's objects under a prefix of an S3 bucket.
type Bucket struct {
	client *minio.Client
	bucket string
	prefix string // "" or ending in "/"
	// addr names the remote in errors: the bucket, the prefix, the endpoint.
	addr fetch.S3Object
	url  string
}

var _ remote.Objects = (*Bucket)(nil)

// Open is the remote at rawURL, s3://bucket/prefix (the prefix is
// optional), reached at endpoint ("" for Amazon S3) in region. It makes no
// request.
func Open(rawURL, endpoint, region string, opts fetch.S3Options) (*Bucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("remote %s: want s3://bucket/prefix", rawURL)
	}
	prefix := strings.Trim(u.Path, "/")
	addr := fetch.S3Object{Endpoint: endpoint, Region: region, Bucket: u.Host, Key: prefix}
	client, err := fetch.NewS3Client(addr, opts)
	if err != nil {
		return nil, err
	}
	b := &Bucket{client: client, bucket: u.Host, addr: addr, url: "s3://" + u.Host}
	if prefix != "" {
		b.prefix = prefix + "/"
		b.url += "/" + prefix
	}
	return b, nil
}

func (b *Bucket) String() string { return b.url }

func (b *Bucket) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream"}
	// Over plain HTTP the client signs the body in chunks, and for an
	// empty body it then sends no Content-Length, which stores may
	// refuse (411). An empty body has nothing to sign.
	opts.DisableContentSha256 = size == 0
	_, err := b.client.PutObject(ctx, b.bucket, b.prefix+name, r, size, opts)
	if err != nil {
		return fetch.S3Error(ctx, "push to", b.addr, err)
	}
	return nil
}

func (b *Bucket) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	obj, err := b.client.GetObject(ctx, b.bucket, b.prefix+name, minio.GetObjectOptions{})
	if err == nil {
		// The first call sends the request; its error says whether the
		// object is there.
		_, err = obj.Stat()
	}
	if err != nil {
		if obj != nil {
			obj.Close()
		}
		return nil, b.readError(ctx, "pull from", name, err)
	}
	return obj, nil
}

func (b *Bucket) Stat(ctx context.Context, name string) (int64, error) {
	info, err := b.client.StatObject(ctx, b.bucket, b.prefix+name, minio.StatObjectOptions{})
	if err != nil {
		return 0, b.readError(ctx, "read", name, err)
	}
	return info.Size, nil
}

// readError is ErrNotExist for a missing object, else the client's error
// in one line.
func (b *Bucket) readError(ctx context.Context, what, name string, err error) error {
	if minio.ToErrorResponse(err).Code == "NoSuchKey" {
		return fmt.Errorf("%s/%s: %w", b.url, name, remote.ErrNotExist)
	}
	return fetch.S3Error(ctx, what, b.addr, err)
}

func (b *Bucket) List(ctx context.Context, prefix string) ([]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing's goroutine on an early return
	var names []string
	for o := range b.client.ListObjects(ctx, b.bucket, minio.ListObjectsOptions{Prefix: b.prefix + prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, fetch.S3Error(ctx, "list", b.addr, o.Err)
		}
		names = append(names, strings.TrimPrefix(o.Key, b.prefix))
	}
	slices.Sort(names)
	return names, nil
}

// MakeBucket creates the remote's bucket (for tests, and for a store
// that has none yet); a bucket already there is not an error.
func (b *Bucket) MakeBucket(ctx context.Context) error {
	err := b.client.MakeBucket(ctx, b.bucket, minio.MakeBucketOptions{Region: b.addr.Region})
	if err == nil {
		return nil
	}
	switch minio.ToErrorResponse(err).Code {
	case "BucketAlreadyOwnedByYou", "BucketAlreadyExists":
		return nil
	}
	return fetch.S3Error(ctx, "make bucket", b.addr, err)
}
