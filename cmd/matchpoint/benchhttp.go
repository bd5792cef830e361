package main

import (
	"bufio"
	"bytes"
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
// accepted requests, how late after their due time each was sent, and the
// count of each kind of failure.
type benchWorker struct {
	lat, late []time.Duration
	failed    map[string]int64
}

// benchConn is one keep-alive HTTP/1.1 connection of a bench worker: it writes
// each request from reused buffers and reads the response with
// http.ReadResponse, dialling again after an error.
type benchConn struct {
	target benchTarget
	secret string // sent as a bearer token unless empty
	// contentType is the requests' Content-Type (default application/json).
	contentType string
	body        []byte // the next request's body, set by the caller
	// header holds extra header lines ("Name: value\r\n") of the next
	// request, set by the caller.
	header []byte
	// keep makes post keep the response body in resp; without it the body
	// is read and discarded.
	keep bool
	resp []byte

	conn net.Conn
	br   *bufio.Reader
	req  []byte
}

// benchTimeout bounds one request, as the net/http client's Timeout did.
const benchTimeout = 10 * time.Second

// post sends body as a POST and returns the response status; the response
// body is kept in resp with keep, else read and discarded.
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
	c.req = append(c.req, "\r\n"...)
	if c.secret != "" {
		c.req = append(c.req, "Authorization: Bearer "...)
		c.req = append(c.req, c.secret...)
		c.req = append(c.req, "\r\n"...)
	}
	c.req = append(c.req, c.header...)
	c.req = append(c.req, "Content-Type: "...)
	if c.contentType == "" {
		c.req = append(c.req, "application/json"...)
	} else {
		c.req = append(c.req, c.contentType...)
	}
	c.req = append(c.req, "\r\nContent-Length: "...)
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
	if c.keep {
		b := bytes.NewBuffer(c.resp[:0])
		_, err = b.ReadFrom(resp.Body)
		c.resp = b.Bytes()
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
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
