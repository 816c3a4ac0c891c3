package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/time/rate"

	"xuncha/outbox"
	"xuncha/store"
)

// maxTelegramText is Telegram's limit on a message, counted in UTF-16 code units.
const maxTelegramText = 4096

// sendLimiter keeps to Telegram's published limits: about 1 message a second to one chat,
// 20 a minute to one group, and a global rate (25/s by default, under the ~30/s guideline).
// After a 429 every send waits out retry_after: the limit is about the whole bot.
//
// A chat's interval is counted from the end of its previous send, not from its start:
// Telegram counts a message when it has it, and a request can take long to arrive (a
// document's upload, a busy machine). Spacing the starts alone let two messages land 0.8 s
// apart after a slow first request, which Telegram may answer with 429 (and the end-to-end
// test's fake did, about one run in four). One send to a chat at a time also keeps its order.
//
// The global rate is kept twice. A token bucket spaces the sends evenly; but it spaces the
// moments they are let go, and Telegram counts the moments they arrive. On a busy machine a
// send let go on time can reach the wire late (its goroutine not scheduled, a stall of the
// process), and those let go after it catch up: the late ones and the punctual ones then land
// in the same second, more than the limit (4 × 429 in BenchmarkBroadcast with the other core
// busy). sendWindow is the hard limit: a message arrives somewhere between the start of its
// request and its answer, so a send may start only while fewer than the limit's number of sends
// are in flight or were answered within the last second. A slow machine then sends slower,
// never over.
type sendLimiter struct {
	global *rate.Limiter
	window *sendWindow

	mu          sync.Mutex
	chats       map[int64]*chatLimit
	pausedUntil time.Time
}

// chatLimit lets one send to a chat go at a time, every interval after the last one ended.
type chatLimit struct {
	turn     chan struct{} // holds a token while a send to the chat is under way
	interval time.Duration
	next     time.Time // earliest start of the next send; written only by the turn's holder
}

func newSendLimiter(perSecond float64) *sendLimiter {
	return &sendLimiter{
		global: rate.NewLimiter(rate.Limit(perSecond), 1),
		window: &sendWindow{max: max(1, int(perSecond)), changed: make(chan struct{})},
		chats:  map[int64]*chatLimit{},
	}
}

// sendWindow lets at most max sends be in flight or answered within the last second.
type sendWindow struct {
	max int

	mu       sync.Mutex
	inflight int
	ended    []time.Time   // when the sends answered within the last second were answered, oldest first
	changed  chan struct{} // closed when a send in flight ends, for those waiting on it
}

// acquire waits for room in the window. The send must call end when its answer came (or it
// failed), or cancel when it did not go out after all.
func (w *sendWindow) acquire(ctx context.Context) error {
	for {
		w.mu.Lock()
		now := time.Now()
		i := 0
		for i < len(w.ended) && now.Sub(w.ended[i]) >= time.Second {
			i++
		}
		w.ended = w.ended[i:]
		if w.inflight+len(w.ended) < w.max {
			w.inflight++
			w.mu.Unlock()
			return nil
		}
		// Room comes a second after the oldest answer, or, with all of them in flight, a
		// second after the first of those ends.
		changed := w.changed
		var timer *time.Timer
		var expire <-chan time.Time
		if len(w.ended) > 0 {
			timer = time.NewTimer(time.Second - now.Sub(w.ended[0]))
			expire = timer.C
		}
		w.mu.Unlock()
		var err error
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-expire:
		case <-changed:
		}
		if timer != nil {
			timer.Stop()
		}
		if err != nil {
			return err
		}
	}
}

func (w *sendWindow) end() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inflight--
	w.ended = append(w.ended, time.Now())
	close(w.changed)
	w.changed = make(chan struct{})
}

func (w *sendWindow) cancel() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inflight--
	close(w.changed)
	w.changed = make(chan struct{})
}

// wait blocks until a message to chat may go out. The caller sends, then calls done (whatever
// the send's outcome) before anything else is sent to the chat.
func (l *sendLimiter) wait(ctx context.Context, chat int64) (done func(), err error) {
	l.mu.Lock()
	cl, ok := l.chats[chat]
	if !ok && len(l.chats) >= 10000 {
		// Forget chats that are idle and past their interval: they would allow a send anyway.
		now := time.Now()
		for id, c := range l.chats {
			select {
			case c.turn <- struct{}{}:
				if now.After(c.next) {
					delete(l.chats, id)
				}
				<-c.turn
			default:
			}
		}
	}
	if !ok {
		cl = &chatLimit{turn: make(chan struct{}, 1), interval: time.Second}
		if chat < 0 { // groups and channels have negative ids
			cl.interval = 3 * time.Second // 20 a minute
		}
		l.chats[chat] = cl
	}
	l.mu.Unlock()
	select {
	case cl.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release := func() { <-cl.turn }
	if d := time.Until(cl.next); d > 0 {
		timer := time.NewTimer(d)
		select {
		case <-ctx.Done():
			timer.Stop()
			release()
			return nil, ctx.Err()
		case <-timer.C:
		}
	}
	for {
		if err := l.global.Wait(ctx); err != nil {
			release()
			return nil, err
		}
		if err := l.window.acquire(ctx); err != nil {
			release()
			return nil, err
		}
		// A 429 may have come while this send waited its turn: check the pause last, just
		// before the request goes out, and queue again after it.
		l.mu.Lock()
		paused := time.Until(l.pausedUntil)
		l.mu.Unlock()
		if paused <= 0 {
			return func() {
				l.window.end()
				cl.next = time.Now().Add(cl.interval)
				release()
			}, nil
		}
		l.window.cancel()
		select {
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		case <-time.After(paused):
		}
	}
}

// pause stops every send for d.
func (l *sendLimiter) pause(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := time.Now().Add(d); until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
}

// inlineKeyboard is the reply_markup of our buttons. The library's own button type always
// serialises "copy_text":{"text":""} (a non-pointer struct with omitempty), which Telegram
// refuses with BUTTON_COPY_TEXT_INVALID; this type sends only what we use.
type inlineKeyboard struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

type inlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

// Send delivers one outbox message to a Telegram chat: texts over 4,096 UTF-16 units are split
// at line breaks, and the buttons go under the last part. Errors are classified for the
// dispatcher: 429 pauses all sends, 403 means the user blocked the bot, a timeout after the
// request went out means the outcome is unknown.
func (t *Telegram) Send(ctx context.Context, chatExternal string, msg store.OutMessage) error {
	err := t.send(ctx, chatExternal, msg)
	var se *outbox.SendError
	switch {
	case err == nil:
		t.sendHealth.ok()
	case errors.As(err, &se) && (se.Unreachable || se.RetryAfter > 0):
		// A blocked user or a 429 says Telegram answered: the channel works.
		t.sendHealth.ok()
	case errors.Is(err, tgbot.ErrorBadRequest):
		t.sendHealth.ok()
	case ctx.Err() == nil:
		t.sendHealth.fail("sendMessage")
	}
	return err
}

func (t *Telegram) send(ctx context.Context, chatExternal string, msg store.OutMessage) error {
	chat, err := strconv.ParseInt(chatExternal, 10, 64)
	if err != nil {
		return &outbox.SendError{Permanent: true, Err: fmt.Errorf("telegram chat id %w", err)}
	}
	if msg.File != nil {
		return t.sendFile(ctx, chat, msg)
	}
	parts := splitText(msg.Text, maxTelegramText)
	if id, err := strconv.Atoi(msg.Edit); err == nil && len(parts) == 1 {
		done, err := t.limit.wait(ctx, chat)
		if err != nil {
			return err
		}
		p := &tgbot.EditMessageTextParams{ChatID: chat, MessageID: id, Text: msg.Text}
		if len(msg.Buttons) > 0 {
			p.ReplyMarkup = keyboard(msg.Buttons)
		}
		_, err = t.api.EditMessageText(ctx, p)
		done()
		switch {
		case err == nil, err != nil && strings.Contains(err.Error(), "message is not modified"):
			return nil
		case !errors.Is(err, tgbot.ErrorBadRequest):
			return t.classify(err, false)
		}
		// The message can no longer be edited (too old, deleted): send the answer as new.
	}
	for i, part := range parts {
		done, err := t.limit.wait(ctx, chat)
		if err != nil {
			return err
		}
		p := &tgbot.SendMessageParams{ChatID: chat, Text: part}
		if i == len(parts)-1 && len(msg.Buttons) > 0 {
			p.ReplyMarkup = keyboard(msg.Buttons)
		}
		_, err = t.api.SendMessage(ctx, p)
		done()
		if err != nil {
			return t.classify(err, i > 0)
		}
	}
	return nil
}

// keyboard builds the reply_markup of a message's buttons.
func keyboard(rows [][]store.Button) inlineKeyboard {
	kb := inlineKeyboard{}
	for _, row := range rows {
		var r []inlineButton
		for _, b := range row {
			if len(b.Data) == 0 || len(b.Data) > 64 {
				continue // Telegram refuses callback data over 64 bytes; the engine never makes such
			}
			r = append(r, inlineButton{Text: b.Text, CallbackData: b.Data})
		}
		if len(r) > 0 {
			kb.InlineKeyboard = append(kb.InlineKeyboard, r)
		}
	}
	return kb
}

func (t *Telegram) classify(err error, partlySent bool) error {
	var tooMany *tgbot.TooManyRequestsError
	err = t.scrub(err)
	switch {
	case errors.As(err, &tooMany):
		d := time.Duration(max(tooMany.RetryAfter, 1)) * time.Second
		t.limit.pause(d)
		return &outbox.SendError{RetryAfter: d, Err: err}
	case errors.Is(err, tgbot.ErrorForbidden):
		return &outbox.SendError{Unreachable: true, Err: err}
	case errors.Is(err, tgbot.ErrorBadRequest), errors.Is(err, tgbot.ErrorUnauthorized), errors.Is(err, tgbot.ErrorNotFound):
		return &outbox.SendError{Permanent: true, Err: err}
	}
	return outbox.TransportError(err, partlySent)
}

// splitText cuts text into parts of at most limit UTF-16 units, preferring line breaks.
func splitText(text string, limit int) []string {
	var parts []string
	for utf16Len(text) > limit {
		cut := cutUTF16(text, limit)
		if i := strings.LastIndex(text[:cut], "\n"); i > cut/2 {
			cut = i + 1
		}
		parts = append(parts, text[:cut])
		text = text[cut:]
	}
	return append(parts, text)
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// cutUTF16 returns the byte index where s exceeds limit UTF-16 units.
func cutUTF16(s string, limit int) int {
	n := 0
	for i, r := range s {
		n += utf16.RuneLen(r)
		if n > limit {
			return i
		}
	}
	return len(s)
}

// maxCaption is Telegram's limit on a document's caption, in UTF-16 code units.
const maxCaption = 1024

// sendFile sends a stored file as a document, with the text as its caption when it fits and as
// messages after it otherwise.
func (t *Telegram) sendFile(ctx context.Context, chat int64, msg store.OutMessage) error {
	data, _, err := t.store.Blob(ctx, msg.File.SHA256)
	if err != nil {
		return fmt.Errorf("telegram file: %w", err)
	}
	done, err := t.limit.wait(ctx, chat)
	if err != nil {
		return err
	}
	p := &tgbot.SendDocumentParams{ChatID: chat, Document: &models.InputFileUpload{Filename: msg.File.Name, Data: bytes.NewReader(data)}}
	rest := msg
	rest.File = nil
	if utf16Len(msg.Text) <= maxCaption {
		p.Caption = msg.Text
		if len(msg.Buttons) > 0 {
			p.ReplyMarkup = keyboard(msg.Buttons)
		}
		rest.Text = ""
	}
	_, err = t.api.SendDocument(ctx, p)
	done() // before the rest of the text, which waits its own turn
	if err != nil {
		return t.classify(err, false)
	}
	if rest.Text == "" {
		return nil
	}
	if err := t.Send(ctx, strconv.FormatInt(chat, 10), rest); err != nil {
		// The document went out; resending it would make a copy.
		return t.classify(err, true)
	}
	return nil
}
