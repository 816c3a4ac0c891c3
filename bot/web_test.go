package bot

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestWebCookie: the chat cookie is HttpOnly and SameSite=Strict always, and Secure when the
// page was reached over HTTPS, directly or through a TLS-terminating proxy.
func TestWebCookie(t *testing.T) {
	w := &Web{}
	for _, tc := range []struct {
		name   string
		header string
		secure bool
	}{
		{"plain http", "", false},
		{"behind a TLS proxy", "https", true},
		{"proxy says http", "http", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.header != "" {
				r.Header.Set("X-Forwarded-Proto", tc.header)
			}
			rec := httptest.NewRecorder()
			id := w.chatID(rec, r)
			c := rec.Result().Cookies()
			if len(c) != 1 || c[0].Value != id || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode {
				t.Fatalf("cookie %+v", c)
			}
			if c[0].Secure != tc.secure {
				t.Errorf("Secure = %v, want %v", c[0].Secure, tc.secure)
			}
			if len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" {
				t.Errorf("chat id %q is not 32 random bytes in hex", id)
			}
		})
	}
}

// TestWebWakeAll: a scheduler run wakes every waiting poll, whichever chats it queued for.
func TestWebWakeAll(t *testing.T) {
	w := &Web{waiters: map[int64]chan struct{}{}}
	a, b := w.waiter(1), w.waiter(2)
	w.WakeAll()
	for i, ch := range []<-chan struct{}{a, b} {
		select {
		case <-ch:
		default:
			t.Errorf("poll %d not woken", i+1)
		}
	}
	if c := w.waiter(1); c == a {
		t.Error("a woken poll's channel is handed out again")
	}
}
