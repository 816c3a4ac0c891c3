package handlers

import (
	"time"

	"golang.org/x/time/rate"

	"xuncha/store"
)

// Code kinds, for the guess budget and the audit log.
const (
	guessQuery      = "query"
	guessInvitation = "invitation"
)

// The global guess budget. The per-chat limit (codeMaxFailures per codeWindow) stops one chat,
// but a chat costs nothing: fresh web-chat cookies checked 908 wrong query codes a second. So
// every wrong guess, from any chat on any channel, is also charged to a budget per code kind,
// and once it is spent a guess is not checked at all.
//
// The default keeps guessing hopeless. A query code is 16 random digits (10^16 codes); with
// 100,000 live codes a guess hits one with probability 10^-11, so an attacker needs 10^11
// guesses on average: at 60 wrong guesses a minute that is 1.7·10^9 minutes, about 3,200 years.
// The century stays out of reach up to 1,900 a minute (10^11 / (100 years · 525,960 min)),
// the most the configuration accepts. An invitation code is 80 random bits (1.2·10^24): even
// 100,000 live ones would take 10^11 years at 60 a minute. The burst only adds a one-off few.
//
// Only wrong guesses are charged: a right code costs nothing. While an attack keeps the budget
// spent, the chat that filed a report (its sealed link) and staff chats are still answered for
// query codes; anyone else holding a code (a reporter who kept no link, a new device) is asked
// to try again in a few minutes, and shares with the attacker the guesses the budget lets
// through. The budget lives in the memory of one process: a restart refills it, and two
// processes on one database have a budget each.
const (
	DefaultGuessPerMinute = 60
	DefaultGuessBurst     = 30
	// MaxGuessPerMinute is the rate at which an attacker expects to need a century to hit one
	// of 100,000 live query codes.
	MaxGuessPerMinute = 1900
)

// GuessBudget configures the global budget of wrong guesses, for each code kind.
type GuessBudget struct {
	PerMinute float64 // 0: DefaultGuessPerMinute
	Burst     int     // 0: DefaultGuessBurst
}

func newGuessLimiters(b GuessBudget) map[string]*rate.Limiter {
	if b.PerMinute <= 0 {
		b.PerMinute = DefaultGuessPerMinute
	}
	if b.Burst <= 0 {
		b.Burst = DefaultGuessBurst
	}
	// A budget per kind, so that a flood of query-code guesses does not stop a new official
	// from binding an invitation.
	return map[string]*rate.Limiter{
		guessQuery:      rate.NewLimiter(rate.Limit(b.PerMinute/60), b.Burst),
		guessInvitation: rate.NewLimiter(rate.Limit(b.PerMinute/60), b.Burst),
	}
}

// guessOpen reports whether the budget of a kind has a guess left. It takes nothing: only a
// wrong guess is charged (guessWrong). Steps run one at a time inside the write transaction, so
// no other step spends the guess between the check and the charge. The time is the step's, so
// that tests can move it.
func (e *Engine) guessOpen(kind string, now time.Time) bool {
	return e.guess[kind].TokensAt(now) >= 1
}

// guessWrong charges a wrong guess to the budget of its kind.
func (e *Engine) guessWrong(kind string, now time.Time) {
	e.guess[kind].AllowN(now, 1)
}

// guessBusy answers a guess the spent budget did not let through, without checking it.
func (t *turn) guessBusy(kind string) error {
	if err := t.auditRefusal("guess.limited", "", kind); err != nil {
		return err
	}
	t.sayCancel(t.tr("guess.busy"))
	return nil
}

// codeFailed records a wrong query or invitation code (kind "query" or "invitation") and
// charges it to the global budget. The failure that reaches the per-chat limit is also
// audit-logged (code.limited): guessing codes is an attempt on reports or roles. The entry
// names no chat.
func (t *turn) codeFailed(kind string) error {
	t.e.guessWrong(kind, t.tx.Now())
	if err := t.tx.PruneCodeFailures(t.tx.Now().Add(-codeWindow)); err != nil {
		return err
	}
	if err := t.tx.RecordCodeFailure(t.chat.ID); err != nil {
		return err
	}
	n, err := t.tx.CountCodeFailures(t.chat.ID, t.tx.Now().Add(-codeWindow))
	if err != nil {
		return err
	}
	if n != codeMaxFailures {
		return nil
	}
	return t.auditRefusal("code.limited", "", kind)
}

// auditRefusal audit-logs a refusal, counted into a summary under a flood (store.AuditRefusal).
func (t *turn) auditRefusal(action, object, detail string) error {
	if err := t.tx.AuditRefusal(t.personID(), t.chat.Platform, action, object, detail); err != nil {
		return err
	}
	t.e.refusalWindowOpened(t.tx.Now())
	return nil
}

// refusalWindowOpened notes that a window of refusal counts closes by now+RefusalWindow, so that
// its summary is written then even if no refusal follows.
func (e *Engine) refusalWindowOpened(now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if at := now.Add(store.RefusalWindow); e.flushAt.IsZero() || at.Before(e.flushAt) {
		e.flushAt = at
	}
}

// flushRefusals writes the summaries of closed refusal windows, at the first step after one
// closes. flushAt starts at the zero time, so the first step after a restart writes what the
// last run left.
func (e *Engine) flushRefusals(tx *store.Tx) error {
	now := tx.Now()
	e.mu.Lock()
	due := !e.flushChecked || !now.Before(e.flushAt) && !e.flushAt.IsZero()
	e.mu.Unlock()
	if !due {
		return nil
	}
	next, err := tx.FlushRefusalSummaries()
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.flushChecked, e.flushAt = true, next
	return nil
}

// blockedStep answers a chat an official blocked from a clue (ledger.go blockReporter). Its
// messages change nothing: no report, no supplement, no answer to a question, no subscription.
// It may still follow its reports by query code, read only and under the same limits: a block
// is for harassment, and whoever made a report keeps the right to learn what became of it.
// The answer is neutral and says nothing about why or by whom.
func (t *turn) blockedStep() error {
	m := t.msg
	text := m.Data == "" && len(m.Files) == 0
	cmd, arg, isCmd := parseCommand(m.Text)
	switch {
	case text && isCmd && (cmd == "query" || cmd == "lang"):
		return t.command(cmd, arg)
	case m.Data == "x" || text && isCmd && cmd == "cancel":
		return t.command("cancel", "")
	case text && !isCmd && t.st.Flow == flowQuery && t.st.Step == "code":
		return t.queryStep()
	case text && !isCmd:
		if code, ok := store.NormalizeQueryCode(m.Text); ok {
			return t.lookup(code)
		}
		if keywordCommand(m.Text) == "query" {
			return t.command("query", "")
		}
	}
	if err := t.auditRefusal("chat.blocked", "", ""); err != nil {
		return err
	}
	t.say(t.tr("blocked"))
	return nil
}
