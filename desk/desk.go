// Package desk is the officials' desk: a web workbench for the clue ledger, served by
// `serve` under /desk/ beside the web chat. Officials, administrators and unit members sign
// in with a one-time link from the chat (/desk), with no password; each request re-reads the
// person from the store and asks the rule book (handlers.Rules) what they may see and do, and
// every action runs through the chat's own ledger code (handlers.Engine.DeskAct).
//
// Pages are rendered on the server (html/template escapes every text) and need no script:
// the Content-Security-Policy allows none, and every asset is embedded in the binary, so
// the desk works on an intranet without internet. Every state-changing request is a POST
// carrying a CSRF token tied to the session.
package desk

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"xuncha/handlers"
	"xuncha/store"
)

//go:embed templates/*.html static
var assets embed.FS

// Store is what the desk needs from the store.
type Store interface {
	Update(ctx context.Context, fn func(*store.Tx) error) error
	// View runs a read transaction: no write lock, so a long count never delays a resident.
	View(ctx context.Context, fn func(*store.Tx) error) error
	// PrivateID is a keyed hash; it derives a session's CSRF token from its cookie.
	PrivateID(purpose, value string) string
}

// Engine runs the ledger's actions exactly as the chat does, and writes the letters as the
// chat sends them.
type Engine interface {
	DeskAct(ctx context.Context, a handlers.DeskAction) (handlers.DeskResult, error)
	LetterFile(tx *store.Tx, letterID int64) (store.Attachment, []byte, error)
	DeskClueState(tx *store.Tx, p *store.Person, lang string, c *store.Clue) ([]string, error)
}

// Config holds the desk's settings.
type Config struct {
	Ledger      *handlers.Ledger
	Categories  []handlers.Category
	Location    *time.Location
	Calendar    handlers.Calendar // working days for "due soon"
	DefaultLang string
	// Idle ends a session not used for this long; Lifetime ends any session this long after
	// sign-in. Defaults: 30 minutes and 12 hours (a working day).
	Idle, Lifetime time.Duration
	PageSize       int // clues per ledger page; default 50
}

// Desk serves the desk's pages.
type Desk struct {
	log   *slog.Logger
	st    Store
	eng   Engine
	cfg   Config
	pages map[string]*template.Template // by language
}

// New returns the desk.
func New(logger *slog.Logger, st Store, eng Engine, cfg Config) (*Desk, error) {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Calendar == nil {
		cfg.Calendar = handlers.Weekdays{Location: cfg.Location}
	}
	if cfg.DefaultLang == "" {
		cfg.DefaultLang = handlers.LangZH
	}
	if cfg.Idle <= 0 {
		cfg.Idle = 30 * time.Minute
	}
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = 12 * time.Hour
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 50
	}
	if cfg.Ledger == nil {
		l, err := handlers.LoadLedger("")
		if err != nil {
			return nil, err
		}
		cfg.Ledger = l
	}
	d := &Desk{log: logger, st: st, eng: eng, cfg: cfg, pages: map[string]*template.Template{}}
	for _, lang := range []string{handlers.LangZH, handlers.LangEN} {
		funcs := template.FuncMap{
			"t":   func(key string, args ...any) string { return handlers.T(lang, key, args...) },
			"day": d.day,
			"at":  d.at,
			"add": func(a, b int) int { return a + b },
			"filter": func(label, name string, opts []option, all bool) filterField {
				return filterField{Label: label, Name: name, Options: opts, All: all}
			},
			"form": func(csrf, action, verb, id string) formHead {
				return formHead{CSRF: csrf, Action: action, Verb: verb, ID: id}
			},
		}
		tmpl, err := template.New("").Funcs(funcs).ParseFS(assets, "templates/*.html")
		if err != nil {
			return nil, fmt.Errorf("desk templates: %w", err)
		}
		d.pages[lang] = tmpl
	}
	return d, nil
}

// filterField is a filter of a page's form (templates/parts.html "filter"): its label, the
// query parameter, the choices, and whether "all" comes first.
type filterField struct {
	Label, Name string
	Options     []option
	All         bool
}

// formHead opens an action's form (templates/parts.html "form"): where it posts, the
// request's CSRF token, the DeskAct verb and the form's id.
type formHead struct{ CSRF, Action, Verb, ID string }

func (d *Desk) day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(d.cfg.Location).Format("2006-01-02")
}

func (d *Desk) at(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(d.cfg.Location).Format("2006-01-02 15:04")
}

// Handler serves everything under /desk/.
func (d *Desk) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /desk/static/", http.StripPrefix("/desk/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /desk/signin", d.signinPage)
	mux.HandleFunc("POST /desk/signin", d.signin)
	mux.HandleFunc("POST /desk/signout", d.serve(d.signout))
	mux.HandleFunc("GET /desk/{$}", d.serve(d.ledgerPage))
	mux.HandleFunc("GET /desk/export", d.serve(d.export))
	mux.HandleFunc("GET /desk/stats", d.serve(d.statsPage))
	mux.HandleFunc("GET /desk/stats/export", d.serve(d.statsExport))
	mux.HandleFunc("GET /desk/clue/{id}", d.serve(d.cluePage))
	mux.HandleFunc("GET /desk/clue/{id}/file/{file}", d.serve(d.file))
	mux.HandleFunc("GET /desk/clue/{id}/letter/{letter}", d.serve(d.letter))
	mux.HandleFunc("POST /desk/clue/{id}/act", d.serve(d.act))
	return secureHeaders(mux)
}

// secureHeaders: no script at all, no framing, no referrer to other sites (a URL holds
// filters), no caching
// of pages that show clues.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		h := rw.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		// same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on a
		// form's POST, and the origin check could not tell our own forms from a sandboxed
		// attacker's. Other sites never see a desk URL either way.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(rw, r)
	})
}

// Cookies. Over HTTPS the names carry the __Host- prefix: the browser then keeps them only
// when Secure, for Path=/ and without a Domain, so no other site or subdomain can set one.
const (
	sessionCookie = "xuncha_desk"
	preCookie     = "xuncha_desk_pre" // the sign-in form's CSRF pair, before a session exists
	flashCookie   = "xuncha_desk_flash"
)

func cookieName(r *http.Request, name string) string {
	if secureRequest(r) {
		return "__Host-" + name
	}
	return name
}

// secureRequest: HTTPS directly or through the TLS-terminating proxy (X-Forwarded-Proto).
// Trusting the header only ever makes the cookies stricter.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func setCookie(rw http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(rw, &http.Cookie{Name: cookieName(r, name), Value: value, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secureRequest(r), MaxAge: maxAge})
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(cookieName(r, name))
	if err != nil {
		return ""
	}
	return c.Value
}

// sameOrigin refuses cross-site posts on top of SameSite=Strict and the CSRF token.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return origin == "" // a non-browser client; it carries no victim's cookie
	}
	return origin == "http://"+r.Host || origin == "https://"+r.Host
}

func randomToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (d *Desk) langOf(r *http.Request) string {
	if l := handlers.NormalizeLang(r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	return d.cfg.DefaultLang
}

// viewer is the signed-in person of a request, as the store holds them now.
type viewer struct {
	person  *store.Person
	rules   handlers.Rules
	session string
	csrf    string
}

// req is one request in progress: what the handler decided to answer.
type req struct {
	r    *http.Request
	lang string
	v    viewer

	status   int
	tmpl     string
	data     any
	redirect string
	flash    string
	signOut  bool // clear the session cookie
	// pending is a ledger action to run once the request's transaction committed (the
	// engine runs it in a transaction of its own).
	pending *handlers.DeskAction
	// read is a page's counting to run in a read transaction once the request's transaction
	// (session, rule book, audit row) committed: the statistics read the whole ledger, and
	// holding the write lock for that would make every resident's step wait behind them.
	read func(tx *store.Tx) error
	// A file: bytes with their headers.
	body    []byte
	headers map[string]string
}

// fail answers with a message page.
func (q *req) fail(status int, key string) {
	q.status, q.tmpl, q.data, q.redirect, q.body = status, "message.html", messagePage{Key: key}, "", nil
}

type messagePage struct {
	Key      string
	SignedIn bool
}

// serve runs a page in one transaction: the session is checked and touched, the person read
// again (a role withdrawn or changed counts at once: the session ends), a POST's CSRF token
// checked, and then the page's own reads, writes and audit rows, all or nothing.
func (d *Desk) serve(page func(tx *store.Tx, q *req) error) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		q := &req{r: r, lang: d.langOf(r)}
		token := cookieValue(r, sessionCookie)
		err := d.st.Update(r.Context(), func(tx *store.Tx) error {
			*q = req{r: r, lang: q.lang, status: http.StatusOK}
			if token == "" {
				q.fail(http.StatusUnauthorized, "desk.expired")
				return nil
			}
			pid, err := tx.TouchDeskSession(token, d.cfg.Idle)
			if errors.Is(err, store.ErrDeskSession) {
				q.fail(http.StatusUnauthorized, "desk.expired")
				q.signOut = true
				return nil
			}
			if err != nil {
				return err
			}
			p, err := tx.FindPerson(pid)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			rules := handlers.RulesFor(p, d.cfg.Ledger)
			if p == nil || !rules.Can(handlers.PermDesk) {
				// No longer a role that may use the desk: signed out, now.
				if err := tx.EndDeskSession(token); err != nil {
					return err
				}
				if err := tx.AuditRefusal(pid, handlers.ChannelDesk, "desk.refused", "desk", "role="+string(rules.Role())); err != nil {
					return err
				}
				q.fail(http.StatusForbidden, "desk.denied")
				q.signOut = true
				return nil
			}
			q.v = viewer{person: p, rules: rules, session: token, csrf: d.st.PrivateID("desk.csrf", token)}
			if r.Method == http.MethodPost {
				if !sameOrigin(r) || !hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(q.v.csrf)) {
					if err := tx.AuditRefusal(p.ID, handlers.ChannelDesk, "desk.csrf", "desk", ""); err != nil {
						return err
					}
					q.fail(http.StatusForbidden, "desk.csrf")
					return nil
				}
			}
			return page(tx, q)
		})
		if err == nil && q.pending != nil {
			err = d.runAction(r, q)
		}
		if err == nil && q.read != nil {
			err = d.st.View(r.Context(), q.read)
		}
		if err != nil {
			// The error may hold SQL and values; it stays in the log, never on the page.
			d.log.Error("desk request failed", "error", err)
			*q = req{r: r, lang: q.lang}
			q.fail(http.StatusInternalServerError, "desk.error")
		}
		d.write(rw, q)
	}
}

// runAction runs a clue page's action through the engine and leaves its answer as a notice.
func (d *Desk) runAction(r *http.Request, q *req) error {
	res, err := d.eng.DeskAct(r.Context(), *q.pending)
	if err != nil {
		return err
	}
	switch {
	case res.NotFound:
		q.fail(http.StatusNotFound, "desk.notfound")
	case res.Refused:
		q.fail(http.StatusForbidden, "desk.denied")
	default:
		q.flash = strings.Join(res.Notices, "\n")
	}
	return nil
}

// write sends what the handler decided.
func (d *Desk) write(rw http.ResponseWriter, q *req) {
	r := q.r
	if q.signOut {
		setCookie(rw, r, sessionCookie, "", -1)
	}
	if q.flash != "" {
		setCookie(rw, r, flashCookie, base64.RawURLEncoding.EncodeToString([]byte(q.flash)), 60)
	}
	if q.redirect != "" {
		http.Redirect(rw, r, q.redirect, http.StatusSeeOther)
		return
	}
	if q.body != nil {
		for k, v := range q.headers {
			rw.Header().Set(k, v)
		}
		rw.WriteHeader(q.status)
		rw.Write(q.body)
		return
	}
	if m, ok := q.data.(messagePage); ok {
		m.SignedIn = q.v.person != nil && !q.signOut
		q.data = m
	}
	var buf bytes.Buffer
	if err := d.pages[q.lang].ExecuteTemplate(&buf, q.tmpl, pageData{Lang: q.lang, CSRF: q.v.csrf, Page: q.data, Flash: d.takeFlash(rw, r)}); err != nil {
		d.log.Error("desk template failed", "template", q.tmpl, "error", err)
		http.Error(rw, "error", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.WriteHeader(q.status)
	rw.Write(buf.Bytes())
}

// pageData is what every template gets.
type pageData struct {
	Lang  string
	CSRF  string
	Flash string
	Page  any
}

// takeFlash reads and clears the one-time notice an action left for the page after it.
func (d *Desk) takeFlash(rw http.ResponseWriter, r *http.Request) string {
	v := cookieValue(r, flashCookie)
	if v == "" {
		return ""
	}
	setCookie(rw, r, flashCookie, "", -1)
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) > 2000 {
		return ""
	}
	return strings.ToValidUTF8(string(b), "")
}

// signinPage shows the sign-in button for a link. It uses nothing up: chat apps fetch links
// to preview them, and a GET that signed in would spend the link on the preview.
func (d *Desk) signinPage(rw http.ResponseWriter, r *http.Request) {
	q := &req{r: r, lang: d.langOf(r), status: http.StatusOK}
	token := r.URL.Query().Get("t")
	if token == "" || len(token) > 100 {
		q.fail(http.StatusBadRequest, "desk.signin.bad")
		d.write(rw, q)
		return
	}
	pre := randomToken()
	setCookie(rw, r, preCookie, pre, 600)
	q.tmpl, q.data = "signin.html", signinPage{Token: token, Pre: pre}
	d.write(rw, q)
}

type signinPage struct{ Token, Pre string }

// signin spends a link and opens a session.
func (d *Desk) signin(rw http.ResponseWriter, r *http.Request) {
	q := &req{r: r, lang: d.langOf(r), status: http.StatusOK}
	pre := cookieValue(r, preCookie)
	if !sameOrigin(r) || pre == "" || !hmac.Equal([]byte(r.PostFormValue("pre")), []byte(pre)) {
		q.fail(http.StatusForbidden, "desk.csrf")
		d.write(rw, q)
		return
	}
	setCookie(rw, r, preCookie, "", -1)
	token := r.PostFormValue("t")
	var session string
	err := d.st.Update(r.Context(), func(tx *store.Tx) error {
		session = ""
		q.fail(http.StatusForbidden, "desk.signin.bad")
		pid, s, err := tx.RedeemDeskLink(token, d.cfg.Lifetime)
		var reason string
		switch {
		case errors.Is(err, store.ErrDeskLinkUsed):
			reason = "used"
		case errors.Is(err, store.ErrDeskLinkExpired):
			reason = "expired"
		case errors.Is(err, store.ErrDeskLinkInvalid):
			reason = "invalid"
		case err != nil:
			return err
		}
		if reason != "" {
			// The person behind a used or expired link is not named: the link may have been
			// forwarded, and the log says what was tried, not by whom.
			return tx.AuditRefusal(0, handlers.ChannelDesk, "desk.refused", "desk", "link "+reason)
		}
		p, err := tx.FindPerson(pid)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if rules := handlers.RulesFor(p, d.cfg.Ledger); p == nil || !rules.Can(handlers.PermDesk) {
			if err := tx.EndDeskSession(s); err != nil {
				return err
			}
			return tx.AuditRefusal(pid, handlers.ChannelDesk, "desk.refused", "desk", "role="+string(rules.Role()))
		}
		session = s
		q.redirect = "/desk/"
		return tx.Audit(p.ID, handlers.ChannelDesk, "desk.signin", "desk", "")
	})
	if err != nil {
		d.log.Error("desk sign-in failed", "error", err)
		q.fail(http.StatusInternalServerError, "desk.error")
	}
	if session != "" {
		// A session cookie (no Max-Age): closing the browser ends it; the server ends it
		// after Idle or Lifetime whatever the browser keeps.
		setCookie(rw, r, sessionCookie, session, 0)
	}
	d.write(rw, q)
}

// signout ends the session.
func (d *Desk) signout(tx *store.Tx, q *req) error {
	if err := tx.EndDeskSession(q.v.session); err != nil {
		return err
	}
	if err := tx.Audit(q.v.person.ID, handlers.ChannelDesk, "desk.signout", "desk", ""); err != nil {
		return err
	}
	q.fail(http.StatusOK, "desk.signedout")
	q.signOut = true
	return nil
}
