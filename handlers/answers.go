package handlers

import (
	"errors"
	"unicode/utf8"

	"xuncha/store"
)

// settled sorts the error of a store call for which one failure, want, is an answer rather
// than an error: a record gone since its button was sent (store.ErrNotFound), a clock already
// paused, a meeting already handed over. On want it calls answer and returns ok false with no
// error; on any other error ok is false and the error is returned; with none ok is true.
// Callers read:
//
//	if ok, err := settled(err, store.ErrNotFound, answer); !ok {
//		return err
//	}
func settled(err, want error, answer func()) (ok bool, _ error) {
	if errors.Is(err, want) {
		answer()
		return false, nil
	}
	return err == nil, err
}

// proceed is settled for a turn: on want the sender is told the text of key.
func (t *turn) proceed(err, want error, key string) (ok bool, _ error) {
	return settled(err, want, func() { t.say(t.tr(key)) })
}

// found is proceed for a lookup: a record that is gone is answered with key.
func (t *turn) found(err error, key string) (ok bool, _ error) {
	return t.proceed(err, store.ErrNotFound, key)
}

// reasonGiven takes a reason or answer an official typed. Under four characters it is refused
// and the question stays open (ok false); otherwise it is cut to max characters and the step
// ends.
func (t *turn) reasonGiven(text string, max int) (_ string, ok bool) {
	if utf8.RuneCountInString(text) < 4 {
		t.say(t.tr("lg.reveal.short"))
		return "", false
	}
	t.reset()
	return truncate(text, max), true
}

// sayCancel says text with rows of buttons and, under them, the button that cancels the question.
func (t *turn) sayCancel(text string, rows ...[]store.Button) {
	t.say(text, append(rows, []store.Button{t.btn("cancel", "x")})...)
}

// stalePress answers a button pressed on an old message, whose question is no longer the one
// open, and reports whether the message was such a press.
func (t *turn) stalePress() bool {
	if t.msg.Data == "" {
		return false
	}
	t.say(t.tr("button.expired"))
	return true
}
