package bot

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"xuncha/handlers"
	"xuncha/store"
)

// TelegramConfig configures the Telegram channel.
type TelegramConfig struct {
	Token         string
	APIURL        string // default https://api.telegram.org
	WebhookURL    string // webhook mode when set; long polling otherwise
	WebhookSecret string
	GlobalRate    float64 // messages per second over all chats (default 25)
	Workers       int     // chats processed at once (default 64)
	MediaWorkers  int     // steps holding a downloaded file at once (default 4), without Uploads
	// Uploads bounds the files held at once with the other channels'; nil: MediaWorkers files.
	Uploads     *Uploads
	PollTimeout time.Duration  // long-polling hold (default 50 s)
	Metrics     ChannelMetrics // counts received updates; nil counts nothing
}

// TelegramEngine is what the Telegram channel needs from the conversation engine.
type TelegramEngine interface {
	Handle(ctx context.Context, m handlers.Message) (handlers.Result, error)
}

// TelegramStore is what the Telegram channel needs from the store.
type TelegramStore interface {
	ReceiveMessages(ctx context.Context, platform string, msgs []store.Received, stateKey, stateValue string) (int, error)
	PendingMessages(ctx context.Context, platform string, limit int) ([]store.Received, error)
	ChannelState(ctx context.Context, key string) (string, error)
	Update(ctx context.Context, fn func(*store.Tx) error) error
	Blob(ctx context.Context, sha string) ([]byte, string, error)
}

const (
	offsetKey   = "telegram.offset"
	usernameKey = "telegram.username"
)

// Telegram is the Telegram channel. Receiving is persist-first: an update is committed to the
// inbox before Telegram learns it arrived (the getUpdates offset that confirms a batch is sent
// only after the batch is committed; a webhook POST is answered 200 only after the commit).
// Stored updates are then processed in order per chat, different chats concurrently.
// go-telegram/bot is used for the API calls; its own polling loop and webhook handler are not,
// because both acknowledge updates before they are processed.
type Telegram struct {
	log    *slog.Logger
	cfg    TelegramConfig
	engine TelegramEngine
	store  TelegramStore
	api    *tgbot.Bot
	http   *http.Client
	limit  *sendLimiter

	username string
	wake     chan struct{}
	uploads  *Uploads // a slot per step holding a downloaded file
	// recvHealth tracks getUpdates (or setWebhook), sendHealth the sends, for Healthy.
	recvHealth, sendHealth health
	// beforeCommit, when set by tests, runs after getUpdates answered and before the batch is
	// committed: the moment a crash would lose updates if they were acknowledged early.
	beforeCommit func()
}

// NewTelegram checks the token with getMe and returns the channel.
func NewTelegram(ctx context.Context, logger *slog.Logger, cfg TelegramConfig, engine TelegramEngine, st TelegramStore) (*Telegram, error) {
	if cfg.APIURL == "" {
		cfg.APIURL = "https://api.telegram.org"
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	if cfg.GlobalRate <= 0 {
		cfg.GlobalRate = 25
	}
	if cfg.Workers <= 0 {
		// A worker mostly waits: for the shared commit of its step, for a file download, for
		// answerCallbackQuery. 64 did better than 32 on BenchmarkTelegramPolling (BENCHMARKS.md).
		cfg.Workers = 64
	}
	if cfg.MediaWorkers <= 0 {
		// A file is held in memory (up to 20 MB) from its download until its step is done;
		// the workers are many, the files at once are few.
		cfg.MediaWorkers = 4
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = 50 * time.Second
	}
	if cfg.Metrics == nil {
		cfg.Metrics = nopMetrics{}
	}
	if cfg.Uploads == nil {
		cfg.Uploads = NewUploads(cfg.MediaWorkers, int64(cfg.MediaWorkers)*handlers.MaxFileBytes)
	}
	t := &Telegram{
		log: logger.With("channel", "telegram"), cfg: cfg, engine: engine, store: st,
		// Long polls hold for PollTimeout; the client allows that plus a margin. Sends get their
		// own shorter deadline from the dispatcher.
		http:    &http.Client{Timeout: cfg.PollTimeout + 15*time.Second, Transport: telegramTransport()},
		limit:   newSendLimiter(cfg.GlobalRate),
		wake:    make(chan struct{}, 1),
		uploads: cfg.Uploads,
	}
	api, err := tgbot.New(cfg.Token,
		tgbot.WithServerURL(cfg.APIURL),
		tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(cfg.PollTimeout, wholeBodyClient{t.http}),
		tgbot.WithDefaultHandler(func(context.Context, *tgbot.Bot, *models.Update) {}),
		tgbot.WithErrorsHandler(func(err error) { t.log.Error("telegram library error", "error", t.scrub(err)) }),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", t.scrub(err))
	}
	t.api = api
	me, err := api.GetMe(ctx)
	if err != nil {
		if errors.Is(err, tgbot.ErrorUnauthorized) || errors.Is(err, tgbot.ErrorNotFound) {
			return nil, errors.New("TELEGRAM_BOT_TOKEN: Telegram refused the token")
		}
		return nil, fmt.Errorf("telegram getMe: %w", t.scrub(err))
	}
	t.username = me.Username
	err = st.Update(ctx, func(tx *store.Tx) error { return tx.SetChannelState(usernameKey, me.Username) })
	if err != nil {
		return nil, err
	}
	return t, nil
}

// telegramTransport keeps a connection open per concurrent send. net/http's default keeps two
// per host, so with the dispatcher sending to 26 chats at once most requests paid a new TCP and
// TLS handshake with api.telegram.org.
func telegramTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return tr
}

// wholeBodyBuffer is how much of a request body wholeBodyClient reads before sending.
const wholeBodyBuffer = 1 << 20

// wholeBodyClient sends each API request's body in one piece. go-telegram/bot streams its
// multipart bodies through an io.Pipe, which net/http sends chunked with a write for each
// form field: a fifth of a send's CPU on loopback, and a packet per field towards Telegram.
// Bodies up to wholeBodyBuffer (every text message) are read first and sent with their
// length; a larger upload sends the part already read and streams the rest.
type wholeBodyClient struct{ c *http.Client }

func (w wholeBodyClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody || req.GetBody != nil {
		return w.c.Do(req)
	}
	head, err := io.ReadAll(io.LimitReader(req.Body, wholeBodyBuffer+1))
	if err != nil {
		req.Body.Close()
		return nil, err
	}
	if len(head) <= wholeBodyBuffer {
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(head))
		req.ContentLength = int64(len(head))
		return w.c.Do(req)
	}
	req.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), req.Body), req.Body}
	return w.c.Do(req)
}

// Username is the bot's username, for deep links.
func (t *Telegram) Username() string { return t.username }

// scrub removes the token from an error's text: download URLs and some library errors contain it.
func (t *Telegram) scrub(err error) error {
	if err == nil || t.cfg.Token == "" || !strings.Contains(err.Error(), t.cfg.Token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), t.cfg.Token, "<token>"))
}

// Run receives and processes updates until ctx is done, then finishes the steps in flight.
func (t *Telegram) Run(ctx context.Context) error {
	t.setCommands(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { t.process(ctx) })
	if t.cfg.WebhookURL != "" {
		_, err := t.api.SetWebhook(ctx, &tgbot.SetWebhookParams{
			URL: t.cfg.WebhookURL, SecretToken: t.cfg.WebhookSecret,
			AllowedUpdates: []string{"message", "callback_query", "my_chat_member"},
		})
		if err != nil {
			t.recvHealth.fail("setWebhook")
			t.log.Error("setWebhook failed", "error", t.scrub(err))
		}
	} else {
		// A webhook left over from an earlier configuration would make getUpdates fail (409).
		// Pending updates are kept: they were never acknowledged.
		if _, err := t.api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{DropPendingUpdates: false}); err != nil {
			t.log.Error("deleteWebhook failed", "error", t.scrub(err))
		}
		wg.Go(func() { t.poll(ctx) })
	}
	wg.Wait()
	return nil
}

// poll drives getUpdates itself so that the offset confirming a batch is sent only after the
// batch is committed.
func (t *Telegram) poll(ctx context.Context) {
	var offset int64
	if v, err := t.store.ChannelState(ctx, offsetKey); err != nil {
		t.log.Error("read telegram offset failed", "error", err)
	} else if v != "" {
		offset, _ = strconv.ParseInt(v, 10, 64)
	}
	var backoff time.Duration
	for ctx.Err() == nil {
		if backoff > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
		}
		updates, err := t.getUpdates(ctx, offset)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			backoff = min(max(2*backoff, 500*time.Millisecond), 30*time.Second)
			t.recvHealth.fail("getUpdates")
			t.log.Error("getUpdates failed", "error", t.scrub(err), "retry_in", backoff)
			continue
		}
		backoff = 0
		t.recvHealth.ok()
		if len(updates) == 0 {
			continue
		}
		if t.beforeCommit != nil {
			t.beforeCommit()
		}
		next := offset
		msgs := make([]store.Received, 0, len(updates))
		for _, u := range updates {
			msgs = append(msgs, store.Received{MsgID: "u" + strconv.FormatInt(u.id, 10), Payload: u.raw})
			next = max(next, u.id+1)
		}
		n, err := t.store.ReceiveMessages(ctx, handlers.PlatformTelegram, msgs, offsetKey, strconv.FormatInt(next, 10))
		if err != nil {
			// Not committed, so not confirmed: the same batch comes again.
			t.log.Error("store updates failed", "error", err)
			backoff = time.Second
			continue
		}
		offset = next
		t.cfg.Metrics.Received(handlers.PlatformTelegram, len(updates), len(updates)-n)
		t.log.Debug("updates received", "count", len(updates), "new", n)
		t.poke()
	}
}

type rawUpdate struct {
	id  int64
	raw json.RawMessage
}

// getUpdates asks for the updates from offset on. Its multipart request is the library's wire
// format; the library exposes no getUpdates of its own.
func (t *Telegram) getUpdates(ctx context.Context, offset int64) ([]rawUpdate, error) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("offset", strconv.FormatInt(offset, 10))
	w.WriteField("timeout", strconv.Itoa(int(t.cfg.PollTimeout/time.Second)))
	w.WriteField("limit", "100")
	w.WriteField("allowed_updates", `["message","callback_query","my_chat_member"]`)
	w.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.cfg.APIURL+"/bot"+t.cfg.Token+"/getUpdates", &body)
	if err != nil {
		return nil, fmt.Errorf("getUpdates: %w", err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	res, err := t.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("getUpdates: %w", err)
	}
	defer res.Body.Close()
	var answer struct {
		OK          bool              `json:"ok"`
		Result      []json.RawMessage `json:"result"`
		ErrorCode   int               `json:"error_code"`
		Description string            `json:"description"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 64<<20)).Decode(&answer); err != nil {
		return nil, fmt.Errorf("getUpdates: decode: %w", err)
	}
	if !answer.OK {
		return nil, fmt.Errorf("getUpdates: %d %s", answer.ErrorCode, answer.Description)
	}
	out := make([]rawUpdate, 0, len(answer.Result))
	for _, raw := range answer.Result {
		var u struct {
			ID int64 `json:"update_id"`
		}
		if err := json.Unmarshal(raw, &u); err != nil {
			return nil, fmt.Errorf("getUpdates: update without id: %w", err)
		}
		out = append(out, rawUpdate{id: u.ID, raw: raw})
	}
	return out, nil
}

func (t *Telegram) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// WebhookHandler receives updates pushed by Telegram. A wrong secret token gets 401 and nothing
// is stored; a stored update gets 200 only after it is committed, so a crash before that makes
// Telegram deliver it again.
func (t *Telegram) WebhookHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if t.cfg.WebhookSecret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(t.cfg.WebhookSecret)) != 1 {
			t.log.Warn("webhook refused: wrong secret token")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		raw, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		var u struct {
			ID *int64 `json:"update_id"`
		}
		if err != nil || json.Unmarshal(raw, &u) != nil || u.ID == nil {
			http.Error(w, "bad update", http.StatusBadRequest)
			return
		}
		msg := store.Received{MsgID: "u" + strconv.FormatInt(*u.ID, 10), Payload: raw}
		n, err := t.store.ReceiveMessages(r.Context(), handlers.PlatformTelegram, []store.Received{msg}, "", "")
		if err != nil {
			t.log.Error("store webhook update failed", "error", err)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		t.recvHealth.ok()
		t.cfg.Metrics.Received(handlers.PlatformTelegram, 1, 1-n)
		t.poke()
		w.WriteHeader(http.StatusOK)
	})
}

// process runs stored updates: in arrival order within a chat, chats concurrently. Steps in
// flight when ctx ends are finished, not cut.
func (t *Telegram) process(ctx context.Context) {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		pending, err := t.store.PendingMessages(context.WithoutCancel(ctx), handlers.PlatformTelegram, 500)
		if err != nil {
			t.log.Error("read pending updates failed", "error", err)
		}
		if len(pending) > 0 && ctx.Err() == nil {
			if t.runBatch(context.WithoutCancel(ctx), pending) {
				continue
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.wake:
		case <-tick.C:
		}
	}
}

// runBatch processes a batch, one goroutine per chat (at most Workers at once), and reports
// whether every update was handled (false: retry later, after a pause).
func (t *Telegram) runBatch(ctx context.Context, pending []store.Received) bool {
	var order []string
	byChat := map[string][]store.Received{}
	for _, p := range pending {
		key := chatKeyOf(p.Payload)
		if _, ok := byChat[key]; !ok {
			order = append(order, key)
		}
		byChat[key] = append(byChat[key], p)
	}
	sem := make(chan struct{}, t.cfg.Workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := true
	for _, key := range order {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, p := range byChat[key] {
				if err := t.handleUpdate(ctx, p); err != nil {
					t.log.Error("telegram step failed; will retry", "update", p.MsgID, "error", t.scrub(err))
					mu.Lock()
					ok = false
					mu.Unlock()
					return // keep this chat's order: its later updates wait for this one
				}
			}
		})
	}
	wg.Wait()
	return ok
}

// chatKeyOf finds the chat an update belongs to, for ordering only. It decodes just the chat
// ids (an accessible or inaccessible message both carry "chat"), not the whole update: this
// runs for every update before its step, which decodes it in full.
func chatKeyOf(raw []byte) string {
	type chatOf struct {
		Chat struct {
			ID int64 `json:"id"`
		} `json:"chat"`
	}
	var u struct {
		Message       *chatOf `json:"message"`
		CallbackQuery *struct {
			Message *chatOf `json:"message"`
		} `json:"callback_query"`
		MyChatMember *chatOf `json:"my_chat_member"`
	}
	if json.Unmarshal(raw, &u) != nil {
		return ""
	}
	var c *chatOf
	switch {
	case u.Message != nil:
		c = u.Message
	case u.CallbackQuery != nil:
		c = u.CallbackQuery.Message
	case u.MyChatMember != nil:
		c = u.MyChatMember
	}
	if c == nil {
		return ""
	}
	return strconv.FormatInt(c.Chat.ID, 10)
}

// handleUpdate turns one stored update into an engine step.
func (t *Telegram) handleUpdate(ctx context.Context, p store.Received) error {
	var u models.Update
	if err := json.Unmarshal(p.Payload, &u); err != nil {
		t.log.Warn("undecodable update skipped", "update", p.MsgID)
		return t.skip(ctx, p.MsgID)
	}
	m, cq, file, ok := t.convert(&u)
	if !ok {
		return t.skip(ctx, p.MsgID)
	}
	if file != nil {
		// The file is held in memory from its download until the step is done: a slot first,
		// of the size the update announces (the largest when it announces none).
		size := file.size
		if size <= 0 || size > handlers.MaxFileBytes {
			size = handlers.MaxFileBytes
		}
		slot, err := t.uploads.Acquire(ctx, size)
		if err != nil {
			return err
		}
		defer slot.Release()
		f := t.fetch(ctx, *file)
		slot.Shrink(int64(len(f.Data)))
		m.Files = []handlers.File{f}
	}
	m.MsgID = p.MsgID
	res, err := t.engine.Handle(ctx, m)
	if err != nil {
		return err
	}
	if cq != nil {
		t.answerPress(ctx, cq, res.Duplicate)
	}
	return nil
}

// skip marks an update processed that needs no step (an edit, a service message).
func (t *Telegram) skip(ctx context.Context, msgID string) error {
	return t.store.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.ClaimMessage(handlers.PlatformTelegram, msgID)
		return err
	})
}

// fileRef is a file an update carries, fetched before its step.
type fileRef struct {
	id, name string
	size     int64
}

// convert builds the engine's message from an update, with the file it carries (nil: none)
// still to fetch. It returns false for updates that need no step.
func (t *Telegram) convert(u *models.Update) (handlers.Message, *models.CallbackQuery, *fileRef, bool) {
	m := handlers.Message{Platform: handlers.PlatformTelegram}
	switch {
	case u.CallbackQuery != nil:
		cq := u.CallbackQuery
		var chat *models.Chat
		switch {
		case cq.Message.Message != nil:
			chat = &cq.Message.Message.Chat
		case cq.Message.InaccessibleMessage != nil:
			chat = &cq.Message.InaccessibleMessage.Chat
		default:
			return m, nil, nil, false
		}
		m.ChatID = strconv.FormatInt(chat.ID, 10)
		m.Group = chat.Type != models.ChatTypePrivate
		m.Data = cq.Data
		m.Lang = cq.From.LanguageCode
		if cq.Message.Message != nil {
			m.EditRef = strconv.Itoa(cq.Message.Message.ID)
		}
		return m, cq, nil, true
	case u.Message != nil:
		msg := u.Message
		m.ChatID = strconv.FormatInt(msg.Chat.ID, 10)
		m.Group = msg.Chat.Type != models.ChatTypePrivate
		if msg.From != nil {
			m.Lang = msg.From.LanguageCode
		}
		m.Text = msg.Text
		if m.Text == "" {
			m.Text = msg.Caption
		}
		if m.Group {
			// In groups a command addressed to another bot is not ours.
			if cmd, _, _ := strings.Cut(strings.Fields(m.Text + " x")[0], " "); strings.Contains(cmd, "@") &&
				!strings.EqualFold(cmd[strings.Index(cmd, "@")+1:], t.username) {
				return m, nil, nil, false
			}
			return m, nil, nil, true // files in groups are not fetched: the bot never takes reports there
		}
		// Every kind of file is fetched and handed to the engine, which keeps or refuses it by
		// its content, whatever Telegram calls it: a voice message or a round video gets the
		// same polite refusal as a video file, not silence.
		var file *fileRef
		switch {
		case len(msg.Photo) > 0:
			p := msg.Photo[len(msg.Photo)-1] // the largest size
			file = &fileRef{p.FileID, "photo.jpg", int64(p.FileSize)}
		case msg.Document != nil:
			file = &fileRef{msg.Document.FileID, msg.Document.FileName, msg.Document.FileSize}
		case msg.Video != nil:
			file = &fileRef{msg.Video.FileID, msg.Video.FileName, msg.Video.FileSize}
		case msg.VideoNote != nil:
			file = &fileRef{msg.VideoNote.FileID, "video.mp4", int64(msg.VideoNote.FileSize)}
		case msg.Voice != nil:
			file = &fileRef{msg.Voice.FileID, "voice.ogg", msg.Voice.FileSize}
		case msg.Audio != nil:
			file = &fileRef{msg.Audio.FileID, msg.Audio.FileName, msg.Audio.FileSize}
		case msg.Animation != nil:
			file = &fileRef{msg.Animation.FileID, msg.Animation.FileName, msg.Animation.FileSize}
		}
		if m.Text == "" && file == nil {
			return m, nil, nil, false // stickers, locations and the like: nothing to do
		}
		return m, nil, file, true
	case u.MyChatMember != nil:
		return m, nil, nil, false
	}
	return m, nil, nil, false
}

// fetch downloads a file (getFile, then the file path). A file over the limit is not
// downloaded: the engine answers about its size. A failed download yields no data, which the
// engine refuses as unreadable.
func (t *Telegram) fetch(ctx context.Context, ref fileRef) handlers.File {
	f := handlers.File{Name: ref.name, Size: ref.size}
	if ref.size > handlers.MaxFileBytes {
		return f
	}
	info, err := t.api.GetFile(ctx, &tgbot.GetFileParams{FileID: ref.id})
	if err != nil {
		t.log.Error("getFile failed", "error", t.scrub(err))
		return f
	}
	if info.FileSize > handlers.MaxFileBytes {
		f.Size = info.FileSize
		return f
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.api.FileDownloadLink(info), nil)
	if err != nil {
		t.log.Error("file download failed", "error", t.scrub(err))
		return f
	}
	res, err := t.http.Do(req)
	if err != nil {
		t.log.Error("file download failed", "error", t.scrub(err))
		return f
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.log.Error("file download failed", "status", res.StatusCode)
		return f
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, handlers.MaxFileBytes+1))
	if err != nil {
		t.log.Error("file download failed", "error", t.scrub(err))
		return f
	}
	f.Data, f.Size = data, int64(len(data))
	return f
}

// answerPress acknowledges a button press: Telegram shows a spinner on the button until it is
// answered. The step's answer itself replaces the pressed question (see Send).
func (t *Telegram) answerPress(ctx context.Context, cq *models.CallbackQuery, duplicate bool) {
	if _, err := t.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: cq.ID}); err != nil {
		t.log.Warn("answerCallbackQuery failed", "error", t.scrub(err))
	}
}

// setCommands registers the command menu in Chinese (the default) and English.
func (t *Telegram) setCommands(ctx context.Context) {
	for _, lang := range []string{handlers.LangZH, handlers.LangEN} {
		var cmds []models.BotCommand
		for _, c := range handlers.Commands {
			cmds = append(cmds, models.BotCommand{Command: c, Description: handlers.T(lang, "cmd."+c)})
		}
		code := ""
		if lang == handlers.LangEN {
			code = "en"
		}
		if _, err := t.api.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: cmds, LanguageCode: code}); err != nil {
			t.log.Warn("setMyCommands failed", "lang", lang, "error", t.scrub(err))
		}
	}
}
