package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"xuncha/internal/syncbuf"
)

// multipartFile is an upload body as the web chat's page sends it: one "file" part.
func multipartFile(t *testing.T, size int) (body []byte, contentType string) {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", "evidence.bin")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// uploadAnswer posts a file of size bytes to the web chat and returns the status and the
// answer's error text (empty when ok).
func uploadAnswer(t *testing.T, base, lang string, size int, id string) (int, string) {
	t.Helper()
	body, ct := multipartFile(t, size)
	req, _ := http.NewRequest(http.MethodPost, base+"api/upload?id="+id, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Accept-Language", lang)
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("upload %s: %v", id, err)
	}
	defer res.Body.Close()
	var a struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
		t.Fatalf("upload %s: %s: %v", id, res.Status, err)
	}
	if a.OK {
		return res.StatusCode, ""
	}
	return res.StatusCode, a.Error
}

// rawRequest opens a connection and sends a request's headers with the given Content-Length,
// and the first part of its body; the caller sends the rest, or not.
func rawRequest(t *testing.T, base, method, path string, contentLength int, header string, first []byte) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n%s\r\n", method, path, contentLength, header)
	if _, err := conn.Write(first); err != nil {
		t.Fatal(err)
	}
	return conn
}

// holder is an upload in progress that keeps its slot: it sends its body steadily, well above
// the slowest rate allowed, and never finishes until stopped.
type holder struct {
	conn net.Conn
	stop chan struct{}
	done sync.WaitGroup
}

func holdUpload(t *testing.T, base string, declared int) *holder {
	t.Helper()
	_, ct := multipartFile(t, 0)
	boundary := strings.TrimPrefix(ct, "multipart/form-data; boundary=")
	head := fmt.Sprintf("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n", boundary)
	h := &holder{stop: make(chan struct{})}
	h.conn = rawRequest(t, base, "POST", "/api/upload?id=holder-"+fmt.Sprint(time.Now().UnixNano()), declared,
		"Content-Type: "+ct+"\r\n", append([]byte(head), make([]byte, 64<<10)...))
	h.done.Go(func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-tick.C:
				h.conn.Write(make([]byte, 64<<10)) // 256 KB/s
			}
		}
	})
	t.Cleanup(h.close)
	return h
}

func (h *holder) close() {
	select {
	case <-h.stop:
		return
	default:
	}
	close(h.stop)
	h.done.Wait()
	h.conn.Close()
}

// TestHTTPUploadsInFlight runs the real server with room for two uploads at once: while two
// large uploads are on their way, a third waits for the read timeout and is refused politely
// in the chat's language, unread; once they are gone, uploads are taken again.
func TestHTTPUploadsInFlight(t *testing.T) {
	env := testEnv("XUNCHA_DB", filepath.Join(t.TempDir(), "x.db"),
		"XUNCHA_UPLOAD_CONCURRENCY", "2", "XUNCHA_READ_TIMEOUT", "2s")
	srv := startServer(t, env, &syncbuf.Buffer{})
	if status, msg := uploadAnswer(t, srv.url, "zh", 1000, "first-0001"); status != http.StatusOK {
		t.Fatalf("an upload with the server idle: %d %s", status, msg)
	}
	a, b := holdUpload(t, srv.url, 20<<20), holdUpload(t, srv.url, 20<<20)
	time.Sleep(300 * time.Millisecond) // both have their slots

	start := time.Now()
	status, msg := uploadAnswer(t, srv.url, "zh-CN", 1000, "third-0001")
	if status != http.StatusServiceUnavailable || !strings.Contains(msg, "上传文件的人较多") {
		t.Fatalf("a third upload beside two: %d %q; want 503 and the busy text in Chinese", status, msg)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("the third upload was refused after %v; it should wait for a slot first", waited)
	}

	a.close()
	b.close()
	deadline := time.Now().Add(5 * time.Second)
	for n := 0; ; n++ {
		status, msg := uploadAnswer(t, srv.url, "zh", 1000, fmt.Sprintf("after-%04d", n))
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the large uploads went: %d %q", status, msg)
		}
	}
}

// TestHTTPUploadBytes: the bytes of files in flight are bounded too. With 20 MB of room, a
// 15 MB upload on its way leaves no room for 6 MB more (refused in English for an English
// browser) but does for 4 MB; an upload that declares more than a file may be is answered
// at once, its body unread.
func TestHTTPUploadBytes(t *testing.T) {
	env := testEnv("XUNCHA_DB", filepath.Join(t.TempDir(), "x.db"),
		"XUNCHA_UPLOAD_MB", "20", "XUNCHA_READ_TIMEOUT", "2s")
	srv := startServer(t, env, &syncbuf.Buffer{})
	holdUpload(t, srv.url, 15<<20)
	time.Sleep(300 * time.Millisecond)

	status, msg := uploadAnswer(t, srv.url, "en-US,en;q=0.9", 6<<20, "six-0001")
	if status != http.StatusServiceUnavailable || !strings.Contains(msg, "Many files are being sent") {
		t.Fatalf("6 MB beside 15 MB of 20: %d %q; want 503 and the busy text in English", status, msg)
	}
	if status, msg := uploadAnswer(t, srv.url, "en", 4<<20, "four-0001"); status != http.StatusOK {
		t.Fatalf("4 MB beside 15 MB of 20: %d %q", status, msg)
	}

	// 50 MB declared, nothing sent: the answer comes without waiting for the body.
	conn := rawRequest(t, srv.url, "POST", "/api/upload?id=huge-0001", 50<<20,
		"Content-Type: multipart/form-data; boundary=x\r\n", nil)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("a 50 MB upload was not answered before its body: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("a 50 MB upload: %s; want the engine's polite answer", res.Status)
	}
}

// closedWithin reads conn until the server closes it and reports how long that took, or
// fails after limit.
func closedWithin(t *testing.T, conn net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	conn.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, conn)
	took := time.Since(start)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Errorf("the connection was still open after %v", limit)
	}
	return took
}

// TestHTTPSlowClients: with a read timeout of 1 s, a request body that stops coming is cut,
// and an upload that trickles below the slowest allowed rate is cut; an upload that is slow
// but steady, and outlasts both timeouts, is taken and answered.
func TestHTTPSlowClients(t *testing.T) {
	env := testEnv("XUNCHA_DB", filepath.Join(t.TempDir(), "x.db"),
		"XUNCHA_READ_TIMEOUT", "1s", "XUNCHA_WRITE_TIMEOUT", "1s")
	srv := startServer(t, env, &syncbuf.Buffer{})

	var wg sync.WaitGroup
	wg.Go(func() {
		conn := rawRequest(t, srv.url, "POST", "/api/send", 100000, "Content-Type: application/json\r\n", []byte("{"))
		closedWithin(t, conn, 5*time.Second)
	})
	wg.Go(func() {
		// 10 KB, then a byte a second: far below 64 KB/s.
		_, ct := multipartFile(t, 0)
		conn := rawRequest(t, srv.url, "POST", "/api/upload?id=trickle-0001", 1<<20, "Content-Type: "+ct+"\r\n", make([]byte, 10<<10))
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Second):
					conn.Write([]byte{0})
				}
			}
		}()
		closedWithin(t, conn, 6*time.Second)
	})
	wg.Go(func() {
		// 400 KB at about 160 KB/s: some 2.5 s, past both timeouts.
		body, ct := multipartFile(t, 400<<10)
		conn := rawRequest(t, srv.url, "POST", "/api/upload?id=steady-0001", len(body), "Content-Type: "+ct+"\r\n", nil)
		for len(body) > 0 {
			n := min(len(body), 16<<10)
			if _, err := conn.Write(body[:n]); err != nil {
				t.Errorf("the steady upload was cut: %v", err)
				return
			}
			body = body[n:]
			time.Sleep(100 * time.Millisecond)
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Errorf("the steady upload got no answer: %v", err)
			return
		}
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `"ok":true`) {
			t.Errorf("the steady upload: %s %s", res.Status, b)
		}
	})
	wg.Wait()
}

// TestHTTPHeaderLimit: headers over 16 KB are refused (net/http's default would take 1 MB);
// a few KB of them, as a browser sends, are fine.
func TestHTTPHeaderLimit(t *testing.T) {
	srv := startServer(t, testEnv("XUNCHA_DB", filepath.Join(t.TempDir(), "x.db")), &syncbuf.Buffer{})
	for _, tc := range []struct {
		size int
		want int
	}{{4 << 10, http.StatusOK}, {32 << 10, http.StatusRequestHeaderFieldsTooLarge}} {
		req, _ := http.NewRequest(http.MethodGet, srv.url+"healthz", nil)
		req.Header.Set("X-Padding", strings.Repeat("a", tc.size))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%d bytes of header: %v", tc.size, err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("%d bytes of header: %s; want %d", tc.size, res.Status, tc.want)
		}
	}
}

// TestHTTPLongPoll: the web chat's poll waits longer than the read and write timeouts for a
// message, and still gets it.
func TestHTTPLongPoll(t *testing.T) {
	env := testEnv("XUNCHA_DB", filepath.Join(t.TempDir(), "x.db"),
		"XUNCHA_READ_TIMEOUT", "1s", "XUNCHA_WRITE_TIMEOUT", "1s")
	srv := startServer(t, env, &syncbuf.Buffer{})
	c := newWebClient(t, srv.url, "poller")
	mustContain(t, c.do("/start", ""), "巡察监督举报服务")

	got := make(chan []webMsg, 1)
	start := time.Now()
	// A connection of its own: net/http's client silently retries a GET that a reused
	// connection dropped, which would hide a poll cut by the write timeout.
	poller := &http.Client{Jar: c.http.Jar, Transport: &http.Transport{}}
	go func() {
		res, err := poller.Get(fmt.Sprintf("%sapi/messages?wait=1&after=%d", srv.url, c.last))
		if err != nil {
			t.Errorf("poll: %v", err)
			got <- nil
			return
		}
		defer res.Body.Close()
		var a struct{ Messages []webMsg }
		if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
			t.Errorf("poll: %s: %v", res.Status, err)
		}
		got <- a.Messages
	}()
	time.Sleep(3 * time.Second)
	c.n++
	body, _ := json.Marshal(map[string]string{"id": "poller-help-0001", "text": "/help"})
	res, err := c.http.Post(srv.url+"api/send", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	msgs := <-got
	if len(msgs) == 0 {
		t.Fatalf("the poll ended after %v with no message", time.Since(start))
	}
	if waited := time.Since(start); waited < 3*time.Second {
		t.Errorf("the poll answered after %v, before the message was sent", waited)
	}
}
