// Command fixedserver answers every request with the same bytes and
// computes nothing: the control that bench/serve.sh measures beside xp
// serve and the PyTorch server, to show what answering alone costs on the
// machine (the kernel's TCP, the HTTP server) and so how much of a
// request xp's own work is.
//
//	fixedserver -addr 127.0.0.1:8080 [-raw | -epoll]
//
// By default it is net/http's server, with xp serve's timeouts, around a
// handler that reads the body and writes a fixed JSON answer of the size
// of xp's. With -raw it reads requests off the connection and writes a
// fixed response, with no HTTP server at all: the floor of any server
// over TCP (it handles only what loadgen sends: requests with a
// Content-Length). With -epoll it does what -raw does from one thread
// that calls epoll, read and write itself, without Go's scheduler and
// netpoller (Linux only).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// answer is the size and shape of xp serve's answer for one credit row.
const answer = `{"model":"credit","key":"3fb53a086e1c2dbd1b0e3cc0b6f2fbc7f4aa2e5f09c1d1b4a1c2e3f4a5b6c7d8","predictions":[{"class":"good","probabilities":{"bad":0.2631,"good":0.7369}}]}` + "\n"

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	raw := flag.Bool("raw", false, "answer off the connection, without an HTTP server")
	epoll := flag.Bool("epoll", false, "as -raw, from one thread that waits in epoll itself")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fixedserver:", err)
		os.Exit(1)
	}
	switch {
	case *epoll:
		serveEpoll(ln)
		return
	case *raw:
		serveRaw(ln)
		return
	}
	body := []byte(answer)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second}
	fmt.Fprintln(os.Stderr, "fixedserver:", srv.Serve(ln))
	os.Exit(1)
}

func rawResponse() []byte {
	return []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(answer)) + "\r\n\r\n" + answer)
}

func serveRaw(ln net.Listener) {
	resp := rawResponse()
	for {
		c, err := ln.Accept()
		if err != nil {
			fatal(err)
		}
		go answerRaw(c, resp)
	}
}

// answerRaw writes resp for each request read from c: its headers up to
// the blank line, then Content-Length bytes of body.
func answerRaw(c net.Conn, resp []byte) {
	defer c.Close()
	buf := make([]byte, 64<<10)
	n := 0
	for {
		m, err := c.Read(buf[n:])
		if err != nil {
			return
		}
		n += m
		for {
			end := bytes.Index(buf[:n], []byte("\r\n\r\n"))
			if end < 0 {
				if n == len(buf) {
					return // headers past 64 KiB: not loadgen's
				}
				break
			}
			size := end + 4 + contentLength(buf[:end])
			if size > len(buf) {
				return
			}
			if n < size {
				break
			}
			if _, err := c.Write(resp); err != nil {
				return
			}
			n = copy(buf, buf[size:n])
		}
	}
}

func contentLength(head []byte) int {
	for _, line := range bytes.Split(head, []byte("\r\n")) {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if ok && bytes.EqualFold(name, []byte("Content-Length")) {
			n, err := strconv.Atoi(string(bytes.TrimSpace(value)))
			if err == nil && n >= 0 {
				return n
			}
		}
	}
	return 0
}
