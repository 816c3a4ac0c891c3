package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xuncha/handlers"
	"xuncha/handlers/media"
	"xuncha/store"
)

// webFixture is the web chat on a real SQLite file, served over loopback HTTP.
type webFixture struct {
	t   *testing.T
	db  *store.DB
	srv *httptest.Server
}

func newWebFixture(t *testing.T) *webFixture {
	t.Helper()
	db := openTestDB(t, filepath.Join(t.TempDir(), "web.db"))
	cats, err := handlers.LoadCategories("")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	engine := handlers.New(logger, db, handlers.Config{Categories: cats, Scrub: media.Scrub, Location: time.UTC})
	w := NewWeb(logger, engine, db, handlers.LangZH)
	w.PollWait = 10 * time.Millisecond
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(srv.Close)
	return &webFixture{t: t, db: db, srv: srv}
}

// browser is a cookie header as a browser would send it, and the cookies the server set.
type browser struct {
	cookie string // "name=value", or "" for none
	https  bool   // the request came through a TLS-terminating proxy
	lang   string // Accept-Language, when set
	n      int
}

func (f *webFixture) do(b *browser, method, path string, body []byte) (*http.Response, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if b.cookie != "" {
		req.Header.Set("Cookie", b.cookie)
	}
	if b.https {
		req.Header.Set("X-Forwarded-Proto", "https")
	}
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		f.t.Fatalf("%s %s: %s %s", method, path, res.Status, data)
	}
	// Like a browser: a cookie set replaces the one sent.
	for _, c := range res.Cookies() {
		b.cookie = c.Name + "=" + c.Value
	}
	return res, data
}

func (f *webFixture) send(b *browser, text string) *http.Response {
	f.t.Helper()
	b.n++
	body, _ := json.Marshal(map[string]string{"id": fmt.Sprintf("msg-%08d", b.n), "text": text})
	res, _ := f.do(b, http.MethodPost, "/api/send", body)
	return res
}

// read returns the texts waiting in the browser's mailbox.
func (f *webFixture) read(b *browser) string {
	f.t.Helper()
	_, data := f.do(b, http.MethodGet, "/api/messages", nil)
	var a apiAnswer
	if err := json.Unmarshal(data, &a); err != nil {
		f.t.Fatalf("poll: %v %s", err, data)
	}
	var s []string
	for _, m := range a.Messages {
		s = append(s, m.Text)
	}
	return strings.Join(s, "\n")
}

// chatOf returns the chat id inside a "name=id.tag" cookie.
func chatOf(cookie string) string {
	_, v, _ := strings.Cut(cookie, "=")
	id, _, _ := strings.Cut(v, ".")
	return id
}

// TestWebCookie: the chat cookie is HttpOnly and SameSite=Strict always; over HTTPS (directly
// or through a TLS-terminating proxy) it is Secure and named __Host-xuncha_chat, for Path=/ and
// without a Domain, so that no other site or subdomain can plant one; the browser keeps its
// chat with either name.
func TestWebCookie(t *testing.T) {
	f := newWebFixture(t)
	for _, tc := range []struct {
		name   string
		https  bool
		cookie string
	}{
		{"plain http", false, "xuncha_chat"},
		{"behind a TLS proxy", true, "__Host-xuncha_chat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &browser{https: tc.https}
			res, _ := f.do(b, http.MethodGet, "/", nil)
			c := res.Cookies()
			if len(c) != 1 || c[0].Name != tc.cookie || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode ||
				c[0].Path != "/" || c[0].Domain != "" {
				t.Fatalf("cookie %+v, want %s, HttpOnly, SameSite=Strict, Path=/, no Domain", c, tc.cookie)
			}
			if c[0].Secure != tc.https {
				t.Errorf("Secure = %v, want %v", c[0].Secure, tc.https)
			}
			id := chatOf(b.cookie)
			if len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" {
				t.Errorf("chat id %q is not 32 random bytes in hex", id)
			}
			// The issued cookie is kept: the chat answers under it and no new one is set.
			if res := f.send(b, "/help"); len(res.Cookies()) != 0 {
				t.Errorf("a second cookie was set for an issued one: %+v", res.Cookies())
			}
			if got := f.read(b); !strings.Contains(got, "/report") {
				t.Errorf("the chat did not answer under its cookie: %q", got)
			}
			if _, err := f.db.FindChat(t.Context(), handlers.PlatformWeb, id); err != nil {
				t.Errorf("no chat for the issued id: %v", err)
			}
		})
	}
}

// TestWebForgedCookie: a chat id the server did not issue — any 64 hex digits, or one with a
// made-up tag, planted in a victim's browser — is not accepted: the browser gets a fresh
// server-issued id, and whoever planted the value reaches no chat with it.
func TestWebForgedCookie(t *testing.T) {
	f := newWebFixture(t)
	forged := strings.Repeat("ab", 32)
	for _, value := range []string{forged, forged + "." + strings.Repeat("0", 32), forged + "."} {
		victim := &browser{cookie: "xuncha_chat=" + value}
		res, _ := f.do(victim, http.MethodGet, "/", nil)
		if len(res.Cookies()) != 1 || chatOf(victim.cookie) == forged {
			t.Fatalf("cookie %q: the page kept the planted id (Set-Cookie %+v)", value, res.Cookies())
		}
		f.send(victim, "/help")
		if got := f.read(victim); !strings.Contains(got, "/report") {
			t.Fatalf("the victim's chat does not answer: %q", got)
		}
		// The planter polls with the value it planted and sends with it: nothing of the
		// victim's chat, and no chat is ever made under that id.
		planter := &browser{cookie: "xuncha_chat=" + value}
		if got := f.read(planter); got != "" {
			t.Errorf("the planted cookie reads %q", got)
		}
		res = f.send(planter, "/help")
		if len(res.Cookies()) != 1 || chatOf(planter.cookie) == forged {
			t.Errorf("a send with a planted id was not given a fresh one: %+v", res.Cookies())
		}
		if _, err := f.db.FindChat(t.Context(), handlers.PlatformWeb, forged); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a chat exists under the planted id: %v", err)
		}
	}
}

// TestWebRotatesOnBind: binding a role gives the browser a new chat id; the chat keeps its row
// (and so its role and history), and the id it had before the binding reaches nothing.
func TestWebRotatesOnBind(t *testing.T) {
	f := newWebFixture(t)
	code, err := f.db.CreateInvitation(t.Context(), &store.Invitation{Role: store.RoleOfficial, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{https: true}
	f.send(b, "/help")
	f.read(b)
	before := b.cookie
	chat, err := f.db.FindChat(t.Context(), handlers.PlatformWeb, chatOf(before))
	if err != nil {
		t.Fatal(err)
	}

	res := f.send(b, "/bind "+code)
	c := res.Cookies()
	if len(c) != 1 || b.cookie == before || chatOf(b.cookie) == chatOf(before) {
		t.Fatalf("binding did not rotate the cookie: before %q, Set-Cookie %+v", before, c)
	}
	if c[0].Name != "__Host-xuncha_chat" || !c[0].Secure || !c[0].HttpOnly {
		t.Errorf("rotated cookie %+v", c[0])
	}
	if got := f.read(b); !strings.Contains(got, "绑定成功") {
		t.Errorf("the new cookie does not read the binding's answer: %q", got)
	}
	if after, err := f.db.FindChat(t.Context(), handlers.PlatformWeb, chatOf(b.cookie)); err != nil || after != chat {
		t.Errorf("the new id finds chat %d (%v), want the same chat %d", after, err, chat)
	}
	if _, err := f.db.FindChat(t.Context(), handlers.PlatformWeb, chatOf(before)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the old id still finds a chat: %v", err)
	}
	// Whoever kept the old cookie reads nothing of the official's chat, and is a resident in a
	// chat of its own: the ledger is refused there.
	old := &browser{cookie: before, https: true, n: 100} // its own client ids: a browser draws them at random
	if got := f.read(old); got != "" {
		t.Errorf("the old cookie reads %q", got)
	}
	f.send(old, "/ledger")
	if got := f.read(old); !strings.Contains(got, "您没有权限") {
		t.Errorf("the old cookie's /ledger: %q, want the resident's refusal 您没有权限", got)
	}
	if id, err := f.db.FindChat(context.Background(), handlers.PlatformWeb, chatOf(before)); err != nil || id == chat {
		t.Errorf("the old id finds chat %d (%v), want a new resident chat apart from %d", id, err, chat)
	}
}
