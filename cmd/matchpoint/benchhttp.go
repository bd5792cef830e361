package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// benchTarget is where bench tickets sends its requests.
type benchTarget struct {
	addr string // host:port to dial
	host string // the Host header
	path string
	tls  bool
}

// parseBenchURL splits an http or https URL of the tickets resource into what
// a benchConn needs.
func parseBenchURL(raw string) (benchTarget, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return benchTarget{}, fmt.Errorf("--url: %w", err)
	}
	t := benchTarget{host: u.Host, path: u.EscapedPath(), tls: u.Scheme == "https"}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return benchTarget{}, fmt.Errorf("--url: want http://HOST[:PORT] or https://HOST[:PORT], got %q", raw)
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if t.tls {
			port = "443"
		}
	}
	t.addr = net.JoinHostPort(u.Hostname(), port)
	return t, nil
}

// benchWorker is what one bench worker measured: the latencies of its
// accepted requests and the count of each kind of failure.
type benchWorker struct {
	lat    []time.Duration
	failed map[string]int64
}

// benchConn is one keep-alive HTTP/1.1 connection of a bench worker: it writes
// each request from reused buffers and reads the response with
// http.ReadResponse, dialling again after an error.
type benchConn struct {
	target benchTarget
	secret string
	body   []byte // the next request's body, set by the caller

	conn net.Conn
	br   *bufio.Reader
	req  []byte
}

// benchTimeout bounds one request, as the net/http client's Timeout did.
const benchTimeout = 10 * time.Second

// post sends body as a POST and returns the response status; the response
// body is read and discarded.
func (c *benchConn) post() (int, error) {
	if c.conn == nil {
		if err := c.dial(); err != nil {
			return 0, err
		}
	}
	status, err := c.roundTrip()
	if err != nil {
		c.close()
	}
	return status, err
}

func (c *benchConn) dial() error {
	d := net.Dialer{Timeout: benchTimeout}
	var conn net.Conn
	var err error
	if c.target.tls {
		conn, err = tls.DialWithDialer(&d, "tcp", c.target.addr, &tls.Config{ServerName: hostOnly(c.target.host)})
	} else {
		conn, err = d.Dial("tcp", c.target.addr)
	}
	if err != nil {
		return err
	}
	c.conn = conn
	if c.br == nil {
		c.br = bufio.NewReaderSize(conn, 16<<10)
	} else {
		c.br.Reset(conn)
	}
	return nil
}

func (c *benchConn) roundTrip() (int, error) {
	if err := c.conn.SetDeadline(time.Now().Add(benchTimeout)); err != nil {
		return 0, err
	}
	c.req = append(c.req[:0], "POST "...)
	c.req = append(c.req, c.target.path...)
	c.req = append(c.req, " HTTP/1.1\r\nHost: "...)
	c.req = append(c.req, c.target.host...)
	c.req = append(c.req, "\r\nAuthorization: Bearer "...)
	c.req = append(c.req, c.secret...)
	c.req = append(c.req, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	c.req = strconv.AppendInt(c.req, int64(len(c.body)), 10)
	c.req = append(c.req, "\r\n\r\n"...)
	c.req = append(c.req, c.body...)
	if _, err := c.conn.Write(c.req); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	if resp.Close {
		c.close()
	}
	return resp.StatusCode, nil
}

func (c *benchConn) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// hostOnly is host without its port.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}
