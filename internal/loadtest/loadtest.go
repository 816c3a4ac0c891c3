//go:build ignore

// Loadtest measures what a flooding stranger costs a running `xuncha serve`: the peak memory
// and the bytes written under concurrent large uploads through the web chat, and how long
// connections that send their request body slowly are kept open. It starts the binary it is
// given on a temporary database, so the numbers are the server process's own (/proc).
//
//	go build -o /tmp/xuncha . && go run internal/loadtest/loadtest.go -bin /tmp/xuncha
package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	bin := flag.String("bin", "", "the xuncha binary to measure (required)")
	places := flag.String("places", "samples/places.sample.csv", "places CSV imported before serving")
	uploads := flag.Int("uploads", 10, "concurrent uploads")
	sizeMB := flag.Int("size", 19, "size of each upload, MB")
	slow := flag.Int("slow", 1000, "slow-body connections")
	slowFor := flag.Duration("slow-for", 60*time.Second, "how long to keep the slow connections trying")
	flag.Parse()
	if *bin == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := measure(*bin, *places, *uploads, *sizeMB<<20, *slow, *slowFor); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func measure(bin, places string, uploads, size, slow int, slowFor time.Duration) error {
	dir, err := os.MkdirTemp("", "xuncha-load")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env := append(os.Environ(), "XUNCHA_DB="+filepath.Join(dir, "x.db"), "XUNCHA_LOG_LEVEL=error",
		"XUNCHA_SECRET_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	imp := exec.Command(bin, "places", "import", places)
	imp.Env = env
	if out, err := imp.CombinedOutput(); err != nil {
		return fmt.Errorf("places import: %v\n%s", err, out)
	}
	srv := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	srv.Env = env
	srv.Stderr = os.Stderr
	stdout, err := srv.StdoutPipe()
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { srv.Process.Signal(os.Interrupt); srv.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return fmt.Errorf("serve: %v", err)
	}
	m := regexp.MustCompile(`(http://[^\s]+/)`).FindString(line)
	if m == "" {
		return fmt.Errorf("serve said %q", line)
	}
	go io.Copy(io.Discard, stdout)
	pid := srv.Process.Pid
	fmt.Printf("serve pid %d at %s\n", pid, m)

	// Uploads: each client walks a report to its evidence step, then all upload at once.
	clients := make([]*client, uploads)
	for i := range clients {
		if clients[i], err = newReporter(m, i); err != nil {
			return err
		}
	}
	rss0, _ := procField(pid, "status", "VmRSS")
	w0, _ := procField(pid, "io", "write_bytes")
	// Every file differs: the store keeps one copy of identical files.
	bodies := make([]*upload, uploads)
	for i := range bodies {
		bodies[i] = newUpload(size)
	}
	answers := make([]string, uploads)
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() { answers[i] = c.upload(bodies[i]) })
	}
	wg.Wait()
	took := time.Since(start)
	peak, _ := procField(pid, "status", "VmHWM")
	w1, _ := procField(pid, "io", "write_bytes")
	fmt.Printf("uploads: %d × %d MB at once: %.1f s; serve RSS before %d MB, peak (VmHWM) %d MB; written %d MB\n",
		uploads, size>>20, took.Seconds(), rss0>>10, peak>>10, (w1-w0)>>20)
	tally := map[string]int{}
	for _, a := range answers {
		tally[a]++
	}
	for a, n := range tally {
		fmt.Printf("  %d× %s\n", n, a)
	}

	// Slow bodies: headers at once, then one byte of the body every 5 s.
	closedAt := make([]time.Duration, slow)
	start = time.Now()
	for i := range slow {
		wg.Go(func() { closedAt[i] = slowBody(m, start, slowFor) })
	}
	wg.Wait()
	slices.Sort(closedAt)
	open := 0
	for _, d := range closedAt {
		if d >= slowFor {
			open++
		}
	}
	fmt.Printf("slow bodies: %d connections; closed by the server after median %.1f s, max %.1f s; still open at %.0f s: %d\n",
		slow, closedAt[len(closedAt)/2].Seconds(), closedAt[len(closedAt)-1].Seconds(), slowFor.Seconds(), open)
	return nil
}

// procField reads a "Name: value kB" line of /proc/PID/status, or "name: value" of /proc/PID/io.
func procField(pid int, file, name string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, file))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in %s", name, file)
}

// slowBody opens a connection, sends a POST's headers and then one byte of its body every
// 5 s, and returns when the server closed it (or limit, if it never did).
func slowBody(base string, start time.Time, limit time.Duration) time.Duration {
	conn, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/"))
	if err != nil {
		return time.Since(start)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/send HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
	closed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, conn) // returns when the server closes
		close(closed)
	}()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	end := time.After(limit - time.Since(start))
	for {
		select {
		case <-closed:
			return time.Since(start)
		case <-end:
			return limit
		case <-tick.C:
			conn.Write([]byte(" "))
		}
	}
}

type client struct {
	base string
	http *http.Client
	n    int
	name string
}

type message struct {
	Text    string `json:"text"`
	Buttons [][]struct {
		Text string `json:"text"`
		Data string `json:"data"`
	} `json:"buttons"`
}

// newReporter starts a report in a new browser and stops at the evidence step.
func newReporter(base string, i int) (*client, error) {
	jar, _ := cookiejar.New(nil)
	c := &client{base: base, http: &http.Client{Jar: jar, Timeout: 10 * time.Minute}, name: fmt.Sprintf("load%02d", i)}
	msgs, err := c.do("/report", "")
	for _, step := range []struct{ button, text string }{
		{button: "侵害群众利益"}, {button: "新站镇"}, {button: "东风村"},
		{text: "村委会会计"}, {text: "2024年3月村里发放的惠农补贴被会计截留，每户少发200元，涉及三十多户。"}, {button: "不清楚"},
	} {
		if err != nil {
			return nil, err
		}
		data := ""
		if step.button != "" {
			if data = find(msgs, step.button); data == "" {
				return nil, fmt.Errorf("%s: no button %q", c.name, step.button)
			}
		}
		msgs, err = c.do(step.text, data)
	}
	return c, err
}

func find(msgs []message, label string) string {
	for _, m := range msgs {
		for _, row := range m.Buttons {
			for _, b := range row {
				if strings.Contains(b.Text, label) {
					return b.Data
				}
			}
		}
	}
	return ""
}

// do sends a message and returns the answers (read without waiting).
func (c *client) do(text, data string) ([]message, error) {
	c.n++
	body, _ := json.Marshal(map[string]string{"id": fmt.Sprintf("%s-%04d", c.name, c.n), "text": text, "data": data})
	res, err := c.http.Post(c.base+"api/send", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	res, err = c.http.Get(c.base + "api/messages?after=0")
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var a struct{ Messages []message }
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
		return nil, err
	}
	return a.Messages, nil
}

// upload is a multipart body as the web chat's page sends it, with a file of random bytes.
type upload struct {
	body        []byte
	contentType string
}

func newUpload(size int) *upload {
	data := make([]byte, size)
	rand.Read(data)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "evidence.bin")
	fw.Write(data)
	mw.Close()
	return &upload{body.Bytes(), mw.FormDataContentType()}
}

// upload sends a file and returns a summary of the answer.
func (c *client) upload(u *upload) string {
	c.n++
	res, err := c.http.Post(fmt.Sprintf("%sapi/upload?id=%s-%04d", c.base, c.name, c.n), u.contentType, bytes.NewReader(u.body))
	if err != nil {
		return "error: " + err.Error()
	}
	defer res.Body.Close()
	var a struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	json.NewDecoder(res.Body).Decode(&a)
	if a.OK {
		return res.Status + " ok"
	}
	return res.Status + " " + a.Error
}
