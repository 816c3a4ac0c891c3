package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"xuncha/handlers"
	"xuncha/outbox"
	"xuncha/store"
)

// quotaPause is how long all sends wait after 45009 (api freq out of limit). WeChat does not
// say how long; a minute keeps the retries from using up what is left of the day's quota.
const quotaPause = time.Minute

// Send delivers one outbox message to a WeChat user: as customer-service messages while the
// user's window is open (tracked per chat: 5 messages within 48 hours of their last message),
// otherwise as the configured template message. A message that neither may carry is refused as
// undeliverable: logged at error level, counted in the outbox statistics and reported to the
// administrators, never dropped silently.
func (w *WeChat) Send(ctx context.Context, openid string, msg store.OutMessage) error {
	if err := w.awaitPassive(ctx, openid); err != nil {
		return err
	}
	_, lang, err := w.store.WeChatMenu(ctx, openid)
	if err != nil {
		return err
	}
	if lang == "" {
		lang = w.cfg.DefaultLang
	}
	text, menu := renderWeChat(lang, msg)
	parts := splitBytes(text, maxWeChatText)
	for i, part := range parts {
		open, err := w.store.ReserveWeChatSend(ctx, openid)
		if err != nil {
			return err
		}
		if !open {
			return w.sendTemplate(ctx, openid, lang, strings.Join(parts[i:], ""), i > 0)
		}
		if i == len(parts)-1 && len(menu) > 0 {
			// Kept before the send: the user may answer before the send returns.
			if err := w.store.Update(ctx, func(tx *store.Tx) error { return tx.SaveWeChatMenu(openid, menu) }); err != nil {
				return err
			}
		}
		err = w.api.SendText(ctx, openid, part)
		if err == nil {
			continue
		}
		var ae *APIError
		if errors.As(err, &ae) {
			if ae.Code == errWindowClosed || ae.Code == errWindowUsed {
				// Our count and WeChat's disagree (a send from elsewhere, a clock): WeChat wins.
				if err := w.store.CloseWeChatWindow(ctx, openid); err != nil {
					return err
				}
				return w.sendTemplate(ctx, openid, lang, strings.Join(parts[i:], ""), i > 0)
			}
			if serr, ok := sendError(ae, err); ok {
				return serr
			}
			return &outbox.SendError{Permanent: true, Err: err}
		}
		return outbox.TransportError(err, i > 0)
	}
	return nil
}

// sendTemplate sends text as the notice template. The text is mapped onto the fields of the
// two template styles WeChat has (a template ignores the fields it does not have):
//
//	classic:   first (a fixed heading), keyword1 (the text, cut to 180 characters),
//	           keyword2 (the time), remark (how to read the whole message)
//	new-style: thing1 (the text, cut to 20 characters), time2 (the time)
//
// The whole text is available once the user writes to the account, which reopens the window.
func (w *WeChat) sendTemplate(ctx context.Context, openid, lang, text string, partlySent bool) error {
	if w.cfg.TemplateNotice == "" {
		return w.undeliverable(ctx, openid, "wechat.undeliverable.notemplate", errors.New("window closed and WECHAT_TEMPLATE_NOTICE is not set"))
	}
	now := w.now().In(w.cfg.Location).Format("2006-01-02 15:04")
	oneLine := strings.Join(strings.Fields(text), " ")
	err := w.api.SendTemplate(ctx, openid, w.cfg.TemplateNotice, map[string]string{
		"first":    handlers.T(lang, "wechat.template.first"),
		"keyword1": cutRunes(oneLine, 180),
		"keyword2": now,
		"remark":   handlers.T(lang, "wechat.template.remark"),
		"thing1":   cutRunes(oneLine, 20),
		"time2":    now,
	})
	if err == nil {
		return nil
	}
	var ae *APIError
	if errors.As(err, &ae) {
		if serr, ok := sendError(ae, err); ok {
			return serr
		}
		return w.undeliverable(ctx, openid, "wechat.undeliverable.refused", err)
	}
	return outbox.TransportError(err, partlySent)
}

// sendError is what the outbox is told of the API errors every kind of send meets alike (err
// is ae's wrapper); false for the others, which each send answers its own way.
func sendError(ae *APIError, err error) (error, bool) {
	switch ae.Code {
	case errUnfollowed:
		return &outbox.SendError{Unreachable: true, Err: err}, true
	case errQuota:
		return &outbox.SendError{RetryAfter: quotaPause, Err: err}, true
	case errSystemBusy:
		return err, true
	}
	return nil, false
}

// undeliverable reports a message no allowed means can carry and refuses it for good. The
// administrators get a notice (once a day per recipient chat) that says what failed but not to
// whom or what: the recipient may be an anonymous reporter.
func (w *WeChat) undeliverable(ctx context.Context, openid, reasonKey string, cause error) error {
	w.log.Error("wechat message undeliverable", "reason", reasonKey, "error", cause)
	chatID, err := w.store.FindChat(ctx, handlers.PlatformWeChat, openid)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		w.log.Error("notify admins of undeliverable message failed", "error", err)
	}
	var notified []int64
	day := w.now().In(w.cfg.Location).Format("20060102")
	err = w.store.Update(ctx, func(tx *store.Tx) error {
		notified = nil
		admins, err := tx.ChatsOfRoles(0, store.RoleAdmin)
		if err != nil {
			return err
		}
		for _, c := range admins {
			if c == chatID {
				continue // the notice would fail the same way
			}
			lang, err := tx.ChatLang(c)
			if err != nil {
				return err
			}
			text := handlers.T(lang, "wechat.undeliverable", handlers.T(lang, reasonKey))
			if _, err := tx.Enqueue(c, store.OutMessage{Text: text}, fmt.Sprintf("wechat:undeliverable:%d:%d:%s", chatID, c, day)); err != nil {
				return err
			}
			notified = append(notified, c)
		}
		return nil
	})
	if err != nil {
		w.log.Error("notify admins of undeliverable message failed", "error", err)
	}
	for _, c := range notified {
		w.queued(c)
	}
	return &outbox.SendError{Permanent: true, Err: fmt.Errorf("undeliverable: %w", cause)}
}

// splitBytes cuts text into parts of at most limit bytes, at line breaks where it can, never
// inside a character.
func splitBytes(text string, limit int) []string {
	var parts []string
	for len(text) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		if i := strings.LastIndex(text[:cut], "\n"); i > cut/2 {
			cut = i + 1
		}
		parts = append(parts, text[:cut])
		text = text[cut:]
	}
	return append(parts, text)
}

// cutRunes shortens s to n characters, marking the cut.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
