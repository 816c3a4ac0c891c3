package bot

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"xuncha/handlers"
	"xuncha/store"
)

// WeChatConfig configures the WeChat Official Account channel.
type WeChatConfig struct {
	AppID     string
	AppSecret string
	Token     string // the callback token: signs every callback
	AESKey    string // EncodingAESKey (43 characters); safe mode when set
	// Plaintext accepts unencrypted callbacks when AESKey is empty; it must be said explicitly.
	// A plaintext body is not signed (the signature covers token, timestamp and nonce only), so
	// whoever sees a callback's URL can, until its nonce is used, send any body with it.
	Plaintext bool
	// PreviousAESKey is the EncodingAESKey before the last change. WeChat's FAQ says callbacks
	// may still come encrypted with it for a while: those are accepted and answered with it.
	PreviousAESKey string
	APIURL         string // default https://api.weixin.qq.com
	// TemplateNotice is the template message used outside the customer-service window.
	TemplateNotice string
	DefaultLang    string
	Location       *time.Location // for times in template messages
	// PassiveWait is how long a callback waits for its step before answering "success" and
	// leaving the answer to the outbox (default 3 s: WeChat gives up after 5 s).
	PassiveWait time.Duration
	// MediaWorkers is how many images are held at once, from their download until their
	// step is done (default 4), when Uploads is nil.
	MediaWorkers int
	// Uploads bounds the files held at once with the other channels'.
	Uploads *Uploads
}

// WeChat limits and protocol constants.
const (
	maxWeChatCallback = 1 << 20
	// maxPassiveBytes: a passive text reply over about 2,048 bytes is not shown; a longer
	// answer goes out as customer-service messages instead.
	maxPassiveBytes = 2000
	// maxWeChatText is the size of one customer-service text message.
	maxWeChatText = 2000
	// callbackSkew is how far a callback's timestamp may be from now: older signed requests
	// are refused, so a captured one cannot be replayed later.
	callbackSkew    = 5 * time.Minute
	eventBindPrefix = "bind_"
	// maxFetchAttempts is how often a media download is tried before the step runs without it.
	maxFetchAttempts = 8
)

// Custom menu click keys (xuncha wechat menu) and the commands they stand for.
var wechatMenuKeys = map[string]string{"menu_report": "/report", "menu_query": "/query", "menu_mine": "/help"}

// WeChatEngine is what the WeChat channel needs from the conversation engine.
type WeChatEngine interface {
	Handle(ctx context.Context, m handlers.Message) (handlers.Result, error)
}

// WeChatStore is what the WeChat channel needs from the store.
type WeChatStore interface {
	PendingMessages(ctx context.Context, platform string, limit int) ([]store.Received, error)
	Update(ctx context.Context, fn func(*store.Tx) error) error
	FindChat(ctx context.Context, platform, external string) (int64, error)
	MarkChatUnreachable(ctx context.Context, chatID int64) error
	PrivateID(purpose, value string) string
	ReserveWeChatSend(ctx context.Context, external string) (bool, error)
	CloseWeChatWindow(ctx context.Context, external string) error
	WeChatMenu(ctx context.Context, external string) ([]store.Button, string, error)
	ClaimWeChatNonce(ctx context.Context, timestamp, nonce string, body []byte, until time.Time) (bool, error)
}

// WeChat is the WeChat Official Account channel: an http.Handler for the callback and the
// outbox Sender.
//
// Receiving is persist-first: a verified callback is committed to the inbox before it is
// answered. Text, voice, location and event messages then run their step at once and the first
// answer goes back in the HTTP response (the passive reply); if the step takes longer than
// PassiveWait the callback answers "success" and the answer follows through the outbox. Images
// are answered "success" at once and processed in the background after their media download.
// Steps of one chat run one at a time in arrival order (a lane per chat, in memory; after a
// restart the pending messages in the inbox are replayed in order).
type WeChat struct {
	log    *slog.Logger
	cfg    WeChatConfig
	engine WeChatEngine
	store  WeChatStore
	api    *WeChatAPI
	now    func() time.Time
	// aes and previousAES are the ciphers of cfg.AESKey and cfg.PreviousAESKey (nil if unset).
	aes, previousAES *wxCipher
	media            *Uploads
	wake             chan struct{}
	// Metrics counts received callbacks; set it before serving.
	Metrics ChannelMetrics

	mu       sync.Mutex
	lanes    map[string]*wxLane // by openid, memory only
	inflight map[string]*wxJob  // by inbox message id: stored and queued or running
	stopped  bool
	fetchErr map[string]int // failed media downloads by message id; memory only
	// answering holds, by openid, the job whose passive reply is on its way: the sender holds
	// the step's other messages to that chat until it is written, so that they do not overtake
	// it on the user's screen.
	answering map[string]*wxJob
	lanesWG   sync.WaitGroup
	notify    []func(chatID int64)
}

// wxLane is the queue of one chat's messages.
type wxLane struct{ jobs []*wxJob }

// wxJob is one stored message on its way through the engine. A callback that waits for it is
// a waiter; a job whose waiters all gave up before it started runs without a passive reply.
type wxJob struct {
	msgID  string
	openid string
	msg    *wxMsg
	raw    []byte   // the decrypted callback, for the inbox
	claim  *wxClaim // the callback's nonce, taken with its receipt or its step; nil when replayed from the inbox
	sync   bool     // the sender's answer may go back in the callback's response
	// inline: the message is not stored on receipt; its step's transaction stores it (see
	// receive). Should it leave its lane without that commit, storeReceipt stores it.
	inline bool
	opens  store.WeChatOpener
	done   chan struct{}

	mu        sync.Mutex
	waiters   int
	started   bool
	abandoned bool
	passive   bool
	finished  bool
	reply     string // the passive reply's text; "" for none
	lost      error  // the message could not be stored: its callbacks must not say "success"
	counted   bool   // its receipt is in the metrics

	written     chan struct{} // closed once the callback's answer is written (or none will be)
	writtenOnce sync.Once
}

// wxMsg is a callback message or event, as WeChat sends it (decrypted).
type wxMsg struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
	MsgID        string `xml:"MsgId"`
	MediaID      string `xml:"MediaId"`
	Recognition  string `xml:"Recognition"`
	LocationX    string `xml:"Location_X"`
	LocationY    string `xml:"Location_Y"`
	Label        string `xml:"Label"`
	Event        string `xml:"Event"`
	EventKey     string `xml:"EventKey"`
}

// NewWeChat returns the channel. It checks the configuration but makes no API call: the token
// is fetched on the first send.
func NewWeChat(logger *slog.Logger, cfg WeChatConfig, engine WeChatEngine, st WeChatStore) (*WeChat, error) {
	if cfg.AppID == "" || cfg.Token == "" {
		return nil, errors.New("WECHAT_APP_ID and WECHAT_TOKEN must be set")
	}
	if err := WeChatModeError(cfg.AESKey, cfg.Plaintext); err != nil {
		return nil, err
	}
	var current, previous *wxCipher
	if cfg.AESKey != "" {
		var err error
		if current, err = newWXCipher(cfg.AESKey); err != nil {
			return nil, err
		}
	}
	if cfg.PreviousAESKey != "" {
		if cfg.AESKey == "" {
			return nil, errors.New("WECHAT_AES_KEY_PREVIOUS is set without WECHAT_AES_KEY")
		}
		var err error
		if previous, err = newWXCipher(cfg.PreviousAESKey); err != nil {
			return nil, fmt.Errorf("WECHAT_AES_KEY_PREVIOUS: %w", err)
		}
	}
	if cfg.PassiveWait <= 0 {
		cfg.PassiveWait = 3 * time.Second
	}
	if cfg.MediaWorkers <= 0 {
		cfg.MediaWorkers = 4
	}
	if cfg.Uploads == nil {
		cfg.Uploads = NewUploads(cfg.MediaWorkers, int64(cfg.MediaWorkers)*handlers.MaxFileBytes)
	}
	if cfg.DefaultLang == "" {
		cfg.DefaultLang = handlers.LangZH
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	log := logger.With("channel", "wechat")
	if cfg.Plaintext {
		log.Warn("wechat plaintext mode: callbacks are neither encrypted nor their bodies signed; set WECHAT_AES_KEY for safe mode")
	}
	return &WeChat{
		log: log, cfg: cfg, engine: engine, store: st, now: time.Now, aes: current, previousAES: previous,
		api:   NewWeChatAPI(log, WeChatAPIConfig{AppID: cfg.AppID, AppSecret: cfg.AppSecret, APIURL: cfg.APIURL}),
		media: cfg.Uploads, wake: make(chan struct{}, 1),
		lanes: map[string]*wxLane{}, inflight: map[string]*wxJob{}, fetchErr: map[string]int{}, answering: map[string]*wxJob{},
		Metrics: nopMetrics{},
	}, nil
}

// WeChatModeError checks the callback mode settings (serve checks them too, before opening
// anything): safe mode needs the key, plaintext mode must be asked for, and not both. It
// returns nil when they are consistent.
func WeChatModeError(aesKey string, plaintext bool) error {
	switch {
	case aesKey == "" && !plaintext:
		return errors.New("WECHAT_AES_KEY must be set: callbacks are taken in safe mode (安全模式) only, " +
			"unless WECHAT_PLAINTEXT=1 (--wechat-plaintext) accepts plaintext ones, which are weaker (see README)")
	case aesKey != "" && plaintext:
		return errors.New("WECHAT_PLAINTEXT is set with WECHAT_AES_KEY: choose safe mode (the key) or plaintext mode, not both")
	}
	return nil
}

// ValidateWeChatAESKey checks an EncodingAESKey: 43 characters of base64 for a 32-byte key.
func ValidateWeChatAESKey(key string) error {
	if len(key) != 43 {
		return fmt.Errorf("WECHAT_AES_KEY must be 43 characters, got %d", len(key))
	}
	if k, err := base64.StdEncoding.DecodeString(key + "="); err != nil || len(k) != 32 {
		return errors.New("WECHAT_AES_KEY is not a valid EncodingAESKey (base64 of 32 bytes without the trailing =)")
	}
	return nil
}

// API is the channel's WeChat API client.
func (w *WeChat) API() *WeChatAPI { return w.api }

// OnQueued registers fn to be called with the recipient chat of a message the channel queued
// itself (a passive reply that missed its callback, a notice to administrators).
func (w *WeChat) OnQueued(fn func(chatID int64)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.notify = append(w.notify, fn)
}

func (w *WeChat) queued(chatID int64) {
	w.mu.Lock()
	fns := w.notify
	w.mu.Unlock()
	for _, fn := range fns {
		fn(chatID)
	}
}

// ServeHTTP answers WeChat's callbacks. Every request must carry a valid signature and a fresh
// timestamp; in safe mode the message must be encrypted and carry a valid msg_signature.
// Anything else gets 403 and nothing is stored.
func (w *WeChat) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if reason := w.verify(ts, nonce, q.Get("signature")); reason != "" {
		w.refuse(rw, reason)
		return
	}
	switch r.Method {
	case http.MethodGet:
		// The URL check when the callback is configured: echo echostr.
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(rw, q.Get("echostr"))
		return
	case http.MethodPost:
	default:
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWeChatCallback))
	if err != nil {
		w.refuse(rw, "unreadable body")
		return
	}
	raw := body
	var key *wxCipher // the EncodingAESKey the callback came with, for the reply; nil in plaintext mode
	safe := q.Get("encrypt_type") == "aes"
	switch {
	case w.cfg.AESKey != "" && !safe:
		w.refuse(rw, "plaintext callback in safe mode")
		return
	case w.cfg.AESKey == "" && safe:
		w.refuse(rw, "encrypted callback without WECHAT_AES_KEY")
		return
	case safe:
		var env wxEnvelope
		if err := decodeEnvelope(body, &env); err != nil || env.Encrypt == "" {
			w.refuse(rw, "no Encrypt element")
			return
		}
		want := wxSignature(w.cfg.Token, ts, nonce, env.Encrypt)
		if subtle.ConstantTimeCompare([]byte(want), []byte(q.Get("msg_signature"))) != 1 {
			w.refuse(rw, "msg_signature")
			return
		}
		key = w.aes
		raw, err = key.decrypt(w.cfg.AppID, env.Encrypt)
		if err != nil && w.previousAES != nil {
			key = w.previousAES
			raw, err = key.decrypt(w.cfg.AppID, env.Encrypt)
		}
		if err != nil {
			w.refuse(rw, "decrypt")
			return
		}
	}
	var m wxMsg
	if err := decodeWeChat(raw, &m); err != nil || m.FromUserName == "" || m.MsgType == "" {
		w.refuse(rw, "malformed message")
		return
	}
	sec, _ := strconv.ParseInt(ts, 10, 64) // verify parsed it
	claim := &wxClaim{ts: ts, nonce: nonce, body: body, until: time.Unix(sec, 0).Add(callbackSkew)}
	if key == nil {
		// Plaintext mode: the body is not signed, so the claim goes before anything reads it,
		// the engine's flood count included; in safe mode the msg_signature already covers it.
		if err := w.claimAlone(claim); err != nil {
			w.refuseClaim(rw, err)
			return
		}
		claim = nil
	}
	reply, j, err := w.receive(&m, raw, claim)
	if errors.Is(err, errReplayed) {
		w.refuse(rw, "replayed nonce")
		return
	}
	if err != nil {
		// Not stored, so not acknowledged: WeChat retries.
		w.log.Error("store wechat message failed", "error", err)
		http.Error(rw, "try again", http.StatusServiceUnavailable)
		return
	}
	w.answer(rw, &m, reply, nonce, key)
	if j != nil && reply != "" {
		if f, ok := rw.(http.Flusher); ok {
			f.Flush() // out of our hands before the step's other messages are sent
		}
		w.written(j)
	}
}

// verify checks the timestamp and signature of a callback; it returns the reason to refuse.
func (w *WeChat) verify(ts, nonce, sig string) string {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "timestamp"
	}
	if d := w.now().Sub(time.Unix(sec, 0)); d > callbackSkew || d < -callbackSkew {
		return "stale timestamp"
	}
	want := wxSignature(w.cfg.Token, ts, nonce)
	if subtle.ConstantTimeCompare([]byte(want), []byte(sig)) != 1 {
		return "signature"
	}
	return ""
}

// wxClaim is a verified callback's timestamp and nonce, remembered for as long as the timestamp
// is fresh; a replay (the same pair with another body) is refused. In plaintext mode that is all
// that stands between a captured URL and a forged body (in safe mode the msg_signature covers
// the body as well). The same pair with the same body is let through: it may be WeChat retrying,
// and the inbox's dedupe makes it change nothing.
//
// In safe mode the claim is taken in the transaction that first acts on the callback (the
// receipt, or the step of a message stored by its step), not in one of its own: every callback
// would otherwise queue twice for the single writer (see BENCHMARKS.md, WeChat). Whatever that
// transaction would have done is rolled back with a refused claim. In plaintext mode it is taken
// on its own, before anything reads the unsigned body.
type wxClaim struct {
	ts, nonce string
	body      []byte
	until     time.Time
}

// errReplayed: a callback's timestamp and nonce came before with another body.
var errReplayed = errors.New("replayed wechat nonce")

// take claims c in tx; it returns errReplayed for a replay. A nil claim (a message replayed
// from the inbox, a plaintext callback claimed already) has nothing to claim.
func (c *wxClaim) take(tx *store.Tx) error {
	if c == nil {
		return nil
	}
	ok, err := tx.ClaimWeChatNonce(c.ts, c.nonce, c.body, c.until)
	if err != nil {
		return err
	}
	if !ok {
		return errReplayed
	}
	return nil
}

// claimAlone takes c in a transaction of its own, for a callback that stores nothing (a fixed
// answer, an unfollow) or joins a message already in flight.
func (w *WeChat) claimAlone(c *wxClaim) error {
	if c == nil {
		return nil
	}
	ok, err := w.store.ClaimWeChatNonce(context.Background(), c.ts, c.nonce, c.body, c.until)
	if err != nil {
		return err
	}
	if !ok {
		return errReplayed
	}
	return nil
}

// refuseClaim answers a callback whose claim was refused (403) or could not be stored (503).
func (w *WeChat) refuseClaim(rw http.ResponseWriter, err error) {
	if errors.Is(err, errReplayed) {
		w.refuse(rw, "replayed nonce")
		return
	}
	w.log.Error("store wechat nonce failed", "error", err)
	http.Error(rw, "try again", http.StatusServiceUnavailable)
}

func (w *WeChat) refuse(rw http.ResponseWriter, reason string) {
	w.log.Warn("wechat callback refused", "reason", reason)
	http.Error(rw, "forbidden", http.StatusForbidden)
}

// answer writes the passive reply, or "success" for none (in safe mode too: an encrypted empty
// reply is not what WeChat documents). A reply is encrypted with key when it is set.
func (w *WeChat) answer(rw http.ResponseWriter, m *wxMsg, reply, nonce string, key *wxCipher) {
	if reply == "" {
		io.WriteString(rw, "success")
		return
	}
	body := passiveXML(m.ToUserName, m.FromUserName, w.now().Unix(), reply)
	if key != nil {
		body = w.encryptReply(key, body, nonce, w.now().Unix())
	}
	// With its length the answer goes out whole at the Flush that follows, not chunked.
	rw.Header().Set("Content-Type", "application/xml; charset=utf-8")
	rw.Header().Set("Content-Length", strconv.Itoa(len(body)))
	rw.Write(body)
}

// passiveXML is a passive text reply.
func passiveXML(from, to string, at int64, text string) []byte {
	b := make([]byte, 0, 160+len(from)+len(to)+len(text))
	b = append(b, "<xml>"...)
	b = appendCDATAElement(b, "ToUserName", to)
	b = appendCDATAElement(b, "FromUserName", from)
	b = appendTextElement(b, "CreateTime", strconv.FormatInt(at, 10))
	b = appendCDATAElement(b, "MsgType", "text")
	b = appendCDATAElement(b, "Content", text)
	return append(b, "</xml>"...)
}

// encryptReply wraps a reply for safe mode, signed with msg_signature.
func (w *WeChat) encryptReply(key *wxCipher, plain []byte, nonce string, at int64) []byte {
	var random [16]byte
	rand.Read(random[:])
	enc := key.encrypt(random[:], plain, w.cfg.AppID)
	ts := strconv.FormatInt(at, 10)
	b := make([]byte, 0, 200+len(enc)+len(nonce))
	b = append(b, "<xml>"...)
	b = appendCDATAElement(b, "Encrypt", string(enc))
	b = appendCDATAElement(b, "MsgSignature", wxSignature(w.cfg.Token, ts, nonce, string(enc)))
	b = appendTextElement(b, "TimeStamp", ts)
	b = appendCDATAElement(b, "Nonce", nonce)
	return append(b, "</xml>"...)
}

// receive stores a verified message and returns the passive reply ("" for none) and the job
// that gave it. It returns errReplayed, having done nothing, when the callback's claim is refused.
func (w *WeChat) receive(m *wxMsg, raw []byte, claim *wxClaim) (string, *wxJob, error) {
	waits, opens := true, store.WeChatOpensMessage
	// fixed answers a callback that needs no job once its claim is taken.
	fixed := func(reply string) (string, *wxJob, error) {
		if err := w.claimAlone(claim); err != nil {
			return "", nil, err
		}
		return reply, nil, nil
	}
	switch m.MsgType {
	case "text", "location":
	case "voice":
		if strings.TrimSpace(m.Recognition) == "" {
			return fixed(handlers.T(w.cfg.DefaultLang, "wechat.voice"))
		}
	case "image":
		waits = false // the media download can be slow: answer now, follow up through the outbox
	case "video", "shortvideo":
		// Not fetched: a video keeps where it was filmed in ways that cannot be removed, so it
		// would be refused whatever it holds. The answer says what to send instead.
		return fixed(handlers.T(w.cfg.DefaultLang, "wechat.video"))
	case "event":
		opens = store.WeChatOpensEvent
		switch strings.ToLower(m.Event) {
		case "subscribe", "scan":
		case "click":
			if wechatMenuKeys[m.EventKey] == "" {
				return fixed("")
			}
		case "unsubscribe":
			if err := w.claimAlone(claim); err != nil {
				return "", nil, err
			}
			w.unfollowed(m.FromUserName)
			return "", nil, nil
		default:
			return fixed("") // view, location reports, template delivery receipts: nothing to do
		}
	default:
		return fixed(handlers.T(w.cfg.DefaultLang, "wechat.unsupported"))
	}
	id := w.messageID(m)
	w.mu.Lock()
	j, running := w.inflight[id]
	if running {
		// WeChat retrying a message still in flight: its claim is taken before it joins.
		w.mu.Unlock()
		if err := w.claimAlone(claim); err != nil {
			return "", nil, err
		}
		w.mu.Lock()
		j, running = w.inflight[id]
	}
	if !running {
		j = &wxJob{msgID: id, openid: m.FromUserName, msg: m, raw: raw, claim: claim, sync: waits, opens: opens, done: make(chan struct{}), written: make(chan struct{})}
		// A message that waits for its passive reply, from a chat with nothing else in
		// flight, is stored by its step's own transaction: one commit before the reply
		// instead of two. Nothing answers its callback before that commit, or before
		// storeReceipt when the answer cannot wait for the step.
		_, busy := w.lanes[m.FromUserName]
		j.inline = waits && !busy
		w.inflight[id] = j // before the commit, so the recovery sweep does not queue it twice
	}
	if waits {
		j.mu.Lock()
		j.waiters++
		j.mu.Unlock()
	}
	w.mu.Unlock()
	if running {
		w.Metrics.Received(handlers.PlatformWeChat, 1, 1) // WeChat retried a callback still in flight
	}
	if !running {
		if !j.inline {
			if err := w.storeReceipt(j); err != nil {
				w.mu.Lock()
				delete(w.inflight, id)
				w.mu.Unlock()
				w.finish(j, "")
				w.written(j)
				return "", nil, err
			}
		}
		w.enqueue(j)
	}
	if !waits {
		return "", nil, nil
	}
	reply, err := w.await(j)
	return reply, j, err
}

// storeReceipt commits a message to the inbox as received (the store commits concurrent
// writes together, one fsync for many), and opens its chat's window when it is new. A failure is kept in the job: a callback waiting
// on it (a retry of the same message too) must not answer "success".
func (w *WeChat) storeReceipt(j *wxJob) error {
	fresh := false
	err := w.store.Update(context.Background(), func(tx *store.Tx) error {
		if err := j.claim.take(tx); err != nil {
			return err
		}
		var err error
		fresh, err = tx.ReceiveWeChat(store.Received{MsgID: j.msgID, Payload: j.raw}, j.openid, j.opens)
		return err
	})
	if err != nil {
		j.mu.Lock()
		j.lost = err
		j.mu.Unlock()
		return err
	}
	w.count(j, !fresh)
	return nil
}

// count adds a job's receipt to the metrics once.
func (w *WeChat) count(j *wxJob, duplicate bool) {
	j.mu.Lock()
	counted := j.counted
	j.counted = true
	j.mu.Unlock()
	if counted {
		return
	}
	dup := 0
	if duplicate {
		dup = 1
	}
	w.Metrics.Received(handlers.PlatformWeChat, 1, dup)
}

// messageID is the inbox id of a message: its MsgId, or for events (which have none) a keyed
// hash of sender, time and event, as WeChat recommends — the openid must not be stored in clear.
func (w *WeChat) messageID(m *wxMsg) string {
	if m.MsgID != "" && m.MsgType != "event" {
		return "m" + m.MsgID
	}
	return "e" + w.store.PrivateID("wechat.event", m.FromUserName+"\x00"+strconv.FormatInt(m.CreateTime, 10)+"\x00"+m.Event+"\x00"+m.EventKey)
}

// unfollowed marks the chat of a user who unfollowed the account: nothing can reach them.
func (w *WeChat) unfollowed(openid string) {
	ctx := context.Background()
	id, err := w.store.FindChat(ctx, handlers.PlatformWeChat, openid)
	if errors.Is(err, store.ErrNotFound) {
		return
	}
	if err == nil {
		err = w.store.MarkChatUnreachable(ctx, id)
	}
	if err != nil {
		w.log.Error("mark unfollowed chat failed", "error", err)
	}
}

// await waits for a job's passive reply up to PassiveWait. A job that has not started by then
// runs without one; its answers all go through the outbox.
func (w *WeChat) await(j *wxJob) (string, error) {
	t := time.NewTimer(w.cfg.PassiveWait)
	defer t.Stop()
	select {
	case <-j.done:
	case <-t.C:
	}
	j.mu.Lock()
	if j.finished {
		defer j.mu.Unlock()
		return j.reply, j.lost
	}
	j.waiters--
	if !j.started {
		j.abandoned = true
	}
	inline := j.inline
	j.mu.Unlock()
	if inline {
		// Its step has not committed: store the message before "success" says it arrived.
		// Should the step commit first, the receipt changes nothing.
		return "", w.storeReceipt(j)
	}
	return "", nil
}

// enqueue appends a job to its chat's lane, starting the lane when it is idle.
func (w *WeChat) enqueue(j *wxJob) {
	w.mu.Lock()
	if w.stopped {
		// Shutting down: the message is stored and is processed after the restart.
		delete(w.inflight, j.msgID)
		w.mu.Unlock()
		if j.inline {
			w.storeReceipt(j)
		}
		w.finish(j, "")
		w.written(j)
		return
	}
	l, ok := w.lanes[j.openid]
	if !ok {
		l = &wxLane{}
		w.lanes[j.openid] = l
		w.lanesWG.Add(1)
		go w.drain(j.openid, l)
	}
	l.jobs = append(l.jobs, j)
	w.mu.Unlock()
}

// drain runs a lane's jobs in order until it is empty. After a failed step the chat's later
// messages are left in the inbox for the recovery sweep, so they do not overtake it.
func (w *WeChat) drain(key string, l *wxLane) {
	defer w.lanesWG.Done()
	ctx := context.Background()
	for {
		w.mu.Lock()
		if len(l.jobs) == 0 {
			delete(w.lanes, key)
			w.mu.Unlock()
			return
		}
		j := l.jobs[0]
		l.jobs = l.jobs[1:]
		w.mu.Unlock()
		reply, out, err := w.run(ctx, j)
		if errors.Is(err, errReplayed) {
			// Its callback's claim was refused inside the step, which left nothing behind:
			// the callback is refused, the chat's later messages go on.
			j.mu.Lock()
			j.lost = err
			j.mu.Unlock()
			reply, out, err = "", nil, nil
		}
		var rest []*wxJob
		if err != nil {
			// Left for the recovery sweep, which finds only stored messages; stored while
			// still in flight, so that the sweep does not queue them a second time.
			w.mu.Lock()
			rest, l.jobs = l.jobs, nil
			w.mu.Unlock()
			for _, r := range append([]*wxJob{j}, rest...) {
				if r.inline {
					if err := w.storeReceipt(r); err != nil {
						w.log.Error("store wechat message failed", "msg", r.msgID, "error", err)
					}
				}
			}
		}
		w.mu.Lock()
		delete(w.inflight, j.msgID)
		for _, r := range rest {
			delete(w.inflight, r.msgID)
		}
		w.mu.Unlock()
		taken := w.finish(j, reply)
		if !taken || reply == "" {
			w.written(j) // no callback will write a reply
		}
		if !taken && out != nil {
			// The step gave a passive reply but every waiter had given up: send it through
			// the outbox so that it is not lost.
			if err := w.sendLate(ctx, j, out); err != nil {
				w.log.Error("queue late wechat reply failed", "msg", j.msgID, "error", err)
			}
		}
		for _, r := range rest {
			w.finish(r, "")
			w.written(r)
		}
		if err != nil {
			w.log.Error("wechat step failed; will retry", "msg", j.msgID, "error", err)
			w.poke()
		}
	}
}

// written records that a job's passive reply is written, or that none will be.
func (w *WeChat) written(j *wxJob) {
	j.writtenOnce.Do(func() {
		close(j.written)
		w.mu.Lock()
		if w.answering[j.openid] == j {
			delete(w.answering, j.openid)
		}
		w.mu.Unlock()
	})
}

// awaitPassive waits until the passive reply on its way to openid, if any, is written: a
// customer-service message queued by the same step must not overtake it.
func (w *WeChat) awaitPassive(ctx context.Context, openid string) error {
	w.mu.Lock()
	j := w.answering[openid]
	w.mu.Unlock()
	if j == nil {
		return nil
	}
	t := time.NewTimer(w.cfg.PassiveWait)
	defer t.Stop()
	select {
	case <-j.written:
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// finish publishes a job's reply to its waiters. It reports false when there was a reply and no
// waiter left to take it. Waiters give up under the same lock, so a reply is either taken or
// reported, never lost between the two.
func (w *WeChat) finish(j *wxJob, reply string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.finished {
		return true
	}
	j.finished = true
	if j.waiters == 0 && reply != "" {
		close(j.done)
		return false
	}
	j.reply = reply
	close(j.done)
	return true
}

// sendLate queues a passive reply that missed its callback.
func (w *WeChat) sendLate(ctx context.Context, j *wxJob, out *handlers.Outgoing) error {
	err := w.store.Update(ctx, func(tx *store.Tx) error { return queueLate(tx, j, out) })
	if err != nil {
		return err
	}
	w.queued(out.ChatID)
	return nil
}

// queueLate queues a job's answer to go as customer-service messages instead of the passive
// reply (missed, or too long for it). The key makes it queued once, whichever path and however
// often the step runs.
func queueLate(tx *store.Tx, j *wxJob, out *handlers.Outgoing) error {
	_, err := tx.Enqueue(out.ChatID, out.OutMessage, "wechat:late:"+j.msgID)
	return err
}

// run runs one job's step and returns its passive reply and the message it renders (to be
// queued if the reply misses its callback; nil for a replayed reply, which was sent before).
// The numbered choices the chat was shown are read, and the ones the reply shows kept, in the
// step's transaction; so is an inline job's receipt.
func (w *WeChat) run(ctx context.Context, j *wxJob) (string, *handlers.Outgoing, error) {
	j.mu.Lock()
	j.started = true
	j.passive = j.sync && !j.abandoned && j.waiters > 0
	passive := j.passive
	j.mu.Unlock()
	var slot *UploadSlot
	if j.msg.MsgType == "image" {
		// The image is held in memory from its download until the step is done: a slot
		// first, of the largest size (WeChat does not announce it), shrunk once downloaded.
		var err error
		if slot, err = w.media.Acquire(ctx, handlers.MaxFileBytes); err != nil {
			return "", nil, err
		}
		defer slot.Release()
	}
	m, ok, err := w.convert(ctx, j.msg)
	for _, f := range m.Files {
		slot.Shrink(int64(len(f.Data)))
	}
	if errors.Is(err, errMediaUnavailable) {
		return "", nil, w.mediaUnavailable(ctx, j)
	}
	if err != nil {
		return "", nil, err
	}
	if !ok {
		return "", nil, w.skip(ctx, j)
	}
	m.MsgID, m.Passive = j.msgID, passive
	if passive {
		w.mu.Lock()
		w.answering[j.openid] = j
		w.mu.Unlock()
	}
	var (
		lang      string
		text      string
		delivered *handlers.Outgoing
		lateChat  int64
	)
	m.Prepare = func(tx *store.Tx, m *handlers.Message) error {
		if j.inline {
			// Not stored yet: its callback's claim goes first, and a refused one undoes the step.
			if err := j.claim.take(tx); err != nil {
				return err
			}
		}
		menu, l, err := tx.WeChatMenu(j.openid)
		if err != nil {
			return err
		}
		lang = cmp.Or(l, w.cfg.DefaultLang) // "": a new chat, which the engine creates with the default
		if j.msg.MsgType == "text" || j.msg.MsgType == "voice" {
			if data, ok := menuChoice(m.Text, menu); ok {
				m.Text, m.Data = "", data
			}
		}
		return nil
	}
	m.Record = func(tx *store.Tx, res *handlers.Result) error {
		text, delivered, lateChat = "", nil, 0
		touch := j.inline && !res.Duplicate // its receipt opens the chat's window
		for i := range res.Out {
			if res.Out[i].Delivered {
				delivered = &res.Out[i]
				break
			}
		}
		var shown []store.Button
		if delivered != nil {
			text, shown = renderWeChat(lang, delivered.OutMessage)
			switch {
			case res.Duplicate:
				delivered, shown = nil, nil // the first answer was sent; its menu was kept then
			case len(text) > maxPassiveBytes:
				// Too long for a passive reply: customer-service messages carry it, in parts.
				text, lateChat, shown = "", delivered.ChatID, nil
			}
		}
		// The choices shown are kept before the reply goes out: the answer to it may be a
		// number from it. With the window, in one statement.
		var err error
		switch {
		case len(shown) > 0 && touch:
			err = tx.TouchWeChatMenu(j.openid, j.opens, shown)
		case len(shown) > 0:
			err = tx.SaveWeChatMenu(j.openid, shown)
		case touch:
			err = tx.TouchWeChat(j.openid, j.opens)
		}
		if err != nil || lateChat == 0 {
			return err
		}
		return queueLate(tx, j, delivered)
	}
	// The store commits concurrent steps together (group commit), so steps of many callbacks
	// share one fsync instead of queueing for one each.
	res, err := w.engine.Handle(ctx, m)
	if err != nil {
		return "", nil, err
	}
	if j.inline {
		w.count(j, res.Duplicate)
	}
	if lateChat != 0 {
		w.queued(lateChat)
		return "", nil, nil
	}
	return text, delivered, nil
}

// errMediaUnavailable: WeChat refused the media of a message (expired, unknown), or the
// download failed too often.
var errMediaUnavailable = errors.New("media unavailable")

// mediaUnavailable answers an image whose media cannot be had, in place of a step: the
// message is marked processed and the sender asked to send it again, in one transaction. The
// engine is not given a file without data, which it cannot store.
func (w *WeChat) mediaUnavailable(ctx context.Context, j *wxJob) error {
	var chatID int64
	err := w.store.Update(ctx, func(tx *store.Tx) error {
		chat, err := tx.EnsureChat(handlers.PlatformWeChat, j.openid, w.cfg.DefaultLang, false)
		if err != nil {
			return err
		}
		first, err := tx.ClaimMessage(handlers.PlatformWeChat, j.msgID)
		if err != nil || !first {
			return err
		}
		chatID = chat.ID
		_, err = tx.Enqueue(chat.ID, store.OutMessage{Text: handlers.T(chat.Lang, "wechat.media.failed")}, "")
		return err
	})
	if err != nil {
		return err
	}
	if chatID != 0 {
		w.queued(chatID)
	}
	return nil
}

// skip marks a message processed that needs no step; an inline one opens its window too.
func (w *WeChat) skip(ctx context.Context, j *wxJob) error {
	first := false
	err := w.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		if j.inline {
			if err := j.claim.take(tx); err != nil {
				return err
			}
		}
		first, err = tx.ClaimMessage(handlers.PlatformWeChat, j.msgID)
		if err == nil && first && j.inline {
			err = tx.TouchWeChat(j.openid, j.opens)
		}
		return err
	})
	if err == nil && j.inline {
		w.count(j, !first)
	}
	return err
}

// convert builds the engine's message. It returns false for a message that needs no step.
func (w *WeChat) convert(ctx context.Context, x *wxMsg) (handlers.Message, bool, error) {
	m := handlers.Message{Platform: handlers.PlatformWeChat, ChatID: x.FromUserName}
	switch x.MsgType {
	case "text", "voice":
		m.Text = x.Content
		if x.MsgType == "voice" {
			m.Text = x.Recognition
		}
		if m.Text == "" {
			return m, false, nil
		}
	case "location":
		m.Text = strings.TrimSpace(handlers.T(w.cfg.DefaultLang, "wechat.location", x.LocationX, x.LocationY, x.Label))
	case "image":
		f, err := w.fetch(ctx, x.MediaID)
		w.mu.Lock()
		n := 0
		if err != nil {
			w.fetchErr[x.MsgID]++
			n = w.fetchErr[x.MsgID]
		}
		if err == nil || n >= maxFetchAttempts || len(w.fetchErr) > 10000 {
			delete(w.fetchErr, x.MsgID)
		}
		w.mu.Unlock()
		if err != nil {
			// Tried again by the sweep, with this chat's later messages waiting behind it;
			// after a few failures the step runs without the data (the engine asks for the
			// photo again) rather than hold the chat up.
			if n < maxFetchAttempts {
				return m, false, err
			}
			w.log.Error("wechat media download given up", "attempts", n, "error", err)
			return m, false, errMediaUnavailable
		}
		if len(f.Data) == 0 {
			return m, false, errMediaUnavailable
		}
		m.Files = []handlers.File{f}
	case "event":
		key := x.EventKey
		switch strings.ToLower(x.Event) {
		case "subscribe":
			key = strings.TrimPrefix(key, "qrscene_")
			fallthrough
		case "scan":
			m.Text = "/start"
			if code, ok := strings.CutPrefix(key, eventBindPrefix); ok && code != "" {
				m.Text = "/bind " + code
			}
		case "click":
			m.Text = wechatMenuKeys[key]
		}
		if m.Text == "" {
			return m, false, nil
		}
	default:
		return m, false, nil
	}
	return m, true, nil
}

// fetch downloads an image a user sent. A refusal by WeChat (an expired or unknown media id)
// yields a file without data, which the engine answers as unreadable; a network failure is
// returned, and the message is tried again.
func (w *WeChat) fetch(ctx context.Context, mediaID string) (handlers.File, error) {
	f := handlers.File{Name: "photo.jpg"}
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	data, err := w.api.Media(dctx, mediaID, handlers.MaxFileBytes)
	var ae *APIError
	switch {
	case errors.As(err, &ae) && ae.Code != errSystemBusy:
		w.log.Warn("wechat media refused", "errcode", ae.Code)
		return f, nil
	case err != nil:
		return f, fmt.Errorf("media download: %w", err)
	}
	f.Data, f.Size = data, int64(len(data))
	return f, nil
}

// menuChoice maps a reply to a numbered menu back to the button's data: the number, the
// button's label typed out, or "取消"/"cancel" when the menu could be cancelled.
func menuChoice(text string, menu []store.Button) (string, bool) {
	s := strings.TrimSpace(strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' { // full-width digits from Chinese keyboards
			return r - '０' + '0'
		}
		return r
	}, text))
	if s == "" || len(menu) == 0 {
		return "", false
	}
	var numbered []store.Button
	cancel := false
	for _, b := range menu {
		if b.Data == handlers.VerbCancel {
			cancel = true
			continue
		}
		numbered = append(numbered, b)
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= len(numbered) {
		return numbered[n-1].Data, true
	}
	for _, b := range numbered {
		if strings.EqualFold(s, b.Text) {
			return b.Data, true
		}
	}
	if cancel {
		switch strings.ToLower(s) {
		case "取消", "cancel", "退出":
			return "x", true
		}
	}
	return "", false
}

// renderWeChat turns a message with buttons into text with a numbered menu, and returns the
// menu to keep for mapping the reply. The cancel button is not numbered: "reply 取消" is shown
// instead, so that a typed number (how many residents were visited) is never taken for it.
func renderWeChat(lang string, msg store.OutMessage) (string, []store.Button) {
	var menu []store.Button
	cancel := false
	for _, row := range msg.Buttons {
		for _, b := range row {
			if b.Data == handlers.VerbCancel {
				cancel = true
				continue
			}
			menu = append(menu, b)
		}
	}
	var sb strings.Builder
	sb.WriteString(msg.Text)
	if msg.File != nil {
		// An Official Account cannot send a document in a customer-service or template message.
		sb.WriteString("\n\n" + handlers.T(lang, "wechat.file", msg.File.Name))
	}
	if len(menu) > 0 {
		sb.WriteString("\n\n" + handlers.T(lang, "wechat.menu"))
		for i, b := range menu {
			fmt.Fprintf(&sb, "\n%d. %s", i+1, b.Text)
		}
	}
	if cancel {
		sep := "\n"
		if len(menu) == 0 {
			sep = "\n\n"
		}
		sb.WriteString(sep + handlers.T(lang, "wechat.cancel"))
		menu = append(menu, store.Button{Text: handlers.T(lang, "cancel"), Data: handlers.VerbCancel})
	}
	return sb.String(), menu
}

func (w *WeChat) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run replays stored messages that no lane is working on (after a restart, or a failed step)
// until ctx is done, then waits for the steps in flight.
func (w *WeChat) Run(ctx context.Context) error {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		w.sweep(ctx)
		select {
		case <-ctx.Done():
			w.mu.Lock()
			w.stopped = true
			w.mu.Unlock()
			w.lanesWG.Wait()
			return nil
		case <-w.wake:
			// After a failure, give the cause a moment before trying again.
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		case <-tick.C:
		}
	}
}

// sweep queues the stored, unprocessed messages that are not queued already, in arrival order.
func (w *WeChat) sweep(ctx context.Context) {
	pending, err := w.store.PendingMessages(context.WithoutCancel(ctx), handlers.PlatformWeChat, 500)
	if err != nil {
		w.log.Error("read pending wechat messages failed", "error", err)
		return
	}
	for _, p := range pending {
		w.mu.Lock()
		_, busy := w.inflight[p.MsgID]
		w.mu.Unlock()
		if busy {
			continue
		}
		var m wxMsg
		if err := decodeWeChat(p.Payload, &m); err != nil || m.FromUserName == "" {
			w.log.Warn("undecodable wechat message skipped", "msg", p.MsgID)
			if err := w.skip(ctx, &wxJob{msgID: p.MsgID}); err != nil {
				w.log.Error("skip wechat message failed", "error", err)
			}
			continue
		}
		j := &wxJob{msgID: p.MsgID, openid: m.FromUserName, msg: &m, done: make(chan struct{}), written: make(chan struct{})}
		w.mu.Lock()
		if _, busy := w.inflight[p.MsgID]; busy {
			w.mu.Unlock()
			continue
		}
		w.inflight[p.MsgID] = j
		w.mu.Unlock()
		w.enqueue(j)
	}
}
