package meshsim

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
)

// ServeProxy serves HTTP/1.1 forward-proxy requests from l with h until ctx is done (then it
// closes l and every connection). Unlike net/http's server, it keeps the Host header that a
// client sent with an absolute-form request — `curl -H 'Host: podinfo.test'
// http://envoy.test:10000/` through a proxy reaches h with r.URL.Host "envoy.test:10000"
// and r.Host "podinfo.test" — where net/http would replace it with the URL's host.
// Responses are buffered, then written with a Content-Length.
func ServeProxy(ctx context.Context, l net.Listener, h http.Handler) error {
	stop := context.AfterFunc(ctx, func() { _ = l.Close() })
	defer stop()
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("accept proxy connection: %w", err)
		}
		go serveProxyConn(ctx, c, h)
	}
}

func serveProxyConn(ctx context.Context, c net.Conn, h http.Handler) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	defer func() { _ = c.Close() }()
	br := bufio.NewReaderSize(c, maxHead)
	bw := bufio.NewWriter(c)
	for {
		host := peekHost(br)
		req, err := http.ReadRequest(br)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				writeBadRequest(bw, err)
			}
			return
		}
		if host != "" {
			req.Host = host
		}
		req.RemoteAddr = c.RemoteAddr().String()
		if strings.EqualFold(req.Header.Get("Expect"), "100-continue") {
			_, _ = bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
			if bw.Flush() != nil {
				return
			}
		}
		rec := &recorder{header: http.Header{}}
		h.ServeHTTP(rec, req.WithContext(ctx))
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
		resp := rec.response(req)
		if resp.Write(bw) != nil || bw.Flush() != nil || req.Close {
			return
		}
	}
}

// maxHead bounds the request head the proxy reads.
const maxHead = 64 << 10

// peekHost returns the Host header of the request head buffered in br, without consuming
// it: http.ReadRequest replaces the Host of an absolute-form request with the URL's host.
func peekHost(br *bufio.Reader) string {
	n := max(br.Buffered(), 1)
	for {
		b, err := br.Peek(n)
		if end := bytes.Index(b, []byte("\r\n\r\n")); end >= 0 {
			return HostHeader(b[:end])
		}
		if err != nil || n >= br.Size() {
			return ""
		}
		n = max(br.Buffered(), len(b)+1)
	}
}

// HostHeader returns the value of the Host header in a raw HTTP/1.x request head.
func HostHeader(head []byte) string {
	for _, line := range bytes.Split(head, []byte("\r\n"))[1:] {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if ok && strings.EqualFold(string(bytes.TrimSpace(name)), "host") {
			return string(bytes.TrimSpace(value))
		}
	}
	return ""
}

func writeBadRequest(w *bufio.Writer, err error) {
	body := "bad request: " + err.Error() + "\n"
	_, _ = fmt.Fprintf(w, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	_ = w.Flush()
}

// recorder is a buffering http.ResponseWriter.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// response turns the recording into the response to req.
func (r *recorder) response(req *http.Request) *http.Response {
	code := r.code
	if code == 0 {
		code = http.StatusOK
	}
	h := r.header.Clone()
	for _, k := range []string{"Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length"} {
		h.Del(k)
	}
	return &http.Response{
		StatusCode:    code,
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(r.body.Bytes())),
		ContentLength: int64(r.body.Len()),
		Close:         req.Close,
		Request:       req,
	}
}
