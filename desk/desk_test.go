package desk_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"xuncha/bot"
	"xuncha/desk"
	"xuncha/handlers"
	"xuncha/internal/syncbuf"
	"xuncha/store"
	"xuncha/store/storetest"
)

// world is one test's server: the web chat at / and the desk at /desk/ on a real store.
type world struct {
	t      *testing.T
	db     *store.DB
	raw    *sql.DB
	srv    *httptest.Server
	log    *syncbuf.Buffer
	ledger *handlers.Ledger

	mu  sync.Mutex
	now time.Time

	tw1, tw2, v1, v3 int64
	official         int64 // of township 1
	official2        int64 // of township 2
	admin            int64
	unit1, unit2     int64 // case1, org
	officer          int64
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	w := &world{t: t, db: storetest.Open(t, path), log: &syncbuf.Buffer{}, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	w.db.Now = func() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	w.raw = raw
	if _, err := w.db.ImportPlaces(ctx, []store.PlaceRow{
		{Township: "新站镇", Village: "东风村", Class: "key"},
		{Township: "天岗镇", Village: "红旗村", Class: "general"},
	}); err != nil {
		t.Fatal(err)
	}
	if w.tw1, w.v1, err = w.db.FindPlaceByName(ctx, "新站镇", "东风村"); err != nil {
		t.Fatal(err)
	}
	if w.tw2, w.v3, err = w.db.FindPlaceByName(ctx, "天岗镇", "红旗村"); err != nil {
		t.Fatal(err)
	}
	if w.ledger, err = handlers.LoadLedger(""); err != nil {
		t.Fatal(err)
	}
	cats, err := handlers.LoadCategories("")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(w.log, nil))
	engine := handlers.New(logger, w.db, handlers.Config{Categories: cats, Location: time.UTC, Ledger: w.ledger})
	d, err := desk.New(logger, w.db, engine, desk.Config{Ledger: w.ledger, Categories: cats, Location: time.UTC, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	web := bot.NewWeb(logger, engine, w.db, handlers.LangZH)
	mux := http.NewServeMux()
	mux.Handle("/", web.Handler())
	mux.Handle("/desk/", d.Handler())
	w.srv = httptest.NewServer(mux)
	t.Cleanup(w.srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", w.log.String())
		}
	})

	w.official = w.person(store.RoleOfficial, w.tw1, "")
	w.official2 = w.person(store.RoleOfficial, w.tw2, "")
	w.admin = w.person(store.RoleAdmin, 0, "")
	w.unit1 = w.person(store.RoleUnit, 0, "case1")
	w.unit2 = w.person(store.RoleUnit, 0, "市委组织部")
	w.officer = w.person(store.RoleOfficer, w.tw1, "")
	return w
}

func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now = w.now.Add(d)
}

// person binds a new person of a role to a chat of their own and returns their id.
func (w *world) person(role store.Role, township int64, unit string) int64 {
	w.t.Helper()
	ctx := context.Background()
	code, err := w.db.CreateInvitation(ctx, &store.Invitation{Role: role, TownshipID: township, Unit: unit, ExpiresAt: w.now.Add(time.Hour)})
	if err != nil {
		w.t.Fatal(err)
	}
	var id int64
	err = w.db.Update(ctx, func(tx *store.Tx) error {
		chat, err := tx.EnsureChat(handlers.PlatformTelegram, fmt.Sprintf("%s-%d-%s", role, township, unit), handlers.LangZH, false)
		if err != nil {
			return err
		}
		p, err := tx.RedeemInvitation(code, chat.ID)
		if err != nil {
			return err
		}
		id = p.ID
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// pngBytes is a small image, as the intake would have stored it.
func pngBytes(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		for y := range 30 {
			img.Set(x, y, color.RGBA{200, uint8(x * 6), uint8(y * 8), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// report files a resident's report with files and its clue, optionally transferred to a unit.
func (w *world) report(township, village int64, subject, text, unit string, files map[string][]byte) *store.Clue {
	w.t.Helper()
	var c *store.Clue
	err := w.db.Update(context.Background(), func(tx *store.Tx) error {
		var atts []store.Attachment
		for name, data := range files {
			mime := "application/pdf"
			if strings.HasSuffix(name, ".png") {
				mime = "image/png"
			}
			sha, err := tx.PutBlob(data, mime)
			if err != nil {
				return err
			}
			atts = append(atts, store.Attachment{SHA256: sha, Name: name})
		}
		r := &store.Report{Category: "benefits", TownshipID: township, VillageID: village, Subject: subject, Description: text,
			Anonymous: true, Lang: handlers.LangZH}
		if _, err := tx.CreateReport(r, atts); err != nil {
			return err
		}
		c = &store.Clue{Source: store.ClueFromReport, ReportID: r.ID, Title: "侵害群众利益", Subject: subject, Summary: text,
			TownshipID: township, VillageID: village}
		if _, err := tx.CreateClue(c); err != nil {
			return err
		}
		if unit != "" {
			u := w.ledger.CanonicalUnit(unit)
			s := store.ClueTransferred
			due := w.now.Add(72 * time.Hour)
			if err := tx.UpdateClue(c.ID, store.ClueUpdate{Unit: &u, Status: &s, DueAt: &due}); err != nil {
				return err
			}
			c.Unit = u
		}
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// browser is one signed-in (or not) client with its own cookies.
type browser struct {
	w      *world
	c      *http.Client
	header http.Header
}

func (w *world) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{w: w, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, header: http.Header{}}
}

func (b *browser) do(method, path string, form url.Values) (*http.Response, string) {
	b.w.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.w.srv.URL+path, body)
	if err != nil {
		b.w.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.w.srv.URL)
	}
	req.Header.Set("Accept-Language", "zh-CN")
	for k, v := range b.header {
		req.Header[k] = v
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.w.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res, string(data)
}

func (b *browser) get(path string) (*http.Response, string) { return b.do(http.MethodGet, path, nil) }

var (
	preRE  = regexp.MustCompile(`name="pre" value="([^"]+)"`)
	csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// link issues a sign-in link for a person and returns its path.
func (w *world) link(person int64) string {
	w.t.Helper()
	token, err := w.db.CreateDeskLink(context.Background(), person, handlers.DeskLinkTTL)
	if err != nil {
		w.t.Fatal(err)
	}
	u, _ := url.Parse(handlers.DeskLink("", token))
	return u.RequestURI()
}

// follow opens a link and presses the sign-in button; it returns the POST's response.
func (b *browser) follow(link string) (*http.Response, string) {
	b.w.t.Helper()
	res, page := b.get(link)
	if res.StatusCode != http.StatusOK {
		b.w.t.Fatalf("sign-in page: %d\n%s", res.StatusCode, page)
	}
	m := preRE.FindStringSubmatch(page)
	if m == nil {
		b.w.t.Fatalf("no sign-in form:\n%s", page)
	}
	u, _ := url.Parse(link)
	return b.do(http.MethodPost, "/desk/signin", url.Values{"t": {u.Query().Get("t")}, "pre": {m[1]}})
}

// signIn signs a person in and returns their browser.
func (w *world) signIn(person int64) *browser {
	w.t.Helper()
	b := w.browser()
	res, page := b.follow(w.link(person))
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/desk/" {
		w.t.Fatalf("sign-in of person %d: %d %s\n%s", person, res.StatusCode, res.Header.Get("Location"), page)
	}
	return b
}

func (b *browser) csrf() string {
	b.w.t.Helper()
	_, page := b.get("/desk/")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		b.w.t.Fatalf("no CSRF token on the ledger page:\n%s", page)
	}
	return m[1]
}

func (w *world) count(query string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.raw.QueryRow(query, args...).Scan(&n); err != nil {
		w.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (w *world) clue(id int64) *store.Clue {
	w.t.Helper()
	var c *store.Clue
	if err := w.db.Update(context.Background(), func(tx *store.Tx) (err error) { c, err = tx.FindClue(id); return err }); err != nil {
		w.t.Fatal(err)
	}
	return c
}

// TestDeskSignIn: a link signs its person in once, within 10 minutes; the session cookie is
// HttpOnly and SameSite=Strict (and __Host-/Secure over HTTPS); sign-out ends it; a resident's
// web-chat cookie opens nothing.
func TestDeskSignIn(t *testing.T) {
	w := newWorld(t)

	// Opening the link (a chat app's preview does) spends nothing.
	link := w.link(w.official)
	b := w.browser()
	b.get(link)
	res, _ := b.follow(link)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in after a preview: %d", res.StatusCode)
	}
	var session *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "xuncha_desk" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/", session)
	}
	if res, page := b.get("/desk/"); res.StatusCode != http.StatusOK || !strings.Contains(page, "线索台账") {
		t.Errorf("ledger after sign-in: %d", res.StatusCode)
	}

	t.Run("replayed link", func(t *testing.T) {
		other := w.browser()
		res, page := other.follow(link)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(page, "已使用") {
			t.Errorf("a used link: %d\n%s", res.StatusCode, page)
		}
		if res, _ := other.get("/desk/"); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("the replay opened a session: %d", res.StatusCode)
		}
	})
	t.Run("expired link", func(t *testing.T) {
		late := w.link(w.official)
		w.advance(10*time.Minute + time.Second)
		other := w.browser()
		if res, _ := other.follow(late); res.StatusCode != http.StatusForbidden {
			t.Errorf("a link after 10 minutes: %d", res.StatusCode)
		}
		if res, _ := other.get("/desk/"); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("the expired link opened a session: %d", res.StatusCode)
		}
	})
	t.Run("sign-in without the form's pair", func(t *testing.T) {
		other := w.browser()
		u, _ := url.Parse(w.link(w.official))
		if res, _ := other.do(http.MethodPost, "/desk/signin", url.Values{"t": {u.Query().Get("t")}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("a sign-in POST without the page's token: %d", res.StatusCode)
		}
	})
	t.Run("resident cookie", func(t *testing.T) {
		resident := w.browser()
		res, _ := resident.get("/") // the web chat gives the browser its chat cookie
		if len(res.Cookies()) == 0 {
			t.Fatal("the web chat set no cookie")
		}
		if res, page := resident.get("/desk/"); res.StatusCode != http.StatusUnauthorized || strings.Contains(page, "JH-") {
			t.Errorf("a resident's web-chat cookie on the desk: %d", res.StatusCode)
		}
		// Even the chat cookie's value sent as a desk session is nothing.
		var chat string
		for _, c := range res.Cookies() {
			chat = c.Value
		}
		forged := w.browser()
		forged.header.Set("Cookie", "xuncha_desk="+chat)
		if res, _ := forged.get("/desk/"); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("a chat cookie's value as a desk session: %d", res.StatusCode)
		}
	})
	t.Run("officer", func(t *testing.T) {
		other := w.browser()
		if res, _ := other.follow(w.link(w.officer)); res.StatusCode != http.StatusForbidden {
			t.Errorf("an information officer's link: %d, want 403", res.StatusCode)
		}
	})
	t.Run("https", func(t *testing.T) {
		other := w.browser()
		other.header.Set("X-Forwarded-Proto", "https")
		res, _ := other.follow(w.link(w.admin))
		var name string
		var secure bool
		for _, c := range res.Cookies() {
			if strings.HasSuffix(c.Name, "xuncha_desk") {
				name, secure = c.Name, c.Secure
			}
		}
		if name != "__Host-xuncha_desk" || !secure {
			t.Errorf("over https the session cookie is %q secure=%v, want __Host-xuncha_desk, Secure", name, secure)
		}
	})
	t.Run("idle", func(t *testing.T) {
		other := w.signIn(w.admin)
		w.advance(31 * time.Minute)
		if res, _ := other.get("/desk/"); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("a session idle for 31 minutes: %d", res.StatusCode)
		}
	})
	t.Run("sign-out", func(t *testing.T) {
		other := w.signIn(w.admin)
		token := other.csrf()
		if res, page := other.do(http.MethodPost, "/desk/signout", url.Values{"csrf": {token}}); res.StatusCode != http.StatusOK || !strings.Contains(page, "已退出") {
			t.Errorf("sign-out: %d", res.StatusCode)
		}
		if res, _ := other.get("/desk/"); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("after sign-out: %d", res.StatusCode)
		}
	})
	if n := w.count(`SELECT COUNT(*) FROM audit WHERE channel = 'desk' AND action = 'desk.refused'`); n != 3 {
		t.Errorf("%d desk.refused audit rows, want 3 (the used, expired and officer's links)", n)
	}
}

// TestDeskScope: nobody reaches a clue or a file outside their scope by changing an id.
func TestDeskScope(t *testing.T) {
	w := newWorld(t)
	photo := pngBytes(t)
	mine := w.report(w.tw1, w.v1, "东风村村委会", "惠农补贴被截留", "case1", map[string][]byte{"现场.png": photo})
	other := w.report(w.tw2, w.v3, "红旗村合作社", "账目不公开", "org", map[string][]byte{"账本.pdf": []byte("%PDF-1.4 secret")})
	var otherFile int64
	if err := w.raw.QueryRow(`SELECT id FROM report_attachments WHERE report_id = ?`, other.ReportID).Scan(&otherFile); err != nil {
		t.Fatal(err)
	}
	var mineFile int64
	if err := w.raw.QueryRow(`SELECT id FROM report_attachments WHERE report_id = ?`, mine.ReportID).Scan(&mineFile); err != nil {
		t.Fatal(err)
	}
	refusals := func() int {
		return w.count(`SELECT COUNT(*) FROM audit WHERE channel = 'desk' AND action = 'ledger.refused'`)
	}

	t.Run("other township's clue", func(t *testing.T) {
		b := w.signIn(w.official)
		if res, page := b.get(fmt.Sprintf("/desk/clue/%d", mine.ID)); res.StatusCode != http.StatusOK || !strings.Contains(page, "惠农补贴被截留") {
			t.Errorf("own township's clue: %d", res.StatusCode)
		}
		before := refusals()
		res, page := b.get(fmt.Sprintf("/desk/clue/%d", other.ID))
		if res.StatusCode != http.StatusNotFound || strings.Contains(page, "账目不公开") {
			t.Errorf("another township's clue: %d", res.StatusCode)
		}
		if refusals() != before+1 {
			t.Error("the attempt is not audit-logged")
		}
		_, page = b.get("/desk/?status=all&tw=" + fmt.Sprint(w.tw2))
		if strings.Contains(page, other.Number) {
			t.Error("the ledger filtered to another township lists its clue")
		}
	})
	t.Run("other unit's clue and file by id", func(t *testing.T) {
		b := w.signIn(w.unit1)
		_, page := b.get("/desk/")
		if !strings.Contains(page, mine.Number) || strings.Contains(page, other.Number) {
			t.Errorf("a unit's ledger: lists its clue %v, another's %v", strings.Contains(page, mine.Number), strings.Contains(page, other.Number))
		}
		if res, _ := b.get(fmt.Sprintf("/desk/clue/%d", other.ID)); res.StatusCode != http.StatusNotFound {
			t.Errorf("another unit's clue: %d", res.StatusCode)
		}
		if res, body := b.get(fmt.Sprintf("/desk/clue/%d/file/%d", other.ID, otherFile)); res.StatusCode != http.StatusNotFound || strings.Contains(body, "secret") {
			t.Errorf("another unit's file through its clue: %d", res.StatusCode)
		}
		if res, body := b.get(fmt.Sprintf("/desk/clue/%d/file/%d", mine.ID, otherFile)); res.StatusCode != http.StatusNotFound || strings.Contains(body, "secret") {
			t.Errorf("another unit's file through the unit's own clue: %d", res.StatusCode)
		}
		if res, body := b.get(fmt.Sprintf("/desk/clue/%d/file/%d", mine.ID, mineFile)); res.StatusCode != http.StatusOK || body != string(photo) {
			t.Errorf("the unit's own evidence: %d", res.StatusCode)
		}
		if res, _ := b.get("/desk/export"); res.StatusCode != http.StatusForbidden {
			t.Errorf("a unit's export: %d, want 403", res.StatusCode)
		}
		token := b.csrf()
		res, _ := b.do(http.MethodPost, fmt.Sprintf("/desk/clue/%d/act", other.ID), url.Values{"csrf": {token}, "verb": {"ack"}})
		if res.StatusCode != http.StatusNotFound || !w.clue(other.ID).AckedAt.IsZero() {
			t.Errorf("acknowledging another unit's clue: %d", res.StatusCode)
		}
		res, _ = b.do(http.MethodPost, fmt.Sprintf("/desk/clue/%d/act", mine.ID), url.Values{"csrf": {token}, "verb": {"close"}, "confirm": {"1"}})
		if res.StatusCode != http.StatusForbidden || w.clue(mine.ID).Status == store.ClueClosed {
			t.Errorf("a unit closing a clue: %d, status %s", res.StatusCode, w.clue(mine.ID).Status)
		}
	})
	t.Run("withdrawn role", func(t *testing.T) {
		b := w.signIn(w.official)
		if res, _ := b.get("/desk/"); res.StatusCode != http.StatusOK {
			t.Fatalf("before: %d", res.StatusCode)
		}
		// The role is withdrawn (xuncha people revoke): the next request is refused and the
		// session is over, whatever the cookie says.
		if _, err := w.db.WithdrawPerson(context.Background(), w.official, "cli", "left the post"); err != nil {
			t.Fatal(err)
		}
		if res, page := b.get("/desk/"); res.StatusCode != http.StatusForbidden || strings.Contains(page, mine.Number) {
			t.Errorf("after the withdrawal: %d", res.StatusCode)
		}
		if res, _ := b.get("/desk/"); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("the session outlived the withdrawal: %d", res.StatusCode)
		}
		// A link issued before the withdrawal opens nothing either.
		if res, _ := w.browser().follow(w.link(w.official)); res.StatusCode != http.StatusForbidden {
			t.Errorf("a withdrawn person's link: %d", res.StatusCode)
		}
	})
}

// TestDeskActions: an action needs the CSRF token and the same origin; with them it runs
// through the chat's code, audit-logged with the channel desk, and the page shows the result.
func TestDeskActions(t *testing.T) {
	w := newWorld(t)
	c := w.report(w.tw1, w.v1, "东风村村委会", "惠农补贴被截留", "", nil)
	b := w.signIn(w.official)
	act := fmt.Sprintf("/desk/clue/%d/act", c.ID)
	form := url.Values{"verb": {"dispose"}, "disposal": {"verify"}, "form": {"2"}}

	if res, _ := b.do(http.MethodPost, act, form); res.StatusCode != http.StatusForbidden {
		t.Errorf("POST without the CSRF token: %d", res.StatusCode)
	}
	form.Set("csrf", "0123456789abcdef0123456789abcdef")
	if res, _ := b.do(http.MethodPost, act, form); res.StatusCode != http.StatusForbidden {
		t.Errorf("POST with a wrong CSRF token: %d", res.StatusCode)
	}
	form.Set("csrf", b.csrf())
	b.header.Set("Origin", "https://evil.example")
	req, _ := http.NewRequest(http.MethodPost, w.srv.URL+act, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if res, err := b.c.Do(req); err != nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("POST from another origin: %v %v", res.StatusCode, err)
	}
	b.header.Del("Origin")
	if got := w.clue(c.ID); got.Disposal != "" {
		t.Fatalf("a refused POST changed the clue: %+v", got)
	}
	if n := w.count(`SELECT COUNT(*) FROM audit WHERE channel = 'desk' AND action = 'desk.csrf'`); n != 3 {
		t.Errorf("%d desk.csrf audit rows, want 3", n)
	}

	res, _ := b.do(http.MethodPost, act, form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("dispose: %d", res.StatusCode)
	}
	got := w.clue(c.ID)
	if got.Disposal != "verify" || got.Form != 2 || got.Status != store.ClueDisposed || got.KeeperID != w.official {
		t.Errorf("after dispose: %+v", got)
	}
	_, page := b.get(fmt.Sprintf("/desk/clue/%d", c.ID))
	if !strings.Contains(page, "初步核实") || !strings.Contains(page, "已记录") && !strings.Contains(page, "处置") {
		t.Errorf("the clue page does not show the disposal:\n%s", page)
	}
	res, _ = b.do(http.MethodPost, act, url.Values{"csrf": {form.Get("csrf")}, "verb": {"transfer"}, "unit": {"case1"}, "days": {"15"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("transfer: %d", res.StatusCode)
	}
	if got := w.clue(c.ID); got.Unit != w.ledger.CanonicalUnit("case1") || got.DueAt.IsZero() {
		t.Errorf("after transfer: %+v", got)
	}
	for _, action := range []string{"clue.disposal", "clue.transfer", "clue.read", "ledger.list"} {
		if n := w.count(`SELECT COUNT(*) FROM audit WHERE channel = 'desk' AND action = ? AND person_id = ?`, action, w.official); n == 0 {
			t.Errorf("no %s audit row with the channel desk", action)
		}
	}
	// The unit is told in its chat, as when the transfer is made in chat.
	if n := w.count(`SELECT COUNT(*) FROM outbox WHERE chat_id = (SELECT id FROM chats WHERE person_id = ?)`, w.unit1); n != 1 {
		t.Errorf("%d messages queued to the unit's chat, want 1", n)
	}
}

// TestDeskLedger: filters, Chinese search, paging and the export with the same filters;
// every text escaped; photos inline and files as downloads, never sniffed.
func TestDeskLedger(t *testing.T) {
	w := newWorld(t)
	photo := pngBytes(t)
	xss := `<script>alert(1)</script>`
	a := w.report(w.tw1, w.v1, xss, "小区路灯坏了三天没人修", "", map[string][]byte{"路灯.png": photo, "说明.pdf": []byte("%PDF-1.4")})
	w.report(w.tw1, w.v1, "东风村村委会", "惠农补贴被截留", "", nil)
	w.report(w.tw1, 0, "新站镇财政所", "违规发放补贴", "", nil)
	w.report(w.tw2, w.v3, "红旗村", "账目不公开", "", nil)
	b := w.signIn(w.admin)

	_, page := b.get("/desk/?q=" + url.QueryEscape("路灯"))
	if !strings.Contains(page, a.Number) || strings.Contains(page, "惠农补贴") || !strings.Contains(page, "共 1 条") {
		t.Errorf("search 路灯:\n%s", page)
	}
	if strings.Contains(page, xss) || !strings.Contains(page, "&lt;script&gt;") {
		t.Error("the subject is not escaped in the ledger")
	}
	// The colour of each clue on its clock, in words: a new clue on time is green.
	if !strings.Contains(page, `<span class="light green" title="待会商研判">🟢绿灯·按期</span>`) {
		t.Errorf("the ledger does not show the clue's colour:\n%s", page)
	}
	_, page = b.get("/desk/?tw=" + fmt.Sprint(w.tw1))
	if !strings.Contains(page, "共 3 条") || !strings.Contains(page, "第 1 / 2 页") || !strings.Contains(page, "下一页") {
		t.Errorf("township filter with pages of 2:\n%s", page)
	}
	if !strings.Contains(page, `href="?p=2&amp;tw=`) {
		t.Error("the next page's link does not keep the filters")
	}
	res, body := b.get("/desk/export?format=csv&q=" + url.QueryEscape("补贴"))
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %s", res.StatusCode, res.Header.Get("Content-Disposition"))
	}
	if strings.Count(body, "JH-") != 2 || strings.Contains(body, "路灯") {
		t.Errorf("the export does not hold the filtered clues only:\n%s", body)
	}

	res, page = b.get(fmt.Sprintf("/desk/clue/%d", a.ID))
	if res.StatusCode != http.StatusOK || strings.Contains(page, xss) || !strings.Contains(page, "小区路灯坏了三天没人修") {
		t.Errorf("clue page: %d, escaped %v", res.StatusCode, !strings.Contains(page, xss))
	}
	if !strings.Contains(page, `<span class="light green">🟢绿灯·按期</span> · 待会商研判`) {
		t.Error("the clue page does not show the clue's colour and stage")
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q", csp)
	}
	if strings.Contains(page, "<script") || strings.Contains(page, " style=") || strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("the page holds inline script or style, or an outside address")
	}
	imgs := regexp.MustCompile(`<img src="(/desk/clue/\d+/file/\d+)"`).FindAllStringSubmatch(page, -1)
	downloads := regexp.MustCompile(`<a href="(/desk/clue/\d+/file/\d+)" download>`).FindAllStringSubmatch(page, -1)
	if len(imgs) != 1 || len(downloads) != 1 {
		t.Fatalf("%d images inline and %d downloads, want 1 and 1", len(imgs), len(downloads))
	}
	res, body = b.get(imgs[0][1])
	if res.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "inline") || body != string(photo) ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("photo: %v", res.Header)
	}
	res, _ = b.get(downloads[0][1])
	if res.Header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("file: %v", res.Header)
	}
	if n := w.count(`SELECT COUNT(*) FROM audit WHERE channel = 'desk' AND action = 'clue.file'`); n != 2 {
		t.Errorf("%d clue.file audit rows, want 2", n)
	}
	// No identifying data in the log: the server logged nothing about the requests.
	if strings.Contains(w.log.String(), "路灯") || strings.Contains(w.log.String(), "t=") {
		t.Errorf("the log holds request data:\n%s", w.log.String())
	}
}

// TestDeskCardActions: the clue card's keeper, clock, referral and real-name actions work on
// the desk for an official through the chat's code, audit-logged with the channel desk; a
// unit member sees none of their forms and a POST of each is refused and changes nothing; a
// POST without the CSRF token is refused.
func TestDeskCardActions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	c := w.report(w.tw1, w.v1, "东风村村委会", "惠农补贴被截留", "case1", nil)
	fresh := w.report(w.tw1, w.v1, "东风村会计", "低保优亲厚友", "", nil)
	c = w.clue(c.ID) // as stored, transferred
	days := strconv.Itoa(w.ledger.DueDays[0])
	var objection int64
	if err := w.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.AddDuty(&store.Duty{ClueID: c.ID, Kind: store.DutyObjection, Seq: 1, Body: "处理不公", DueAt: w.now.Add(240 * time.Hour)})
		if err != nil {
			return err
		}
		duties, err := tx.ClueDuties(c.ID)
		objection = duties[0].ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	forms := map[string]url.Values{
		"keeper":    {"keeper": {strconv.FormatInt(w.official, 10)}},
		"pause":     {"text": {"等待审计结果出具"}},
		"resume":    {},
		"extend":    {"days": {days}, "text": {"案情复杂需延长"}},
		"refer":     {"body": {"petition"}},
		"notaccept": {"text": {"不属于受理范围"}, "confirm": {"1"}},
		"result":    {"text": {"经核查，问题属实，已督促整改"}},
		"objection": {"duty": {strconv.FormatInt(objection, 10)}, "text": {"已复核，维持原处理意见"}},
	}
	post := func(b *browser, clue int64, verb, csrf string) int {
		t.Helper()
		f := url.Values{"verb": {verb}}
		for k, v := range forms[verb] {
			f[k] = v
		}
		if csrf != "" {
			f.Set("csrf", csrf)
		}
		res, _ := b.do(http.MethodPost, fmt.Sprintf("/desk/clue/%d/act", clue), f)
		return res.StatusCode
	}
	unchanged := func(what string) {
		t.Helper()
		got := w.clue(c.ID)
		if got.KeeperID != 0 || !got.PausedAt.IsZero() || !got.DueAt.Equal(c.DueAt) || got.Status != c.Status || got.Disposal != "" {
			t.Errorf("%s changed the clue: %+v", what, got)
		}
		if n := w.count(`SELECT COUNT(*) FROM realname_duties WHERE clue_id = ? AND done_at IS NOT NULL`, c.ID); n != 0 {
			t.Errorf("%s completed %d duties", what, n)
		}
		if n := w.count(`SELECT COUNT(*) FROM clue_events WHERE clue_id = ? AND kind IN ('paused', 'resumed', 'extended', 'not_accepted', 'result_notice', 'objection_answer', 'keeper')`, c.ID); n != 0 {
			t.Errorf("%s wrote %d timeline rows", what, n)
		}
	}

	t.Run("unit member", func(t *testing.T) {
		b := w.signIn(w.unit1)
		_, page := b.get(fmt.Sprintf("/desk/clue/%d", c.ID))
		for _, id := range []string{"keeper-form", "pause", "resume", "extend", "refer", "notaccept", "result", "objection"} {
			if strings.Contains(page, `id="`+id+`"`) {
				t.Errorf("the unit's page offers the %s form", id)
			}
		}
		if !strings.Contains(page, `id="keeper"`) || !strings.Contains(page, "计时中") {
			t.Errorf("the unit's page does not show the keeper and the clock:\n%s", page)
		}
		token := b.csrf()
		for verb := range forms {
			if code := post(b, c.ID, verb, token); code != http.StatusForbidden {
				t.Errorf("a unit member's %s: %d, want 403", verb, code)
			}
			unchanged("a unit member's " + verb)
		}
		if n := w.count(`SELECT COUNT(*) FROM audit WHERE channel = 'desk' AND action = 'ledger.refused' AND person_id = ?`, w.unit1); n != len(forms) {
			t.Errorf("%d refusals audit-logged, want %d", n, len(forms))
		}
	})

	b := w.signIn(w.official)
	t.Run("no CSRF", func(t *testing.T) {
		for verb := range forms {
			if code := post(b, c.ID, verb, ""); code != http.StatusForbidden {
				t.Errorf("%s without the CSRF token: %d, want 403", verb, code)
			}
			unchanged(verb + " without the CSRF token")
		}
	})

	token := b.csrf()
	_, page := b.get(fmt.Sprintf("/desk/clue/%d", c.ID))
	for _, id := range []string{"keeper-form", "pause", "extend", "notaccept", "objection"} {
		if !strings.Contains(page, `id="`+id+`"`) {
			t.Errorf("the official's page lacks the %s form", id)
		}
	}
	step := func(clue int64, verb string, check func(*store.Clue) bool) {
		t.Helper()
		if code := post(b, clue, verb, token); code != http.StatusSeeOther {
			t.Fatalf("%s: %d", verb, code)
		}
		if got := w.clue(clue); !check(got) {
			t.Errorf("after %s: %+v", verb, got)
		}
	}
	step(c.ID, "keeper", func(g *store.Clue) bool { return g.KeeperID == w.official })
	step(c.ID, "pause", func(g *store.Clue) bool { return !g.PausedAt.IsZero() })
	if _, page := b.get(fmt.Sprintf("/desk/clue/%d", c.ID)); !strings.Contains(page, "计时已暂停") || !strings.Contains(page, `id="resume"`) {
		t.Errorf("the page does not show the pause:\n%s", page)
	}
	step(c.ID, "resume", func(g *store.Clue) bool { return g.PausedAt.IsZero() })
	before := w.clue(c.ID).DueAt
	step(c.ID, "extend", func(g *store.Clue) bool { return g.DueAt.After(before) })
	step(c.ID, "notaccept", func(g *store.Clue) bool {
		return g.Status == store.ClueClosed && g.Disposal == handlers.DisposalNotAccepted
	})
	step(c.ID, "result", func(*store.Clue) bool { return true })
	step(c.ID, "objection", func(*store.Clue) bool { return true })
	if n := w.count(`SELECT COUNT(*) FROM realname_duties WHERE id = ? AND done_at IS NOT NULL`, objection); n != 1 {
		t.Errorf("the objection is not answered")
	}
	step(fresh.ID, "refer", func(g *store.Clue) bool { return g.Disposal == store.DisposalReferred })
	_, page = b.get(fmt.Sprintf("/desk/clue/%d", fresh.ID))
	if !strings.Contains(page, `id="duties"`) || !strings.Contains(page, "市信访局") {
		t.Errorf("the page does not show the referral:\n%s", page)
	}
	for _, action := range []string{"clue.keeper", "clue.pause", "clue.resume", "clue.extend", "clue.not_accepted",
		"clue.result_notice", "clue.objection_answer", "clue.refer"} {
		if n := w.count(`SELECT COUNT(*) FROM audit WHERE channel = 'desk' AND action = ? AND person_id = ?`, action, w.official); n != 1 {
			t.Errorf("%d %s audit rows with the channel desk, want 1", n, action)
		}
	}
}
