package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
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
// when it is there (no request is made), else downloaded into it.
func (c *Cache) HTTP(ctx context.Context, client *http.Client, rawURL, pin string) (Blob, error) {
	if b, ok := c.Lookup(pin); ok {
		return b, nil
	}
	if client == nil {
		client = DefaultHTTPClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return Blob{}, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Blob{}, fmt.Errorf("fetch %s: %w", rawURL, ctx.Err())
		}
		return Blob{}, errorf(ErrUnreachable, err, "fetch %s: cannot reach the server: %v", rawURL, unwrapURLError(err))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return Blob{}, errorf(ErrNotFound, nil, "fetch %s: %s", rawURL, resp.Status)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return Blob{}, errorf(ErrAccessDenied, nil, "fetch %s: %s", rawURL, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return Blob{}, errorf(ErrStatus, nil, "fetch %s: %s", rawURL, resp.Status)
	}
	return c.Put(ctx, resp.Body, pin, rawURL)
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
