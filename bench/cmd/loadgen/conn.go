package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"
)

// conn is one client's keep-alive HTTP/1.1 connection, which sends the
// same request, written once, and reads each answer by its
// Content-Length, as wrk does. net/http's client costs the load generator
// about as much CPU per request as a lean server spends answering it;
// where the generator has one core, that would cap the throughput it can
// show before the server's.
type conn struct {
	addr    string
	request []byte
	c       net.Conn
	r       *bufio.Reader
	timeout time.Duration
}

func newConn(rawURL, ctype string, body []byte, timeout time.Duration) (*conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("%s: loadgen speaks plain http only", rawURL)
	}
	var req bytes.Buffer
	fmt.Fprintf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", u.RequestURI(), u.Host, ctype, len(body))
	req.Write(body)
	return &conn{addr: u.Host, request: req.Bytes(), timeout: timeout}, nil
}

// send sends the request and reads its answer, which must be 200; the
// connection is made again when the last one was closed or failed.
func (c *conn) send() error {
	if c.c == nil {
		nc, err := net.DialTimeout("tcp", c.addr, c.timeout)
		if err != nil {
			return err
		}
		c.c, c.r = nc, bufio.NewReaderSize(nc, 16<<10)
	}
	c.c.SetDeadline(time.Now().Add(c.timeout))
	status, keep, err := c.exchange()
	if err != nil || !keep {
		c.c.Close()
		c.c = nil
	}
	if err != nil {
		return err
	}
	if status != 200 {
		return fmt.Errorf("status %d", status)
	}
	return nil
}

var errAnswer = errors.New("malformed answer")

// exchange writes the request and reads the answer's status line, its
// headers and its body.
func (c *conn) exchange() (status int, keep bool, err error) {
	if _, err := c.c.Write(c.request); err != nil {
		return 0, false, err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	// HTTP/1.1 200 OK
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, fmt.Errorf("%w: status line %q", errAnswer, line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, fmt.Errorf("%w: status line %q", errAnswer, line)
	}
	keep = line[7] == '1'
	length := -1
	for {
		h, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return 0, false, fmt.Errorf("%w: header %q", errAnswer, h)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return 0, false, fmt.Errorf("%w: Content-Length %q", errAnswer, value)
			}
		case bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")):
			keep = false
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return 0, false, fmt.Errorf("%w: Transfer-Encoding %q; loadgen reads answers by their Content-Length", errAnswer, value)
		}
	}
	if length < 0 {
		return 0, false, fmt.Errorf("%w: no Content-Length", errAnswer)
	}
	if _, err := c.r.Discard(length); err != nil {
		return 0, false, err
	}
	return status, keep, nil
}

func (c *conn) close() {
	if c.c != nil {
		c.c.Close()
	}
}
