// Package bot holds the platform adapters: each turns a platform's messages into
// handlers.Message, runs the engine, and delivers the outbox to the platform.
package bot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"xuncha/handlers"
	"xuncha/internal/httpsec"
	"xuncha/store"
)

//go:embed web
var webAssets embed.FS

// pageSource is the chat page, rendered with the labels of the chat's language.
//
//go:embed page.html
var pageSource string

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

// WebEngine is what the web chat needs from the conversation engine.
type WebEngine interface {
	Handle(ctx context.Context, m handlers.Message) (handlers.Result, error)
	OnQueued(fn func(chatID int64))
}

// WebStore is what the web chat needs from the store: its outbox rows are its mailbox.
type WebStore interface {
	FindChat(ctx context.Context, platform, external string) (int64, error)
	Mailbox(ctx context.Context, chatID, after int64, limit int) ([]store.Delivery, error)
	AckMailbox(ctx context.Context, chatID, upTo int64) error
	// TakeOnce marks a message with codes delivered as it is shown, and forgets its codes.
	TakeOnce(ctx context.Context, d store.Delivery) (bool, error)
	ChatLang(ctx context.Context, chatID int64) (string, error)
	OutboxFile(ctx context.Context, chatID, outboxID int64) (store.Attachment, []byte, error)
	// PrivateID is a keyed hash: it tags the chat ids the server issues, and names a
	// browser's messages in the inbox without any part of its chat id.
	PrivateID(purpose, value string) string
}

// Web is the web chat channel: a page at / and a small JSON API. A browser is one chat,
// identified by a random id in an HttpOnly cookie that the server issued and tagged with a
// keyed hash; the browser polls for its messages.
type Web struct {
	log    *slog.Logger
	engine WebEngine
	store  WebStore
	lang   string

	// PollWait is how long a poll waits for a new message before answering empty.
	PollWait time.Duration
	// Uploads bounds the uploaded files in memory at once, with the other channels' files;
	// nil bounds nothing.
	Uploads *Uploads
	// ReadTimeout and WriteTimeout are the HTTP server's (zero: none). An upload waits for
	// its slot no longer than ReadTimeout, and then has ReadTimeout to start its body and
	// must keep it coming at minBodyRate; the long poll and file downloads get the time they
	// need on top of WriteTimeout.
	ReadTimeout, WriteTimeout time.Duration
	// Metrics counts received messages; set it before serving.
	Metrics ChannelMetrics

	mu      sync.Mutex
	waiters map[int64]chan struct{} // closed when a message for the chat is queued
}

const (
	cookieName = "xuncha_chat"
	// hostCookieName is the name over HTTPS. Browsers accept a __Host- cookie only when it is
	// Secure, for Path=/ and without a Domain: no other site or subdomain can plant one.
	hostCookieName = "__Host-" + cookieName
	maxSendBytes   = 1 << 20
	// maxUploadBytes is the largest upload body: one file of the largest size and the
	// multipart framing around it.
	maxUploadBytes = handlers.MaxFileBytes + 64<<10
	// minBodyRate is the slowest an upload (or a file download) may go once started,
	// 64 KiB/s (about 0.5 Mbit/s): the largest file takes some five minutes. A client that
	// trickles slower is cut rather than holding an upload slot for hours.
	minBodyRate = 64 << 10
)

var (
	chatIDPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
	msgIDPattern  = regexp.MustCompile(`^[A-Za-z0-9-]{8,64}$`)
)

// NewWeb returns the web chat channel and subscribes it to the engine's queue notifications.
func NewWeb(logger *slog.Logger, engine WebEngine, st WebStore, defaultLang string) *Web {
	w := &Web{log: logger, engine: engine, store: st, lang: defaultLang, PollWait: 25 * time.Second, Metrics: nopMetrics{}, waiters: map[int64]chan struct{}{}}
	engine.OnQueued(w.wake)
	return w
}

// wake tells waiting polls of a chat that a message was queued.
func (w *Web) wake(chatID int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ch, ok := w.waiters[chatID]; ok {
		close(ch)
		delete(w.waiters, chatID)
	}
}

// WakeAll tells every waiting poll to look at its mailbox: for producers that queue without
// naming the chats at once (the scheduler's announcements and letters).
func (w *Web) WakeAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, ch := range w.waiters {
		close(ch)
		delete(w.waiters, id)
	}
}

func (w *Web) waiter(chatID int64) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch, ok := w.waiters[chatID]
	if !ok {
		ch = make(chan struct{})
		w.waiters[chatID] = ch
	}
	return ch
}

// Handler serves the page and the API.
func (w *Web) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(webAssets, "web")
	files := http.FileServerFS(static)
	mux.Handle("GET /static/", http.StripPrefix("/static/", files))
	mux.HandleFunc("GET /{$}", w.page)
	mux.HandleFunc("POST /api/send", w.send)
	mux.HandleFunc("POST /api/upload", w.upload)
	mux.HandleFunc("GET /api/messages", w.messages)
	mux.HandleFunc("GET /api/file/{id}", w.file)
	// No inline script and no framing: even if text slipped through unescaped, a browser
	// would not run it.
	return httpsec.Policy{
		CSP:      "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
		Referrer: "no-referrer",
	}.Wrap(mux)
}

// chatID returns the browser's chat id, issuing a new one when its cookie holds none that the
// server issued.
func (w *Web) chatID(rw http.ResponseWriter, r *http.Request) string {
	if id := w.issuedChat(r); id != "" {
		return id
	}
	id := newChatID()
	w.setChatCookie(rw, r, id)
	return id
}

// issuedChat returns the chat id in the request's cookie when the server issued it, or "".
// Only an issued id is accepted: a value planted in a browser (cookie fixation) would
// otherwise become its chat, and whoever planted it would read that chat, role and all.
func (w *Web) issuedChat(r *http.Request) string {
	c, err := r.Cookie(chatCookieName(r))
	if err != nil {
		return ""
	}
	id, tag, ok := strings.Cut(c.Value, ".")
	if !ok || !chatIDPattern.MatchString(id) || !hmac.Equal([]byte(tag), []byte(w.cookieTag(id))) {
		return ""
	}
	return id
}

// cookieTag is the keyed hash that shows an id was issued here; it never reaches the database.
func (w *Web) cookieTag(id string) string { return w.store.PrivateID("web.cookie", id) }

// setChatCookie gives the browser a chat id: __Host-xuncha_chat over HTTPS, xuncha_chat over
// plain HTTP (where a Secure cookie would not be kept).
func (w *Web) setChatCookie(rw http.ResponseWriter, r *http.Request, id string) {
	http.SetCookie(rw, &http.Cookie{Name: chatCookieName(r), Value: id + "." + w.cookieTag(id), Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secureRequest(r), MaxAge: 365 * 24 * 3600})
}

func chatCookieName(r *http.Request) string {
	if secureRequest(r) {
		return hostCookieName
	}
	return cookieName
}

// newChatID is 32 random bytes in hex.
func newChatID() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}

// secureRequest reports whether the browser reached us over HTTPS: directly, or through the
// TLS-terminating proxy that production puts in front (X-Forwarded-Proto). Trusting the header
// from anyone is safe here: it can only make the cookie stricter (Secure, __Host-), never
// expose it.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// page serves the chat page with its labels in the chat's language (the browser's, for a chat
// that has not written yet), and the engine's limit on a message's length in its box.
func (w *Web) page(rw http.ResponseWriter, r *http.Request) {
	lang := w.langOf(r)
	if id := w.issuedChat(r); id != "" {
		if chatID, err := w.store.FindChat(r.Context(), handlers.PlatformWeb, id); err == nil {
			if l, err := w.store.ChatLang(r.Context(), chatID); err == nil && l != "" {
				lang = l
			}
		}
	} else {
		w.chatID(rw, r)
	}
	htmlLang := "zh-CN"
	if lang == handlers.LangEN {
		htmlLang = "en"
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pageTemplate.Execute(rw, struct {
		HTMLLang string
		L        map[string]string
		Max      int
	}{htmlLang, handlers.WebLabels(lang), handlers.MaxTextRunes}); err != nil {
		w.log.Error("web page failed", "error", err)
	}
}

func (w *Web) langOf(r *http.Request) string {
	if l := handlers.NormalizeLang(r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	return w.lang
}

type sendRequest struct {
	ID   string `json:"id"`
	Text string `json:"text"`
	Data string `json:"data"`
}

type apiAnswer struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// Refused: the engine turned the message away unrecorded; the page gives the text back.
	Refused  bool         `json:"refused,omitempty"`
	Messages []webMessage `json:"messages,omitempty"`
	// Labels: the page's texts, when the chat's language is not the one the page shows.
	Labels map[string]string `json:"labels,omitempty"`
}

type webMessage struct {
	ID      int64            `json:"id"`
	Text    string           `json:"text"`
	Buttons [][]store.Button `json:"buttons,omitempty"`
	File    *webFile         `json:"file,omitempty"`
	// Codes are shown large with a copy button, and this message is given out once only.
	Codes []string `json:"codes,omitempty"`
}

// webFile is a file sent with a message, downloadable by the chat it was sent to only.
type webFile struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.WriteHeader(status)
	_ = json.NewEncoder(rw).Encode(v)
}

// sameOrigin refuses cross-site posts. The cookie is SameSite=Strict already; this also covers
// old browsers. Requests without an Origin header (non-browser clients) carry no cookie of a
// victim, so they are allowed.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	return origin == "http://"+r.Host || origin == "https://"+r.Host
}

func (w *Web) send(rw http.ResponseWriter, r *http.Request) {
	lang := w.langOf(r)
	if !sameOrigin(r) {
		writeJSON(rw, http.StatusForbidden, apiAnswer{Error: handlers.T(lang, "error")})
		return
	}
	var req sendRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxSendBytes)).Decode(&req); err != nil || !msgIDPattern.MatchString(req.ID) {
		writeJSON(rw, http.StatusBadRequest, apiAnswer{Error: handlers.T(lang, "error")})
		return
	}
	w.handle(rw, r, handlers.Message{Text: req.Text, Data: req.Data}, req.ID)
}

func (w *Web) upload(rw http.ResponseWriter, r *http.Request) {
	lang := w.langOf(r)
	id := r.URL.Query().Get("id")
	if !sameOrigin(r) || !msgIDPattern.MatchString(id) {
		writeJSON(rw, http.StatusBadRequest, apiAnswer{Error: handlers.T(lang, "error")})
		return
	}
	tooBig := handlers.Message{Files: []handlers.File{{Name: "upload", Size: handlers.MaxFileBytes + 1}}}
	if r.ContentLength > maxUploadBytes {
		// Refused before a byte of it is read; the engine gives its polite answer about the size.
		w.handle(rw, r, tooBig, id)
		return
	}
	// A slot before reading: the body stays in the client's and the kernel's buffers
	// meanwhile. Its size is the declared one, or the largest when the body is chunked.
	size := r.ContentLength
	if size < 0 {
		size = maxUploadBytes
	}
	wait := r.Context()
	if w.ReadTimeout > 0 {
		var cancel context.CancelFunc
		wait, cancel = context.WithTimeout(wait, w.ReadTimeout)
		defer cancel()
	}
	slot, err := w.Uploads.Acquire(wait, size)
	if err != nil {
		w.log.Warn("web upload refused: uploads busy")
		rw.Header().Set("Retry-After", "60")
		writeJSON(rw, http.StatusServiceUnavailable, apiAnswer{Error: handlers.T(lang, "upload.busy")})
		return
	}
	defer slot.Release()
	rc := http.NewResponseController(rw)
	body := io.Reader(http.MaxBytesReader(rw, r.Body, maxUploadBytes))
	if w.ReadTimeout > 0 {
		body = &pacedBody{r: body, rc: rc, start: time.Now(), grace: w.ReadTimeout}
	}
	m, ok := readUpload(body, r.Header.Get("Content-Type"), size)
	if w.WriteTimeout > 0 {
		_ = rc.SetWriteDeadline(time.Now().Add(w.WriteTimeout)) // the upload may have outlasted the server's
	}
	switch {
	case !ok:
		writeJSON(rw, http.StatusBadRequest, apiAnswer{Error: handlers.T(lang, "error")})
		return
	case len(m.Files) == 0:
		m = tooBig
	default:
		slot.Shrink(int64(len(m.Files[0].Data)))
	}
	w.handle(rw, r, m, id)
}

// readUpload streams a multipart upload: its "file" part into one buffer of the file's own
// size, and its "text" part. (r.FormFile would buffer up to 32 MB of parts, then copy the
// file again.) A file over the size limit yields a message without files; false means the
// body was unreadable: malformed, cut off, or too slow.
func readUpload(body io.Reader, contentType string, size int64) (handlers.Message, bool) {
	var m handlers.Message
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return m, false
	}
	mr := multipart.NewReader(body, params["boundary"])
	var file *handlers.File
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return handlers.Message{}, true
		}
		if err != nil {
			return m, false
		}
		switch p.FormName() {
		case "file":
			if file != nil {
				return m, false // the page sends one file per upload
			}
			buf := bytes.NewBuffer(make([]byte, 0, min(size, handlers.MaxFileBytes+1)))
			if _, err := io.Copy(buf, io.LimitReader(p, handlers.MaxFileBytes+1)); err != nil {
				if errors.As(err, &tooBig) {
					return handlers.Message{}, true
				}
				return m, false
			}
			if buf.Len() > handlers.MaxFileBytes {
				return handlers.Message{}, true
			}
			file = &handlers.File{Name: p.FileName(), Size: int64(buf.Len()), Data: buf.Bytes()}
		case "text":
			b, err := io.ReadAll(io.LimitReader(p, maxSendBytes))
			if err != nil {
				return m, false
			}
			m.Text = string(b)
		}
	}
	if file == nil {
		return m, false
	}
	m.Files = []handlers.File{*file}
	return m, true
}

// pacedBody cuts an upload that stops coming: it may take grace to get going, and every
// byte read buys 1/minBodyRate more. The server's ReadTimeout alone would cut a large upload
// over a slow mobile link; no deadline at all let 1,000 connections trickle for ever.
type pacedBody struct {
	r     io.Reader
	rc    *http.ResponseController
	start time.Time
	grace time.Duration
	n     int64
}

func (p *pacedBody) Read(b []byte) (int, error) {
	_ = p.rc.SetReadDeadline(p.start.Add(p.grace + time.Duration(p.n)*time.Second/minBodyRate))
	n, err := p.r.Read(b)
	p.n += int64(n)
	return n, err
}

func (w *Web) handle(rw http.ResponseWriter, r *http.Request, m handlers.Message, clientID string) {
	chat := w.chatID(rw, r)
	m.Platform = handlers.PlatformWeb
	m.ChatID = chat
	// Client ids are namespaced by chat so that one browser cannot collide with another's. The
	// inbox id is one keyed hash of both, with no part that depends on the chat alone: even
	// with the key, the inbox cannot be sorted by chat (the client id is random and kept
	// nowhere), so an inbox row's time cannot name the chat behind a report.
	m.MsgID = w.store.PrivateID("web.msg", chat+"\x00"+clientID)
	m.Lang = w.langOf(r)
	// A chat that binds a role gets a new id in the step's own transaction: a cookie planted
	// or seen before the binding reaches nothing afterwards (the old one finds no chat).
	var rotated string
	m.Record = func(tx *store.Tx, res *handlers.Result) error {
		rotated = ""
		if !res.Bound {
			return nil
		}
		next := newChatID()
		if err := tx.RekeyChat(handlers.PlatformWeb, chat, next); err != nil {
			return err
		}
		rotated = next
		return nil
	}
	res, err := w.engine.Handle(r.Context(), m)
	if err != nil {
		w.log.Error("web step failed", "error", err)
		writeJSON(rw, http.StatusInternalServerError, apiAnswer{Error: handlers.T(m.Lang, "error")})
		return
	}
	if rotated != "" {
		w.setChatCookie(rw, r, rotated)
	}
	dup := 0
	if res.Duplicate {
		dup = 1 // the browser resent a message whose answer it missed
	}
	w.Metrics.Received(handlers.PlatformWeb, 1, dup)
	writeJSON(rw, http.StatusOK, apiAnswer{OK: true, Refused: res.Refused})
}

// messages answers a poll: it acknowledges what the browser already has (ids up to after) and
// returns what is newer, waiting up to PollWait for something to arrive.
func (w *Web) messages(rw http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	wait := r.URL.Query().Get("wait") != ""
	chat := w.issuedChat(r)
	if chat == "" {
		writeJSON(rw, http.StatusOK, apiAnswer{OK: true})
		return
	}
	chatID, err := w.store.FindChat(ctx, handlers.PlatformWeb, chat)
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(rw, http.StatusOK, apiAnswer{OK: true})
		return
	}
	if err != nil {
		w.log.Error("web poll failed", "error", err)
		writeJSON(rw, http.StatusInternalServerError, apiAnswer{Error: handlers.T(w.langOf(r), "error")})
		return
	}
	if after > 0 {
		if err := w.store.AckMailbox(ctx, chatID, after); err != nil {
			w.log.Error("web ack failed", "error", err)
		}
	}
	if w.WriteTimeout > 0 {
		// The poll waits before it writes: the server's write deadline runs meanwhile.
		_ = http.NewResponseController(rw).SetWriteDeadline(time.Now().Add(w.PollWait + w.WriteTimeout))
	}
	deadline := time.NewTimer(w.PollWait)
	defer deadline.Stop()
	for {
		woken := w.waiter(chatID) // take the waiter before reading, so no wake-up falls between
		msgs, err := w.store.Mailbox(ctx, chatID, after, 50)
		if err != nil {
			w.log.Error("web poll failed", "error", err)
			writeJSON(rw, http.StatusInternalServerError, apiAnswer{Error: handlers.T(w.langOf(r), "error")})
			return
		}
		if len(msgs) > 0 || !wait {
			out := apiAnswer{OK: true}
			for _, d := range msgs {
				m := webMessage{ID: d.ID, Text: d.Message.Text, Buttons: d.Message.Buttons, Codes: d.Message.Codes}
				if len(m.Codes) > 0 {
					// Shown once: taken as it is read, so that neither a reload nor whoever opens
					// the page next (a shared computer) gets the code again.
					taken, err := w.store.TakeOnce(ctx, d)
					if err != nil {
						w.log.Error("web poll failed", "error", err)
						writeJSON(rw, http.StatusInternalServerError, apiAnswer{Error: handlers.T(w.langOf(r), "error")})
						return
					}
					if !taken {
						continue // another poll of the chat showed it
					}
				}
				if f := d.Message.File; f != nil {
					m.File = &webFile{Name: f.Name, URL: "/api/file/" + strconv.FormatInt(d.ID, 10)}
				}
				out.Messages = append(out.Messages, m)
			}
			if lang, err := w.store.ChatLang(ctx, chatID); err == nil && lang != r.URL.Query().Get("lang") {
				out.Labels = handlers.WebLabels(lang)
			}
			writeJSON(rw, http.StatusOK, out)
			return
		}
		select {
		case <-woken:
		case <-time.After(2 * time.Second): // messages queued by another process (the CLI)
		case <-deadline.C:
			wait = false
		case <-ctx.Done():
			return
		}
	}
}

// file serves a file attached to a message, only to the chat the message was sent to.
func (w *Web) file(rw http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	chat := w.issuedChat(r)
	if err != nil || chat == "" {
		http.NotFound(rw, r)
		return
	}
	chatID, err := w.store.FindChat(r.Context(), handlers.PlatformWeb, chat)
	if err != nil {
		http.NotFound(rw, r)
		return
	}
	f, data, err := w.store.OutboxFile(r.Context(), chatID, id)
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(rw, r)
		return
	}
	if err != nil {
		w.log.Error("web file failed", "error", err)
		http.Error(rw, "unavailable", http.StatusInternalServerError)
		return
	}
	if w.WriteTimeout > 0 {
		// A large file to a slow phone needs longer than the server's write deadline.
		_ = http.NewResponseController(rw).SetWriteDeadline(time.Now().Add(w.WriteTimeout + time.Duration(len(data))*time.Second/minBodyRate))
	}
	rw.Header().Set("Content-Type", f.MIME)
	rw.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	rw.Write(data)
}
