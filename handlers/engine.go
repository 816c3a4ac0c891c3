// Package handlers is the conversation engine: platform-neutral messages in, outgoing messages
// out. Every step runs in one SQLite transaction that records the platform message id, updates
// the chat's conversation state and queues every outgoing message in the outbox, so a step
// happens entirely or not at all, and a message seen twice has no second effect.
package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"xuncha/handlers/media"
	"xuncha/store"
)

// Platform names.
const (
	PlatformWeb      = "web"
	PlatformTelegram = "telegram"
	PlatformWeChat   = "wechat"
)

// Limits on what one message may carry. MaxTextRunes is also the web chat's box: its maxlength
// and counter, so that the page never lets a resident type what the engine refuses.
const (
	MaxTextRunes    = 4096
	MaxAttachments  = 10
	MaxFileBytes    = 20 << 20
	floodBurst      = 20
	floodRefill     = 2 * time.Second // one message every 2 s once the burst is spent
	codeWindow      = 15 * time.Minute
	codeMaxFailures = 5
)

// Staff (a chat bound to a person with a role) work through the ledger in quick steps —
// /ledger, /clue N, a button, the next clue — and a scripted triage lost 17 of 24 steps to the
// residents' flood limit. Theirs only stops a runaway client or a stolen phone.
const (
	staffFloodBurst  = 200
	staffFloodRefill = 100 * time.Millisecond
)

// Message is one incoming message from any platform.
type Message struct {
	Platform string
	ChatID   string // the platform's chat id; never logged, stored only sealed
	MsgID    string // unique per platform; a second message with the same id changes nothing
	Text     string
	Data     string // the data of a pressed button
	Files    []File
	Lang     string // the platform's language hint, used for a new chat
	Group    bool   // a group chat: only commands are answered, and no report is shown
	// Passive: the platform takes the first answer to the sender in its own HTTP response
	// (WeChat). That answer is stored as delivered, and a retry of the same message gets it again.
	Passive bool
	// EditRef is the platform's id of the message whose button was pressed. The step's first
	// answer replaces that message where the platform can edit messages (Telegram), so a
	// question and its buttons give way to the next question instead of piling up.
	EditRef string
	// Prepare and Record, when set, run inside the step's transaction, before and after the
	// step, so that a platform's own records of the message commit with the step or not at
	// all. WeChat reads the numbered choices the chat was last shown in Prepare (a reply "2"
	// is the second button) and in Record opens its reply window and keeps the choices the
	// answer shows: one commit before a passive reply instead of three.
	Prepare func(tx *store.Tx, m *Message) error
	Record  func(tx *store.Tx, res *Result) error
}

// File is an attachment as the platform delivered it.
type File struct {
	Name string
	Size int64 // as announced by the platform; Data may be nil when it is over the limit
	Data []byte
}

// Outgoing is a message the step queued.
type Outgoing struct {
	OutboxID int64
	ChatID   int64 // the recipient's chat (internal id)
	ToSender bool
	// Delivered: the platform answers this one itself (a passive reply); it is not queued.
	Delivered bool
	store.OutMessage
}

// Result is what a step did.
type Result struct {
	ChatID    int64 // the sender's chat (internal id)
	Duplicate bool  // the message id was seen before; nothing changed
	// Bound: the step gave the chat a role (an invitation was redeemed). The web chat then
	// gives the browser a new chat id in the same transaction.
	Bound bool
	// Refused: the message was turned away unrecorded (too long, too many or too big files, or
	// sent too fast) and the answer asks to send it again; the web chat keeps the typed text.
	Refused bool
	Out     []Outgoing
}

// Store is what the engine needs from the database.
type Store interface {
	Update(ctx context.Context, fn func(*store.Tx) error) error
}

// Scrubber decides by content whether an uploaded file is kept, and returns it without
// identifying metadata, with its MIME type. An error wrapping media.ErrMalformed means the
// file is damaged; any other error, that it is not of a kind that is kept (media.Scrub).
type Scrubber func(data []byte) ([]byte, string, error)

// Config holds the engine's settings.
type Config struct {
	DefaultLang string
	Categories  []Category
	Location    *time.Location // for dates shown to users
	Scrub       Scrubber       // nil: media.Scrub
	Ledger      *Ledger        // dispositions, forms, units; nil: the built-in ledger.json
	Calendar    Calendar       // working days for deadlines; nil: plain weekdays in Location
	Metrics     Metrics        // counts steps; nil: nothing counted
	// Office is the issuing office printed under the letters (XUNCHA_OFFICE_NAME); "" is the
	// catalog's 县委巡察工作领导小组办公室.
	Office string

	// Guess is the global budget of wrong query and invitation codes (abuse.go).
	Guess GuessBudget
}

// Engine runs conversations. It is safe for concurrent use: state lives in SQLite, and the
// write transaction serialises steps.
type Engine struct {
	log   *slog.Logger
	store Store
	cfg   Config

	mu     sync.Mutex
	flood  map[string]*floodState // keyed by platform and chat; memory only, a restart forgives
	notify []func(chatID int64)
	guess  map[string]*rate.Limiter // by code kind; memory only (abuse.go)
	// flushAt is when the earliest open window of refusal counts closes (zero: none open);
	// flushChecked is false until the first step looked for windows a previous run left.
	flushAt      time.Time
	flushChecked bool
	deskURL      string // the desk's public address (desk.go)
}

type floodState struct {
	lim    *rate.Limiter
	staff  bool // the chat's last step was a bound person's: the staff limit applies
	warned time.Time
}

// New returns an engine.
func New(logger *slog.Logger, st Store, cfg Config) *Engine {
	if cfg.DefaultLang == "" {
		cfg.DefaultLang = LangZH
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Ledger == nil {
		l, err := LoadLedger("")
		if err != nil {
			panic(err) // the embedded file is checked by the tests
		}
		cfg.Ledger = l
	}
	if cfg.Calendar == nil {
		cfg.Calendar = Weekdays{Location: cfg.Location}
	}
	if cfg.Metrics == nil {
		cfg.Metrics = nopMetrics{}
	}
	if cfg.Scrub == nil {
		cfg.Scrub = media.Scrub // never keep a file unchecked
	}
	return &Engine{log: logger, store: st, cfg: cfg, flood: map[string]*floodState{}, guess: newGuessLimiters(cfg.Guess)}
}

// OnQueued registers fn to be called with the recipient chat of every message a step queued,
// after the step committed. Channels use it to deliver without polling.
func (e *Engine) OnQueued(fn func(chatID int64)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.notify = append(e.notify, fn)
}

// Handle runs one step for m. A panic inside the step is recovered: the step's transaction is
// rolled back, the message is marked processed so that it cannot crash the bot again, and the
// sender gets a polite apology.
func (e *Engine) Handle(ctx context.Context, m Message) (res Result, err error) {
	if m.Platform == "" || m.ChatID == "" || m.MsgID == "" {
		return Result{}, errors.New("handle: message without platform, chat or message id")
	}
	defer func() {
		result := StepOK
		if p := recover(); p != nil {
			e.log.Error("step panicked", "platform", m.Platform, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			res, err = e.apologize(ctx, m)
			result = StepPanic
		}
		switch {
		case result == StepPanic:
		case err != nil:
			result = StepError
		case res.Duplicate:
			result = StepDuplicate
		}
		e.cfg.Metrics.StepHandled(m.Platform, result)
	}()
	return e.handle(ctx, cleanInput(m))
}

// apologize marks a message processed and tells its sender that something went wrong.
func (e *Engine) apologize(ctx context.Context, m Message) (Result, error) {
	var res Result
	err := e.store.Update(ctx, func(tx *store.Tx) error {
		res = Result{}
		chat, err := tx.EnsureChat(m.Platform, m.ChatID, e.cfg.DefaultLang, m.Group)
		if err != nil {
			return err
		}
		res.ChatID = chat.ID
		first, err := tx.ClaimMessage(m.Platform, m.MsgID)
		if err != nil || !first {
			res.Duplicate = !first
			return err
		}
		msg := store.OutMessage{Text: T(chat.Lang, "error")}
		id, err := tx.Enqueue(chat.ID, msg, "")
		res.Out = []Outgoing{{OutboxID: id, ChatID: chat.ID, ToSender: true, OutMessage: msg}}
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("apologize: %w", err)
	}
	e.wakeAll(res)
	return res, nil
}

func (e *Engine) wakeAll(res Result) {
	e.mu.Lock()
	notify := e.notify
	e.mu.Unlock()
	for _, o := range res.Out {
		for _, fn := range notify {
			fn(o.ChatID)
		}
	}
}

func (e *Engine) handle(ctx context.Context, m Message) (Result, error) {
	// Text is stored verbatim, but it must be text: invalid UTF-8 would be refused by every
	// platform when echoed back in a summary.
	m.Text, m.Data = strings.ToValidUTF8(m.Text, "\uFFFD"), strings.ToValidUTF8(m.Data, "")
	flooded, warn := e.checkFlood(m)
	var res Result
	err := e.store.Update(ctx, func(tx *store.Tx) error {
		res = Result{}
		m := m
		if m.Prepare != nil {
			if err := m.Prepare(tx, &m); err != nil {
				return err
			}
		}
		if err := e.step(tx, m, flooded, warn, &res); err != nil {
			return err
		}
		if m.Record != nil {
			return m.Record(tx, &res)
		}
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("handle: %w", err)
	}
	e.wakeAll(res)
	return res, nil
}

// step is a step's work inside its transaction.
func (e *Engine) step(tx *store.Tx, m Message, flooded, warn bool, res *Result) error {
	lang := NormalizeLang(m.Lang)
	if lang == "" {
		lang = e.cfg.DefaultLang
	}
	chat, err := tx.EnsureChat(m.Platform, m.ChatID, lang, m.Group)
	if err != nil {
		return err
	}
	res.ChatID = chat.ID
	t := &turn{e: e, tx: tx, chat: chat, lang: chat.Lang, msg: m}
	if err := e.flushRefusals(tx); err != nil {
		return err
	}
	if flooded {
		// The message id is marked processed with no other effect: a flood is dropped, not
		// queued for later (a stored Telegram update would otherwise be retried forever).
		first, err := tx.ClaimMessage(m.Platform, m.MsgID)
		if err != nil || !first {
			res.Duplicate = !first
			return err
		}
		if warn {
			t.say(T(t.lang, "flood"))
		}
		t.refused = true
		return t.flush(res)
	}
	first, err := tx.ClaimMessage(m.Platform, m.MsgID)
	if err != nil {
		return err
	}
	if !first {
		res.Duplicate = true
		if m.Passive {
			reply, err := tx.InboxReply(m.Platform, m.MsgID)
			if err == nil {
				res.Out = []Outgoing{{ChatID: chat.ID, ToSender: true, Delivered: true, OutMessage: reply}}
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return nil
	}
	if err := t.run(); err != nil {
		return err
	}
	e.setStaff(m, t.person != nil && t.person.Role != "")
	return t.flush(res)
}

// checkFlood reports whether a chat sends faster than allowed, and whether to tell it so (once
// a minute at most, so the warning itself does not flood).
func (e *Engine) checkFlood(m Message) (flooded, warn bool) {
	key := m.Platform + "\x00" + m.ChatID
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.flood[key]
	if f == nil {
		if len(e.flood) > 100000 { // bound memory: forget everyone rather than grow without end
			clear(e.flood)
		}
		f = &floodState{lim: rate.NewLimiter(rate.Every(floodRefill), floodBurst)}
		e.flood[key] = f
	}
	if f.lim.Allow() {
		return false, false
	}
	now := time.Now()
	if now.Sub(f.warned) > time.Minute {
		f.warned = now
		return true, true
	}
	return true, false
}

// setStaff gives a chat the staff limit when its step was a bound person's, and the residents'
// limit again when it no longer is (a role withdrawn). A chat's first step after a restart runs
// under the residents' limit, whose burst is ample for it.
func (e *Engine) setStaff(m Message, staff bool) {
	key := m.Platform + "\x00" + m.ChatID
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.flood[key]
	if f == nil || f.staff == staff {
		return
	}
	f.staff = staff
	if staff {
		f.lim = rate.NewLimiter(rate.Every(staffFloodRefill), staffFloodBurst)
	} else {
		f.lim = rate.NewLimiter(rate.Every(floodRefill), floodBurst)
	}
}

// turn is one step in progress.
type turn struct {
	e      *Engine
	tx     *store.Tx
	chat   *store.Chat
	person *store.Person
	lang   string
	msg    Message
	st     state
	dirty  bool
	bound  bool // an invitation was redeemed (Result.Bound)
	// refused: the message was turned away unrecorded (Result.Refused)
	refused bool
	out     []Outgoing

	// blocked: an official blocked this resident's chat from a clue (blockedStep).
	blocked bool
	// resident: the step's answers are for the sender as a resident (their report's query
	// code, its status), and are delivered even if the chat's role is withdrawn before they
	// go out. Other answers to a chat with a role are staff messages (store.OutMessage.Resident).
	resident bool
}

// say queues a message to the sender.
func (t *turn) say(text string, buttons ...[]store.Button) {
	t.out = append(t.out, Outgoing{ChatID: t.chat.ID, ToSender: true, OutMessage: store.OutMessage{Text: text, Buttons: buttons}})
}

// sayCodes queues a message to the sender that shows codes once (store.OutMessage.Codes).
func (t *turn) sayCodes(text string, codes []string, buttons ...[]store.Button) {
	t.say(text, buttons...)
	t.out[len(t.out)-1].Codes = codes
}

// tell queues a message to another chat; key makes it idempotent.
func (t *turn) tell(chatID int64, msg store.OutMessage, key string) error {
	id, err := t.tx.Enqueue(chatID, msg, key)
	if err != nil {
		return err
	}
	t.out = append(t.out, Outgoing{OutboxID: id, ChatID: chatID, OutMessage: msg})
	return nil
}

// flush queues the sender's messages and saves the state.
func (t *turn) flush(res *Result) error {
	passive, edit := t.msg.Passive, t.msg.EditRef
	for i := range t.out {
		o := &t.out[i]
		if o.OutboxID != 0 {
			continue
		}
		if edit != "" && o.ToSender {
			o.Edit, edit = edit, ""
		}
		if o.ToSender && t.resident {
			o.Resident = true
		}
		if passive && o.ToSender {
			passive = false
			id, err := t.tx.EnqueueDelivered(o.ChatID, o.OutMessage, t.msg.Platform, t.msg.MsgID)
			if err != nil {
				return err
			}
			o.OutboxID, o.Delivered = id, true
			continue
		}
		id, err := t.tx.Enqueue(o.ChatID, o.OutMessage, "")
		if err != nil {
			return err
		}
		o.OutboxID = id
	}
	if t.dirty {
		var data []byte
		if t.st.Flow != "" {
			b, err := json.Marshal(t.st)
			if err != nil {
				return fmt.Errorf("marshal state: %w", err)
			}
			data = b
		}
		if err := t.tx.SaveConversation(t.chat.ID, data); err != nil {
			return err
		}
	}
	res.Out, res.Bound, res.Refused = t.out, t.bound, t.refused
	return nil
}

// set moves the conversation to a flow and step.
func (t *turn) set(flow, step string) {
	t.st.Flow, t.st.Step = flow, step
	t.dirty = true
}

// reset ends the current flow.
func (t *turn) reset() {
	t.st = state{}
	t.dirty = true
}

func (t *turn) tr(key string, args ...any) string { return T(t.lang, key, args...) }

func (t *turn) btn(key, data string) store.Button { return store.Button{Text: t.tr(key), Data: data} }

// run dispatches one message.
func (t *turn) run() error {
	raw, err := t.tx.LoadConversation(t.chat.ID)
	if err != nil {
		return err
	}
	if raw != nil {
		if err := json.Unmarshal(raw, &t.st); err != nil {
			// A state written by an older version that no longer parses: start over rather than
			// trap the chat in an error.
			t.e.log.Warn("conversation state unreadable, reset", "error", err)
			t.reset()
		}
	}
	// The role is read at every step, never kept between steps: a role withdrawn a moment ago
	// (xuncha people revoke) makes this message a resident's. Withdrawal unbinds the chat; a
	// person found withdrawn all the same is no role either.
	if t.chat.PersonID != 0 {
		if t.person, err = t.tx.FindPerson(t.chat.PersonID); err != nil {
			return err
		}
		if t.person.Withdrawn() {
			t.person = nil
		}
	}
	if t.person == nil {
		if t.blocked, err = t.tx.ChatBlocked(t.chat.ID); err != nil {
			return err
		}
		if t.blocked {
			return t.blockedStep()
		}
	}
	m := t.msg
	if utf8.RuneCountInString(m.Text) > MaxTextRunes {
		t.refused = true
		t.say(t.tr("too.long", MaxTextRunes))
		return nil
	}
	if len(m.Files) > MaxAttachments {
		t.refused = true
		t.say(t.tr("too.many"))
		return nil
	}
	for _, f := range m.Files {
		if f.Size > MaxFileBytes || len(f.Data) > MaxFileBytes {
			t.refused = true
			t.say(t.tr("too.big"))
			return nil
		}
	}
	if cmd, arg, ok := parseCommand(m.Text); ok && m.Data == "" {
		return t.command(cmd, arg)
	}
	if m.Group {
		return nil // in groups only commands are answered
	}
	// Buttons that work whatever the flow; the others are answers to the flow's question.
	if a := ParseAction(m.Data); len(a.Args) > 0 {
		switch a.Verb {
		case VerbMenu:
			return t.command(a.Arg(0), "")
		case VerbLang:
			return t.setLang(a.Arg(0))
		case VerbAck: // a letter's acknowledge button (letters.go)
			return t.ackLetter(a.Arg(0))
		case VerbLedger:
			return t.ledgerButton(a.Rest(0))
		case VerbRounds: // rounds, classification, briefings, meetings, rectification (rounds.go)
			return t.roundsButton(a.Rest(0))
		}
	}
	if m.Data == VerbCancel {
		return t.command("cancel", "")
	}
	if m.Data == VerbResume && t.st.Flow == flowReport && t.st.Report != nil {
		t.say(t.tr("report.resume"))
		return t.prompt()
	}
	if step, ok := flowSteps[t.st.Flow]; ok {
		return step(t)
	}
	if len(m.Files) > 0 && m.Data == "" {
		t.say(t.tr("file.ignored"))
		return nil
	}
	return t.runIdle()
}

// menuResume is the menu, offering first to continue an unfinished report: a web page reload,
// a new device or a change of language must not make a resident start over.
func (t *turn) menuResume() [][]store.Button {
	rows := t.menu()
	if t.st.Flow == flowReport && t.st.Report != nil {
		rows = append([][]store.Button{{t.btn("menu.resume", "resume")}}, rows...)
	}
	return rows
}

// formatDate shows a time as a local date and time.
func (t *turn) formatDate(tm time.Time) string {
	return tm.In(t.e.cfg.Location).Format("2006-01-02 15:04")
}

// truncate shortens s to n runes, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
