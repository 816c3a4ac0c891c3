// Package telegramtest is a fake Telegram Bot API served on loopback for tests. It speaks the
// real wire format — multipart POSTs to /bot<token>/<method>, {"ok":…} answers, held
// getUpdates with offsets, file downloads at /file/bot<token>/<path> — records every call,
// enforces Telegram's send limits, and can inject 429s, server errors, slow answers and
// redelivered updates.
package telegramtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Call is one recorded API call.
type Call struct {
	Method string
	Fields map[string]string
	At     time.Time
}

// Sent is one message the fake accepted from sendMessage or editMessageText.
type Sent struct {
	ChatID      int64
	MessageID   int
	Text        string
	ReplyMarkup string // the raw JSON field
	Edit        bool
	At          time.Time
}

// Limits the fake enforces on sends; a zero value disables that limit.
type Limits struct {
	PerChat  time.Duration // minimum spacing of messages to one private chat (Telegram: ~1 s)
	PerGroup int           // messages per minute to one group (Telegram: 20)
	Global   int           // messages per second over all chats (Telegram: ~30)
	// Slack is subtracted from PerChat to absorb scheduling jitter between a sender's clock
	// and the fake's.
	Slack time.Duration
}

// Server is the fake Bot API.
type Server struct {
	*httptest.Server
	Token    string
	Username string

	mu        sync.Mutex
	limits    Limits
	updates   []queued // queued updates, in id order
	confirmed int64    // updates below this id were confirmed by an offset
	newUpdate chan struct{}
	calls     []Call
	sent      []Sent
	nextMsgID int
	files     map[string][]byte // file_id → bytes
	errors    map[string][]injected
	delay     map[string]time.Duration
	lastSend  map[int64]time.Time
	groupSend map[int64][]time.Time
	window    []time.Time
	tooMany   int
	webhook   string
	documents []Document
	// downloads in progress, and the most there were at once
	downloading, peakDownloads int
}

// Document is a file the bot sent with sendDocument.
type Document struct {
	ChatID  string
	Name    string
	Size    int64
	Caption string
	Data    []byte // the multipart file part's bytes
}

// Documents returns the documents the bot sent.
func (s *Server) Documents() []Document {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Document(nil), s.documents...)
}

type queued struct {
	id  int64 // parsed once: getUpdates scans the queue on every poll
	raw json.RawMessage
}

type injected struct {
	code       int
	retryAfter int
}

// New starts a fake for token.
func New(token string) *Server {
	s := &Server{
		Token: token, Username: "xuncha_test_bot", newUpdate: make(chan struct{}),
		files: map[string][]byte{}, errors: map[string][]injected{}, delay: map[string]time.Duration{},
		lastSend: map[int64]time.Time{}, groupSend: map[int64][]time.Time{}, nextMsgID: 1000,
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Start starts a fake for token that closes when the test ends. Started before a channel is
// made, it closes after the channel stops (cleanups run last first): a channel holds a long
// poll open on it.
func Start(tb testing.TB, token string) *Server {
	s := New(token)
	tb.Cleanup(s.Close)
	return s
}

// SetLimits sets the limits enforced on sends.
func (s *Server) SetLimits(l Limits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = l
}

// AddUpdate queues an update (a JSON object with update_id) for getUpdates. Adding an id
// again redelivers it, as Telegram does when an offset was never confirmed.
func (s *Server) AddUpdate(update string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updates = append(s.updates, queued{id: updateID(json.RawMessage(update)), raw: json.RawMessage(update)})
	close(s.newUpdate)
	s.newUpdate = make(chan struct{})
}

// AddFile makes bytes downloadable under a file id.
func (s *Server) AddFile(fileID string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[fileID] = data
}

// FailNext makes the next n calls of method fail with an HTTP-level error code; for 429 the
// answer carries retry_after seconds.
func (s *Server) FailNext(method string, n, code, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.errors[method] = append(s.errors[method], injected{code: code, retryAfter: retryAfter})
	}
}

// Delay makes every call of method wait d before answering ("download" for file downloads).
func (s *Server) Delay(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay[method] = d
}

// Calls returns the recorded calls of a method ("" for all).
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(s.calls), func(c Call) bool { return method != "" && c.Method != method })
}

// Sent returns the accepted messages, in order.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// SentCount is len(Sent()) without the copy, for loops that wait on it.
func (s *Server) SentCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sent)
}

// TooMany counts the sends refused with 429 because a limit was broken (not injected ones).
func (s *Server) TooMany() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tooMany
}

// Confirmed is the offset the bot last confirmed with getUpdates.
func (s *Server) Confirmed() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.confirmed
}

// Webhook is the URL last set with setWebhook ("" after deleteWebhook).
func (s *Server) Webhook() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/file/bot"+s.Token+"/") {
		s.download(w, r)
		return
	}
	prefix := "/bot" + s.Token + "/"
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, prefix) {
		answer(w, 404, `{"ok":false,"error_code":404,"description":"Not Found"}`)
		return
	}
	method := strings.TrimPrefix(r.URL.Path, prefix)
	fields := map[string]string{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		// getMe arrives with an empty multipart body: ParseMultipartForm fails with EOF then.
		if err := r.ParseMultipartForm(32 << 20); err == nil {
			for k, v := range r.MultipartForm.Value {
				fields[k] = v[0]
			}
		}
	} else if r.Header.Get("Content-Type") == "application/json" {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err == nil {
			for k, v := range m {
				fields[k] = fmt.Sprint(v)
			}
		}
	}
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, Fields: fields, At: time.Now()})
	d := s.delay[method]
	var inj *injected
	if q := s.errors[method]; len(q) > 0 {
		inj, s.errors[method] = &q[0], q[1:]
	}
	s.mu.Unlock()
	if d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	if inj != nil {
		switch inj.code {
		case 429:
			answer(w, 429, fmt.Sprintf(`{"ok":false,"error_code":429,"description":"Too Many Requests: retry after %d","parameters":{"retry_after":%d}}`, inj.retryAfter, inj.retryAfter))
		case 403:
			answer(w, 403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`)
		default:
			answer(w, inj.code, fmt.Sprintf(`{"ok":false,"error_code":%d,"description":"Internal Server Error"}`, inj.code))
		}
		return
	}
	switch method {
	case "getMe":
		answer(w, 200, fmt.Sprintf(`{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"Xuncha","username":%q}}`, s.Username))
	case "getUpdates":
		s.getUpdates(w, r, fields)
	case "sendMessage", "editMessageText":
		s.send(w, method, fields)
	case "sendDocument":
		// The document is a multipart file part; the caption stands in for the text.
		if r.MultipartForm == nil || len(r.MultipartForm.File["document"]) == 0 {
			answer(w, 400, `{"ok":false,"error_code":400,"description":"Bad Request: there is no document in the request"}`)
			return
		}
		fh := r.MultipartForm.File["document"][0]
		var data []byte
		if f, err := fh.Open(); err == nil {
			data, _ = io.ReadAll(f)
			f.Close()
		}
		fields["text"] = fields["caption"]
		if fields["text"] == "" {
			fields["text"] = "(document)"
		}
		s.mu.Lock()
		s.documents = append(s.documents, Document{ChatID: fields["chat_id"], Name: fh.Filename, Size: fh.Size, Caption: fields["caption"], Data: data})
		s.mu.Unlock()
		s.send(w, method, fields)
	case "answerCallbackQuery", "setMyCommands", "deleteWebhook":
		if method == "deleteWebhook" {
			s.mu.Lock()
			s.webhook = ""
			s.mu.Unlock()
		}
		answer(w, 200, `{"ok":true,"result":true}`)
	case "setWebhook":
		s.mu.Lock()
		s.webhook = fields["url"]
		s.mu.Unlock()
		answer(w, 200, `{"ok":true,"result":true}`)
	case "getFile":
		s.mu.Lock()
		data, ok := s.files[fields["file_id"]]
		s.mu.Unlock()
		if !ok {
			answer(w, 400, `{"ok":false,"error_code":400,"description":"Bad Request: invalid file_id"}`)
			return
		}
		answer(w, 200, fmt.Sprintf(`{"ok":true,"result":{"file_id":%q,"file_unique_id":"u-%s","file_size":%d,"file_path":"documents/%s.bin"}}`,
			fields["file_id"], fields["file_id"], len(data), fields["file_id"]))
	default:
		answer(w, 404, `{"ok":false,"error_code":404,"description":"Not Found: method not found"}`)
	}
}

func answer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// getUpdates confirms everything below offset and answers the updates at or above it,
// holding the request (long polling) until one arrives or the timeout passes.
func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, fields map[string]string) {
	offset, _ := strconv.ParseInt(fields["offset"], 10, 64)
	timeout, _ := strconv.Atoi(fields["timeout"])
	limit, _ := strconv.Atoi(fields["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	deadline := time.After(time.Duration(timeout) * time.Second)
	for {
		s.mu.Lock()
		if offset > s.confirmed {
			s.confirmed = offset
		}
		var out []json.RawMessage
		kept := s.updates[:0]
		for _, u := range s.updates {
			if u.id < s.confirmed {
				continue // confirmed: Telegram forgets it
			}
			kept = append(kept, u)
			if len(out) < limit {
				out = append(out, u.raw)
			}
		}
		s.updates = kept
		wait := s.newUpdate
		s.mu.Unlock()
		if len(out) > 0 || timeout == 0 {
			b, _ := json.Marshal(out)
			if out == nil {
				b = []byte("[]")
			}
			answer(w, 200, `{"ok":true,"result":`+string(b)+`}`)
			return
		}
		select {
		case <-wait:
		case <-deadline:
			timeout = 0
		case <-r.Context().Done():
			return
		}
	}
}

func updateID(u json.RawMessage) int64 {
	var v struct {
		ID int64 `json:"update_id"`
	}
	json.Unmarshal(u, &v)
	return v.ID
}

// send records a message, refusing it with 429 when it breaks a limit.
func (s *Server) send(w http.ResponseWriter, method string, f map[string]string) {
	chatID, err := strconv.ParseInt(f["chat_id"], 10, 64)
	if err != nil || f["text"] == "" {
		answer(w, 400, `{"ok":false,"error_code":400,"description":"Bad Request: chat_id and text are required"}`)
		return
	}
	if n := len([]rune(f["text"])); n > 4096 {
		answer(w, 400, `{"ok":false,"error_code":400,"description":"Bad Request: message is too long"}`)
		return
	}
	if f["reply_markup"] != "" {
		var kb struct {
			Rows [][]map[string]any `json:"inline_keyboard"`
		}
		if err := json.Unmarshal([]byte(f["reply_markup"]), &kb); err != nil {
			answer(w, 400, `{"ok":false,"error_code":400,"description":"Bad Request: can't parse reply keyboard markup JSON object"}`)
			return
		}
		for _, row := range kb.Rows {
			for _, b := range row {
				// Telegram refuses an empty copy_text (BUTTON_COPY_TEXT_INVALID) and callback
				// data over 64 bytes (BUTTON_DATA_INVALID).
				if ct, ok := b["copy_text"]; ok {
					if m, _ := ct.(map[string]any); m == nil || m["text"] == "" {
						answer(w, 400, `{"ok":false,"error_code":400,"description":"Bad Request: BUTTON_COPY_TEXT_INVALID"}`)
						return
					}
				}
				if d, _ := b["callback_data"].(string); len(d) == 0 || len(d) > 64 {
					answer(w, 400, `{"ok":false,"error_code":400,"description":"Bad Request: BUTTON_DATA_INVALID"}`)
					return
				}
			}
		}
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.limits
	if l.Global > 0 {
		cut := now.Add(-time.Second)
		kept := s.window[:0]
		for _, t := range s.window {
			if t.After(cut) {
				kept = append(kept, t)
			}
		}
		s.window = kept
		if len(s.window) >= l.Global {
			s.tooMany++
			answer(w, 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}`)
			return
		}
	}
	if chatID < 0 && l.PerGroup > 0 {
		cut := now.Add(-time.Minute)
		var kept []time.Time
		for _, t := range s.groupSend[chatID] {
			if t.After(cut) {
				kept = append(kept, t)
			}
		}
		s.groupSend[chatID] = kept
		if len(kept) >= l.PerGroup {
			s.tooMany++
			answer(w, 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}`)
			return
		}
	}
	if chatID > 0 && l.PerChat > 0 {
		if last, ok := s.lastSend[chatID]; ok && now.Sub(last) < l.PerChat-l.Slack {
			s.tooMany++
			answer(w, 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}`)
			return
		}
	}
	s.window = append(s.window, now)
	s.lastSend[chatID] = now
	if chatID < 0 {
		s.groupSend[chatID] = append(s.groupSend[chatID], now)
	}
	id := s.nextMsgID
	if method == "editMessageText" {
		id, _ = strconv.Atoi(f["message_id"])
	} else {
		s.nextMsgID++
	}
	s.sent = append(s.sent, Sent{ChatID: chatID, MessageID: id, Text: f["text"], ReplyMarkup: f["reply_markup"], Edit: method == "editMessageText", At: now})
	text, _ := json.Marshal(f["text"])
	answer(w, 200, fmt.Sprintf(`{"ok":true,"result":{"message_id":%d,"date":%d,"chat":{"id":%d,"type":"private"},"text":%s}}`,
		id, now.Unix(), chatID, text))
}

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/file/bot"+s.Token+"/documents/")
	id := strings.TrimSuffix(path, ".bin")
	s.mu.Lock()
	data, ok := s.files[id]
	s.calls = append(s.calls, Call{Method: "download", Fields: map[string]string{"file_id": id}, At: time.Now()})
	s.downloading++
	s.peakDownloads = max(s.peakDownloads, s.downloading)
	d := s.delay["download"]
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.downloading--
		s.mu.Unlock()
	}()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	w.Write(data)
}

// PeakDownloads is the most file downloads that were in progress at once.
func (s *Server) PeakDownloads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peakDownloads
}

// Message builds a private text message update from a user.
func Message(updateID int64, chatID int64, text string) string {
	t, _ := json.Marshal(text)
	entities := ""
	if strings.HasPrefix(text, "/") {
		n := len(strings.Fields(text)[0])
		entities = fmt.Sprintf(`,"entities":[{"type":"bot_command","offset":0,"length":%d}]`, n)
	}
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":%d,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"U","language_code":"zh-hans"},"text":%s%s}}`,
		updateID, updateID, time.Now().Unix(), chatID, chatID, t, entities)
}

// GroupMessage builds a text message update in a group chat.
func GroupMessage(updateID int64, groupID, userID int64, text string) string {
	t, _ := json.Marshal(text)
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":%d,"chat":{"id":%d,"type":"group","title":"G"},"from":{"id":%d,"is_bot":false,"first_name":"U"},"text":%s}}`,
		updateID, updateID, time.Now().Unix(), groupID, userID, t)
}

// Photo builds a photo message update; the file must be added with AddFile.
func Photo(updateID int64, chatID int64, fileID string, size int, caption string) string {
	c, _ := json.Marshal(caption)
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":%d,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"U"},"photo":[{"file_id":"small-%s","file_unique_id":"s","width":90,"height":90,"file_size":100},{"file_id":%q,"file_unique_id":"l","width":800,"height":600,"file_size":%d}],"caption":%s}}`,
		updateID, updateID, time.Now().Unix(), chatID, chatID, fileID, fileID, size, c)
}

// File builds a message update carrying a file of the given kind ("document", "video",
// "video_note", "voice", "audio", "animation"); the file must be added with AddFile. name is
// the file name the sender's app announces (documents, videos, audio).
func File(updateID int64, chatID int64, kind, fileID, name string, size int) string {
	n, _ := json.Marshal(name)
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":%d,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"U"},%q:{"file_id":%q,"file_unique_id":"u-%s","file_name":%s,"file_size":%d,"duration":3}}}`,
		updateID, updateID, time.Now().Unix(), chatID, chatID, kind, fileID, fileID, n, size)
}

// Press builds a callback query update: the button with data pressed under a message the bot
// sent (as recorded by the fake, keyboard included).
func Press(updateID int64, under Sent, data string) string {
	t, _ := json.Marshal(under.Text)
	d, _ := json.Marshal(data)
	markup := ""
	if under.ReplyMarkup != "" {
		markup = `,"reply_markup":` + under.ReplyMarkup
	}
	return fmt.Sprintf(`{"update_id":%d,"callback_query":{"id":"cq%d","from":{"id":%d,"is_bot":false,"first_name":"U","language_code":"zh-hans"},"chat_instance":"ci","data":%s,"message":{"message_id":%d,"date":%d,"chat":{"id":%d,"type":"private"},"text":%s%s}}}`,
		updateID, updateID, under.ChatID, d, under.MessageID, time.Now().Unix(), under.ChatID, t, markup)
}

// SentTo returns the messages accepted for one chat, edits included.
func (s *Server) SentTo(chat int64) []Sent {
	return slices.DeleteFunc(s.Sent(), func(m Sent) bool { return m.ChatID != chat })
}

// WaitText waits (up to 30 s) for a message to chat containing want — sent or edited into
// place — among those after the first skip, and returns the newest such one.
func (s *Server) WaitText(t testing.TB, chat int64, skip int, want string) Sent {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		msgs := s.SentTo(chat)
		for i := len(msgs) - 1; i >= skip; i-- {
			if strings.Contains(msgs[i].Text, want) {
				return msgs[i]
			}
		}
		if time.Now().After(deadline) {
			var texts []string
			for _, m := range msgs {
				texts = append(texts, m.Text)
			}
			t.Fatalf("timed out waiting for %q to chat %d; it got:\n%s", want, chat, strings.Join(texts, "\n---\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// CountText counts the new messages (not edits) to chat containing want.
func (s *Server) CountText(chat int64, want string) int {
	n := 0
	for _, m := range s.SentTo(chat) {
		if !m.Edit && strings.Contains(m.Text, want) {
			n++
		}
	}
	return n
}

// ButtonData finds the callback data of the button labelled label under a sent message.
func ButtonData(t testing.TB, m Sent, label string) string {
	t.Helper()
	var kb struct {
		Rows [][]struct {
			Text string `json:"text"`
			Data string `json:"callback_data"`
		} `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(m.ReplyMarkup), &kb); err != nil {
		t.Fatalf("keyboard of %q: %v", m.Text, err)
	}
	for _, row := range kb.Rows {
		for _, b := range row {
			if strings.Contains(b.Text, label) {
				return b.Data
			}
		}
	}
	t.Fatalf("no button %q under %q (%s)", label, m.Text, m.ReplyMarkup)
	return ""
}
