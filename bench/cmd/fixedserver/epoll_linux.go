package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"syscall"
)

// serveEpoll answers like serveRaw, but from one thread that waits in
// epoll itself: no goroutines, no Go netpoller, no scheduler between the
// kernel and the answer. Its cost per request is the kernel's TCP and the
// read, write and epoll_wait calls alone: the floor of any server on this
// machine, whatever it is written in.
func serveEpoll(ln net.Listener) {
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		fatal(err)
	}
	// A descriptor of its own: the listener's and its file's would be
	// closed by their finalizers once the loop below no longer uses them.
	lfd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		fatal(err)
	}
	f.Close()
	ln.Close()
	if err := syscall.SetNonblock(lfd, true); err != nil {
		fatal(err)
	}
	ep, err := syscall.EpollCreate1(0)
	if err != nil {
		fatal(err)
	}
	watch := func(fd int) error {
		return syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)})
	}
	if err := watch(lfd); err != nil {
		fatal(err)
	}
	resp := rawResponse()
	bufs := map[int]*connBuf{}
	events := make([]syscall.EpollEvent, 256)
	for {
		n, err := syscall.EpollWait(ep, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			fatal(err)
		}
		for _, ev := range events[:n] {
			fd := int(ev.Fd)
			if fd == lfd {
				for {
					c, _, err := syscall.Accept4(lfd, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
					if err != nil {
						break
					}
					syscall.SetsockoptInt(c, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
					if watch(c) != nil {
						syscall.Close(c)
						continue
					}
					bufs[c] = &connBuf{buf: make([]byte, 64<<10)}
				}
				continue
			}
			if !bufs[fd].serve(fd, resp) {
				syscall.Close(fd) // also leaves the epoll set
				delete(bufs, fd)
			}
		}
	}
}

type connBuf struct {
	buf []byte
	n   int
}

// serve reads what fd has and answers each whole request in it; false
// when the connection is done.
func (b *connBuf) serve(fd int, resp []byte) bool {
	m, err := syscall.Read(fd, b.buf[b.n:])
	if err == syscall.EAGAIN {
		return true
	}
	if err != nil || m <= 0 {
		return false
	}
	b.n += m
	for {
		end := bytes.Index(b.buf[:b.n], []byte("\r\n\r\n"))
		if end < 0 {
			return b.n < len(b.buf)
		}
		size := end + 4 + contentLength(b.buf[:end])
		if size > len(b.buf) {
			return false
		}
		if b.n < size {
			return true
		}
		// A response this small fits the socket's buffer; loadgen reads
		// each answer before it sends again.
		if w, err := syscall.Write(fd, resp); err != nil || w != len(resp) {
			return false
		}
		b.n = copy(b.buf, b.buf[size:b.n])
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "fixedserver:", err)
	os.Exit(1)
}
