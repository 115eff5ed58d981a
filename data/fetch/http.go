package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/xp-ml/xp/internal/redact"
)

// DefaultHTTPClient is used when HTTP is given no client: it gives up on a
// server that does not answer, but not on a long download.
var DefaultHTTPClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second}).DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
	},
}

// HTTP returns the file at rawURL, which must hash to pin: from the cache
// when it is there (no request is made), else downloaded into it, within
// c.Limits: a body declared or found larger than MaxBytes is ErrTooLarge
// (before a byte is written, when the server declares its length), one
// that sends nothing for Idle or takes longer than Total ErrTimeout.
func (c *Cache) HTTP(ctx context.Context, client *http.Client, rawURL, pin string) (Blob, error) {
	// Messages name the URL without its secrets (user:password@, query
	// tokens): the pin is the file's identity.
	shown := redact.URL(rawURL)
	if b, ok := c.Lookup(pin); ok {
		return b, nil
	}
	if client == nil {
		client = DefaultHTTPClient
	}
	lim := c.Limits.withDefaults()
	ctx, cancelTotal := context.WithTimeoutCause(ctx, lim.Total, errTotal)
	defer cancelTotal()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return Blob{}, fmt.Errorf("fetch %s: %s", shown, redact.Text(err.Error()))
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Blob{}, timedOut(ctx, shown, lim, fmt.Errorf("fetch %s: %w", shown, ctx.Err()))
		}
		return Blob{}, errorf(ErrUnreachable, err, "fetch %s: cannot reach the server: %s", shown, redact.Text(unwrapURLError(err).Error()))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return Blob{}, errorf(ErrNotFound, nil, "fetch %s: %s", shown, resp.Status)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return Blob{}, errorf(ErrAccessDenied, nil, "fetch %s: %s", shown, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return Blob{}, errorf(ErrStatus, nil, "fetch %s: %s", shown, resp.Status)
	case resp.ContentLength > lim.MaxBytes:
		return Blob{}, tooLarge(shown, lim.MaxBytes)
	}
	idle := time.AfterFunc(lim.Idle, func() { cancel(errIdle) })
	defer idle.Stop()
	put := *c
	put.Limits = lim
	b, err := put.Put(ctx, idleReader{resp.Body, idle, lim.Idle}, pin, shown)
	if err != nil {
		return Blob{}, timedOut(ctx, shown, lim, err)
	}
	return b, nil
}

var (
	errIdle  = errors.New("idle")
	errTotal = errors.New("total")
)

// timedOut is err, or ErrTimeout when a timeout of lim ended the download.
func timedOut(ctx context.Context, rawURL string, lim Limits, err error) error {
	switch context.Cause(ctx) {
	case errIdle:
		return errorf(ErrTimeout, nil, "fetch %s: the server sent nothing for %v (data.limits.download_idle_seconds)", rawURL, lim.Idle)
	case errTotal:
		return errorf(ErrTimeout, nil, "fetch %s: the download took longer than %v (data.limits.download_timeout_seconds)", rawURL, lim.Total)
	}
	return err
}

// idleReader restarts the idle timer with every byte that arrives.
type idleReader struct {
	r     io.Reader
	timer *time.Timer
	idle  time.Duration
}

func (r idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.timer.Reset(r.idle)
	}
	return n, err
}

// unwrapURLError drops net/url's "Get \"url\": " prefix, which would repeat
// the URL the message already names.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
