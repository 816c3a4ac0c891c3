package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"xuncha/handlers"
	"xuncha/handlers/media"
	"xuncha/store"
	"xuncha/store/storetest"
)

// The permission tests: one subtest per row of docs/PERMISSIONS.md. Each refusal must also be
// in the audit log. Helpers are prefixed lt so they do not collide with other test files.

type ltEnv struct {
	db       *store.DB
	e        *handlers.Engine
	tw, tw2  int64 // 新站镇, 天岗镇
	village  int64 // 东风村 in 新站镇
	seq      atomic.Int64
	ledger   *handlers.Ledger
	clueTw   *store.Clue // in 新站镇, transferred to case1, from a real-name report with a linked chat
	clueOrg  *store.Clue // in 新站镇, transferred to org
	clueTw2  *store.Clue // in 天岗镇, not transferred
	reporter string      // the chat that filed clueTw's report
	path     string      // the database file
}

func ltSetup(t *testing.T) *ltEnv {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	db := storetest.Open(t, path)
	if _, err := db.ImportPlaces(ctx, []store.PlaceRow{
		{Township: "新站镇", Village: "东风村", Class: "key"}, {Township: "天岗镇", Village: "红旗村", Class: "general"},
	}); err != nil {
		t.Fatal(err)
	}
	en := &ltEnv{db: db, path: path}
	var err error
	if en.tw, en.village, err = db.FindPlaceByName(ctx, "新站镇", "东风村"); err != nil {
		t.Fatal(err)
	}
	if en.tw2, _, err = db.FindPlaceByName(ctx, "天岗镇", ""); err != nil {
		t.Fatal(err)
	}
	if en.ledger, err = handlers.LoadLedger(""); err != nil {
		t.Fatal(err)
	}
	en.e = handlers.New(slog.New(slog.DiscardHandler), db, withCategories(t, handlers.Config{Scrub: media.Scrub, Location: time.UTC, Ledger: en.ledger}))

	// A real-name report with a kept chat link becomes clueTw; two more clues beside it.
	en.reporter = "reporter-chat"
	en.send(t, en.reporter, "/start")
	err = db.Update(ctx, func(tx *store.Tx) error {
		chat, err := tx.EnsureChat(handlers.PlatformWeb, en.reporter, "zh", false)
		if err != nil {
			return err
		}
		r := &store.Report{Category: "interests", TownshipID: en.tw, VillageID: en.village, Subject: "东风村会计",
			Description: "截留补贴", Lang: "zh", ReporterChat: chat.ID, Contact: &store.Contact{Name: "赵六", Phone: "13800000001"}}
		if _, err := tx.CreateReport(r, nil); err != nil {
			return err
		}
		en.clueTw = &store.Clue{ReportID: r.ID, Subject: r.Subject, Summary: r.Description, TownshipID: en.tw, VillageID: en.village}
		en.clueOrg = &store.Clue{Source: store.ClueFromInspection, Subject: "新站镇农经站", TownshipID: en.tw}
		en.clueTw2 = &store.Clue{Source: store.ClueFromInspection, Subject: "天岗镇财政所", TownshipID: en.tw2}
		for _, c := range []*store.Clue{en.clueTw, en.clueOrg, en.clueTw2} {
			if _, err := tx.CreateClue(c); err != nil {
				return err
			}
		}
		for c, unit := range map[*store.Clue]string{en.clueTw: "case1", en.clueOrg: "org"} {
			u, s := en.ledger.CanonicalUnit(unit), store.ClueTransferred
			c.Unit = u
			if err := tx.UpdateClue(c.ID, store.ClueUpdate{Unit: &u, Status: &s}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return en
}

// ltOut is what one step answered the sender, and what it queued for others.
type ltOut struct {
	text   string
	rows   [][]store.Button
	others []handlers.Outgoing
}

// has reports whether a button's data is data.
func (o ltOut) has(data string) bool {
	return o.any(func(b store.Button) bool { return b.Data == data })
}

// any reports whether one of the buttons is match's.
func (o ltOut) any(match func(store.Button) bool) bool {
	for _, r := range o.rows {
		if slices.ContainsFunc(r, match) {
			return true
		}
	}
	return false
}

func (en *ltEnv) handle(t *testing.T, m handlers.Message) ltOut {
	t.Helper()
	m.Platform = handlers.PlatformWeb
	m.MsgID = fmt.Sprintf("lt%d", en.seq.Add(1))
	res, err := en.e.Handle(context.Background(), m)
	if err != nil {
		t.Fatalf("handle %+v: %v", m, err)
	}
	var o ltOut
	for _, out := range res.Out {
		for _, r := range out.Buttons {
			for _, b := range r {
				if len(b.Data) > 64 { // Telegram's limit on callback data
					t.Errorf("button data over 64 bytes: %q", b.Data)
				}
			}
		}
		if out.ToSender {
			o.text += out.Text + "\n"
			o.rows = append(o.rows, out.Buttons...)
		} else {
			o.others = append(o.others, out)
		}
	}
	return o
}

func (en *ltEnv) send(t *testing.T, chat, text string) ltOut {
	t.Helper()
	return en.handle(t, handlers.Message{ChatID: chat, Text: text})
}

func (en *ltEnv) press(t *testing.T, chat, data string) ltOut {
	t.Helper()
	return en.handle(t, handlers.Message{ChatID: chat, Data: data})
}

// bind gives chat a role through a real invitation.
func (en *ltEnv) bind(t *testing.T, chat string, role store.Role, township, village int64, unit string) {
	t.Helper()
	code, err := en.db.CreateInvitation(context.Background(), &store.Invitation{Role: role, TownshipID: township,
		VillageID: village, Unit: unit, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if o := en.send(t, chat, "/bind "+code); !strings.Contains(o.text, "绑定成功") {
		t.Fatalf("bind %s: %s", role, o.text)
	}
}

// refusals returns the objects of the refusals in the audit log, oldest first.
func (en *ltEnv) refusals(t *testing.T) []string {
	t.Helper()
	entries, err := en.db.AuditEntries(context.Background(), store.AuditFilter{Action: "ledger.refused", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(entries) - 1; i >= 0; i-- {
		out = append(out, entries[i].Object)
	}
	return out
}

// mustRefuse checks that a step was refused and that the refusal was audit-logged on object.
func (en *ltEnv) mustRefuse(t *testing.T, o ltOut, object string) {
	t.Helper()
	if !strings.Contains(o.text, "没有权限") {
		t.Fatalf("not refused: %s", o.text)
	}
	got := en.refusals(t)
	if len(got) == 0 || got[len(got)-1] != object {
		t.Fatalf("refusal on %q not audit-logged; audit has %v", object, got)
	}
}

func (en *ltEnv) mustAllow(t *testing.T, o ltOut, want string) {
	t.Helper()
	if strings.Contains(o.text, "没有权限") || !strings.Contains(o.text, want) {
		t.Fatalf("want %q, got: %s", want, o.text)
	}
}

func open(c *store.Clue) string { return fmt.Sprintf("lg:o:%d", c.ID) }

func TestLedgerPermissions(t *testing.T) {
	t.Run("resident sees no ledger and no clue", func(t *testing.T) {
		en := ltSetup(t)
		en.mustRefuse(t, en.send(t, "r", "/ledger"), "ledger")
		en.mustRefuse(t, en.send(t, "r", "/clue "+en.clueTw.Number), "clue:"+en.clueTw.Number)
		en.mustRefuse(t, en.press(t, "r", open(en.clueTw)), "clue:"+en.clueTw.Number)
		en.mustRefuse(t, en.send(t, "r", "/stats"), "ledger")
		en.mustRefuse(t, en.send(t, "r", "/export"), "ledger")
	})
	t.Run("officer and liaison cannot open the ledger", func(t *testing.T) {
		en := ltSetup(t)
		en.bind(t, "officer", store.RoleOfficer, en.tw, en.village, "")
		en.bind(t, "liaison", store.RoleLiaison, en.tw, 0, "")
		for _, chat := range []string{"officer", "liaison"} {
			en.mustRefuse(t, en.send(t, chat, "/ledger"), "ledger")
			en.mustRefuse(t, en.press(t, chat, "lg:l:new"), "ledger")
			en.mustRefuse(t, en.send(t, chat, "/clue "+en.clueTw.Number), "clue:"+en.clueTw.Number)
			en.mustRefuse(t, en.press(t, chat, fmt.Sprintf("lg:st:%d", en.clueTw.ID)), "clue:"+en.clueTw.Number)
		}
	})
	t.Run("unit member sees only the unit's clues", func(t *testing.T) {
		en := ltSetup(t)
		en.bind(t, "unit", store.RoleUnit, 0, 0, "市纪委监委第一纪检监察室") // by name; clues keep the key
		en.mustAllow(t, en.send(t, "unit", "/clue "+en.clueTw.Number), "线索 "+en.clueTw.Number)
		en.mustRefuse(t, en.send(t, "unit", "/clue "+en.clueOrg.Number), "clue:"+en.clueOrg.Number)
		en.mustRefuse(t, en.press(t, "unit", open(en.clueOrg)), "clue:"+en.clueOrg.Number)
		en.mustRefuse(t, en.press(t, "unit", fmt.Sprintf("lg:ack:%d", en.clueOrg.ID)), "clue:"+en.clueOrg.Number)
		list := en.send(t, "unit", "/clues")
		if !strings.Contains(list.text, en.clueTw.Number) || strings.Contains(list.text, en.clueOrg.Number) || strings.Contains(list.text, en.clueTw2.Number) {
			t.Errorf("unit list: %s", list.text)
		}
		en.mustRefuse(t, en.send(t, "unit", "/ledger"), "ledger")
	})
	t.Run("unit member cannot take the officials' decisions", func(t *testing.T) {
		en := ltSetup(t)
		en.bind(t, "unit", store.RoleUnit, 0, 0, "case1")
		obj := "clue:" + en.clueTw.Number
		for _, verb := range []string{"st", "dp", "tr", "cl", "cy", "rv"} {
			en.mustRefuse(t, en.press(t, "unit", fmt.Sprintf("lg:%s:%d", verb, en.clueTw.ID)), obj)
		}
		en.mustRefuse(t, en.press(t, "unit", fmt.Sprintf("lg:dd:%d:org:15", en.clueTw.ID)), obj)
		// What a unit may do: acknowledge, report progress and the outcome.
		en.mustAllow(t, en.press(t, "unit", fmt.Sprintf("lg:ack:%d", en.clueTw.ID)), "已确认收到")
		en.press(t, "unit", fmt.Sprintf("lg:oc:%d", en.clueTw.ID))
		en.mustAllow(t, en.send(t, "unit", "1 2 3"), "办理结果")
	})
	t.Run("township official sees the township, county official all", func(t *testing.T) {
		en := ltSetup(t)
		en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
		en.bind(t, "county", store.RoleOfficial, 0, 0, "")
		en.mustAllow(t, en.send(t, "town", "/clue "+en.clueTw.Number), "线索 "+en.clueTw.Number)
		en.mustRefuse(t, en.send(t, "town", "/clue "+en.clueTw2.Number), "clue:"+en.clueTw2.Number)
		en.mustRefuse(t, en.press(t, "town", fmt.Sprintf("lg:cy:%d", en.clueTw2.ID)), "clue:"+en.clueTw2.Number)
		en.mustRefuse(t, en.press(t, "town", fmt.Sprintf("lg:l:t:%d", en.tw2)), fmt.Sprintf("township:%d", en.tw2))
		list := en.send(t, "town", "/ledger")
		if !strings.Contains(list.text, en.clueTw.Number) || strings.Contains(list.text, en.clueTw2.Number) {
			t.Errorf("township list: %s", list.text)
		}
		en.mustAllow(t, en.send(t, "county", "/clue "+en.clueTw2.Number), "线索 "+en.clueTw2.Number)
		if list := en.send(t, "county", "/ledger"); !strings.Contains(list.text, en.clueTw2.Number) {
			t.Errorf("county list: %s", list.text)
		}
	})
	t.Run("official decides; cannot do the unit's part", func(t *testing.T) {
		en := ltSetup(t)
		en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
		c := en.clueOrg
		en.mustAllow(t, en.press(t, "town", fmt.Sprintf("lg:d:%d:verify", c.ID)), "四种形态")
		en.mustAllow(t, en.press(t, "town", fmt.Sprintf("lg:f:%d:verify:2", c.ID)), "已记录")
		en.mustRefuse(t, en.press(t, "town", fmt.Sprintf("lg:ack:%d", c.ID)), "clue:"+c.Number)
		en.mustRefuse(t, en.press(t, "town", fmt.Sprintf("lg:oc:%d", c.ID)), "clue:"+c.Number)
		en.mustAllow(t, en.send(t, "town", "/newclue"), "涉及哪个人")
		en.send(t, "town", "东风村会计")
		// The same subject as clueTw: linked as a repeat.
		en.mustAllow(t, en.send(t, "town", "巡察发现账目不清"), "重复线索")
	})
	t.Run("only an administrator sees a real-name reporter, with a reason, audit-logged", func(t *testing.T) {
		en := ltSetup(t)
		en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
		en.bind(t, "admin", store.RoleAdmin, 0, 0, "")
		rv := fmt.Sprintf("lg:rv:%d", en.clueTw.ID)
		if o := en.press(t, "town", open(en.clueTw)); o.has(rv) || strings.Contains(o.text, "赵六") {
			t.Errorf("an official is offered the contact: %s", o.text)
		}
		en.mustRefuse(t, en.press(t, "town", rv), "clue:"+en.clueTw.Number)
		o := en.press(t, "admin", open(en.clueTw))
		if !o.has(rv) || strings.Contains(o.text, "赵六") {
			t.Fatalf("admin's view: %s", o.text)
		}
		en.mustAllow(t, en.press(t, "admin", rv), "理由")
		en.mustAllow(t, en.send(t, "admin", "短"), "至少")
		en.mustAllow(t, en.send(t, "admin", "需要当面核实举报内容"), "赵六，13800000001")
		got, err := en.db.AuditEntries(context.Background(), store.AuditFilter{Action: "clue.reveal"})
		if err != nil || len(got) != 1 || got[0].Detail != "需要当面核实举报内容" || got[0].Object != "clue:"+en.clueTw.Number {
			t.Errorf("reveal audit %+v %v", got, err)
		}
	})
	t.Run("only the reporter answers, only an official relays", func(t *testing.T) {
		en := ltSetup(t)
		en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
		en.bind(t, "unit", store.RoleUnit, 0, 0, "case1")
		en.press(t, "unit", fmt.Sprintf("lg:ask:%d", en.clueTw.ID))
		o := en.send(t, "unit", "您还记得具体日期吗？")
		// The question goes to the official only, as an offer to relay it.
		var relay string
		for _, out := range o.others {
			if !strings.Contains(out.Text, "请转达") {
				t.Errorf("a unit's question went elsewhere than to the official: %q", out.Text)
			}
			for _, r := range out.Buttons {
				for _, b := range r {
					if strings.HasPrefix(b.Data, "lg:rl:") {
						relay = b.Data
					}
				}
			}
		}
		if len(o.others) != 1 || relay == "" {
			t.Fatalf("no relay offer: %+v", o.others)
		}
		qid := strings.TrimPrefix(relay, "lg:rl:")
		en.mustRefuse(t, en.press(t, "unit", relay), "clue:"+en.clueTw.Number)
		// The question reaches the reporter's chat through the sealed link: it is queued in the
		// store and never passes through the step's result, which names its recipients.
		if o := en.press(t, "town", relay); len(o.others) != 0 || !strings.Contains(o.text, "已转达") {
			t.Fatalf("relay: %s %+v", o.text, o.others)
		}
		ctx := context.Background()
		chat, err := en.db.FindChat(ctx, handlers.PlatformWeb, en.reporter)
		if err != nil {
			t.Fatal(err)
		}
		box, err := en.db.Mailbox(ctx, chat, 0, 50)
		if err != nil || len(box) == 0 || !strings.Contains(box[len(box)-1].Message.Text, "您还记得具体日期吗") {
			t.Fatalf("reporter's mailbox: %+v %v", box, err)
		}
		ans := "lg:ans:" + qid
		if o := en.press(t, "stranger", ans); !strings.Contains(o.text, "失效") {
			t.Errorf("a stranger may answer: %s", o.text)
		}
		// The reporter is writing another report when the question comes: answering, or
		// deciding not to, leaves that draft where it was.
		en.send(t, en.reporter, "/report")
		if o := en.press(t, en.reporter, "c:interests"); !strings.Contains(o.text, "乡镇") {
			t.Fatalf("new report: %s", o.text)
		}
		if o := en.press(t, en.reporter, ans); !strings.Contains(o.text, "请输入您的回答") {
			t.Fatalf("reporter cannot answer: %s", o.text)
		}
		if o := en.press(t, en.reporter, "x"); !strings.Contains(o.text, "继续您未完成的举报") || !strings.Contains(o.text, "乡镇") {
			t.Fatalf("cancelling the answer: %s; want the report's township question again", o.text)
		}
		en.press(t, en.reporter, ans)
		o = en.send(t, en.reporter, "三月五日")
		if !strings.Contains(o.text, "已转给办理人员") || len(o.others) != 2 {
			t.Errorf("answer: %s, %d notices", o.text, len(o.others))
		}
		if !strings.Contains(o.text, "继续您未完成的举报") || !strings.Contains(o.text, "乡镇") {
			t.Errorf("after the answer: %s; want the report's township question again", o.text)
		}
		if o := en.press(t, en.reporter, fmt.Sprintf("t:%d", en.tw)); !strings.Contains(o.text, "村") {
			t.Errorf("the resumed report does not go on: %s", o.text)
		}
		got, _ := en.db.AuditEntries(context.Background(), store.AuditFilter{Action: "relay.refused"})
		if len(got) != 1 {
			t.Errorf("the stranger's attempt is not audit-logged: %+v", got)
		}
	})
}

// TestLedgerHeldReactivated: a held clue wakes up when its reporter adds material by query code.
func TestLedgerHeldReactivated(t *testing.T) {
	en := ltSetup(t)
	en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
	en.press(t, "town", fmt.Sprintf("lg:f:%d:hold:0", en.clueTw.ID))
	c := en.findClue(t, en.clueTw.ID)
	if c.Status != store.ClueHeld {
		t.Fatalf("status %s, want held", c.Status)
	}
	// A second report whose query code the test keeps (only its hash is stored), held too.
	var code string
	err := en.db.Update(context.Background(), func(tx *store.Tx) (err error) {
		r := &store.Report{Category: "interests", TownshipID: en.tw, Description: "再次反映", Lang: "zh"}
		if code, err = tx.CreateReport(r, nil); err != nil {
			return err
		}
		held := store.ClueHeld
		cl := &store.Clue{ReportID: r.ID, TownshipID: en.tw, Subject: "其他对象"}
		if _, err := tx.CreateClue(cl); err != nil {
			return err
		}
		en.clueOrg = cl
		return tx.UpdateClue(cl.ID, store.ClueUpdate{Status: &held})
	})
	if err != nil {
		t.Fatal(err)
	}
	en.send(t, "someone", code)
	en.press(t, "someone", "q:add")
	o := en.send(t, "someone", "补充：有新的收据照片")
	if len(o.others) != 1 || !strings.Contains(o.others[0].Text, "重新激活") {
		t.Errorf("officials not told: %+v", o.others)
	}
	if c := en.findClue(t, en.clueOrg.ID); c.Status != store.ClueNew {
		t.Errorf("status after supplement %s, want new", c.Status)
	}
}

func (en *ltEnv) findClue(t *testing.T, id int64) *store.Clue {
	t.Helper()
	var c *store.Clue
	err := en.db.Update(context.Background(), func(tx *store.Tx) (err error) {
		c, err = tx.FindClue(id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoadLedger(t *testing.T) {
	l, err := handlers.LoadLedger("")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Dispositions) != 5 || len(l.Forms) != 4 || l.CanonicalUnit("org") != "市委组织部" || l.CanonicalUnit("外单位") != "外单位" || l.DisposalName("hold", "zh") != "暂存待查" {
		t.Errorf("built-in ledger %+v", l)
	}
	if a := l.UnitAliases(); a["case1"] != "市纪委监委第一纪检监察室" || a["Commission case office 1"] != "市纪委监委第一纪检监察室" || a["市纪委监委第一纪检监察室"] != "" {
		t.Errorf("unit aliases %v", a)
	}
	bad := filepath.Join(t.TempDir(), "l.json")
	for _, body := range []string{`{}`, `{"dispositions":[{"key":"a"}],"units":[{"key":"u","zh":"u","en":"u"}],"due_days":[5]}`, `nonsense`} {
		if err := os.WriteFile(bad, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := handlers.LoadLedger(bad); err == nil {
			t.Errorf("accepted %s", body)
		}
	}
}

func TestWeekdays(t *testing.T) {
	fri := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	got := handlers.Weekdays{}.AddWorkingDays(fri, 3)
	if got.Format("2006-01-02 Mon") != "2026-12-02 Wed" {
		t.Errorf("3 working days after Friday: %s", got.Format("2006-01-02 Mon"))
	}
}

// TestLedgerRefusalKeepsDraft: a resident who types a ledger command in the middle of a report
// is refused and keeps the draft.
func TestLedgerRefusalKeepsDraft(t *testing.T) {
	en := ltSetup(t)
	en.send(t, "r", "/report")
	en.press(t, "r", "c:interests")
	en.mustRefuse(t, en.send(t, "r", "/ledger"), "ledger")
	if o := en.press(t, "r", fmt.Sprintf("t:%d", en.tw)); !strings.Contains(o.text, "哪个村") {
		t.Errorf("the draft was lost: %s", o.text)
	}
}

// TestLedgerRoundAndOutcome: the round filter lists the clues of the round under way, and an
// outcome typed with full-width digits is understood.
func TestLedgerRoundAndOutcome(t *testing.T) {
	en := ltSetup(t)
	en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
	en.bind(t, "unit", store.RoleUnit, 0, 0, "case1")
	if o := en.press(t, "town", "lg:l:round"); !strings.Contains(o.text, "没有进行中的巡察轮次") {
		t.Errorf("no round: %s", o.text)
	}
	err := en.db.Update(context.Background(), func(tx *store.Tx) error {
		return tx.CreateRound(&store.Round{Name: "第五轮", StartsAt: time.Now().Add(-time.Hour), EndsAt: time.Now().Add(40 * 24 * time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	en.send(t, "town", "/newclue")
	en.send(t, "town", "胜利村书记")
	number := lgNumber.FindString(en.send(t, "town", "巡察发现违规发放补贴").text)
	o := en.press(t, "town", "lg:l:round")
	if number == "" || !strings.Contains(o.text, number) || strings.Contains(o.text, en.clueTw.Number) {
		t.Errorf("round list (want only %q): %s", number, o.text)
	}
	en.press(t, "unit", fmt.Sprintf("lg:oc:%d", en.clueTw.ID))
	en.mustAllow(t, en.send(t, "unit", "１，２，０"), "已记录")
	if c := en.findClue(t, en.clueTw.ID); !c.CaseFiled || c.Disciplined != 2 || c.OrgHandled != 0 {
		t.Errorf("outcome %+v", c)
	}
	en.press(t, "unit", fmt.Sprintf("lg:oc:%d", en.clueTw.ID))
	en.mustAllow(t, en.send(t, "unit", "2 1 1"), "格式不对") // case filed is 0 or 1
}

var lgNumber = regexp.MustCompile(`JH-\d{4}-\d{4}`)

// TestLedgerTextsExist: every text key the ledger names exists in both languages; a missing key
// would show the key itself to a user.
func TestLedgerTextsExist(t *testing.T) {
	files, err := filepath.Glob("ledger*.go")
	if err != nil {
		t.Fatal(err)
	}
	var src []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, b...)
	}
	keys := regexp.MustCompile(`"(lg\.[a-z.]+[a-z])"`).FindAllStringSubmatch(string(src), -1)
	if len(keys) < 50 {
		t.Fatalf("only %d keys found: the pattern is wrong", len(keys))
	}
	for _, k := range keys {
		for _, lang := range []string{handlers.LangZH, handlers.LangEN} {
			if handlers.T(lang, k[1]) == k[1] {
				t.Errorf("text %q missing", k[1])
			}
		}
	}
	for _, prefix := range []string{"lg.status.", "lg.ms."} {
		for _, k := range []string{"new", "studied", "disposed", "transferred", "handling", "held", "closed", "accepted", "concluded"} {
			if prefix == "lg.ms." && k != "accepted" && k != "transferred" && k != "concluded" {
				continue
			}
			if prefix == "lg.status." && (k == "accepted" || k == "concluded") {
				continue
			}
			if handlers.T(handlers.LangEN, prefix+k) == prefix+k {
				t.Errorf("text %q missing", prefix+k)
			}
		}
	}
}

// TestLedgerOverdueLadder: the overdue list shows where each clue stands on the scheduler's
// escalation ladder, and filters by level.
func TestLedgerOverdueLadder(t *testing.T) {
	en := ltSetup(t)
	en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
	due := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	err := en.db.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.UpdateClue(en.clueTw.ID, store.ClueUpdate{DueAt: &due}); err != nil {
			return err
		}
		return tx.SetLadder(en.clueTw.ID, due, store.LadderReminder, time.Now().Add(time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	o := en.press(t, "town", "lg:l:over")
	if !strings.Contains(o.text, en.clueTw.Number+" ·") || !strings.Contains(o.text, "已发提醒函") || strings.Contains(o.text, en.clueOrg.Number) {
		t.Errorf("overdue list: %s", o.text)
	}
	if o := en.press(t, "town", "lg:l:over:3"); strings.Contains(o.text, en.clueTw.Number+" ·") {
		t.Errorf("level 3 list holds a level 2 clue: %s", o.text)
	}
	if o := en.press(t, "town", "lg:l:over:2"); !strings.Contains(o.text, en.clueTw.Number+" ·") {
		t.Errorf("level 2 list: %s", o.text)
	}
}

// hasText reports whether a button's label is text.
func (o ltOut) hasText(text string) bool {
	return o.any(func(b store.Button) bool { return b.Text == text })
}

// TestLedgerColours: every open clue on a clock shows its colour, in words, in the chat lists,
// on the clue card (with its stage and the day it entered it) and in the export, in Chinese
// and English: an untouched new clue sent a supervision letter is red, a transferred clue
// nudged before its deadline yellow; studied, the new clue is in the next stage, green again.
func TestLedgerColours(t *testing.T) {
	en := ltSetup(t)
	en.bind(t, "county", store.RoleAdmin, 0, 0, "")
	code, err := en.db.CreateInvitation(context.Background(), &store.Invitation{Role: store.RoleAdmin, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	en.handle(t, handlers.Message{ChatID: "county-en", Text: "/bind " + code, Lang: handlers.LangEN})
	due := time.Now().Add(10 * 24 * time.Hour).Truncate(time.Second)
	var stageAt time.Time
	err = en.db.Update(context.Background(), func(tx *store.Tx) error {
		c, err := tx.FindClue(en.clueTw2.ID)
		if err != nil {
			return err
		}
		stageAt = c.StageAt
		if err := tx.SetStageLadder(c.ID, store.ClueNew, c.StageAt, store.LadderSupervision, time.Time{}); err != nil {
			return err
		}
		if err := tx.UpdateClue(en.clueOrg.ID, store.ClueUpdate{DueAt: &due}); err != nil {
			return err
		}
		return tx.SetLadder(en.clueOrg.ID, due, store.LadderNudge, due)
	})
	if err != nil {
		t.Fatal(err)
	}
	line := func(text, number string) string {
		for _, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(l, number+" ") {
				return l
			}
		}
		return ""
	}
	for _, tc := range []struct {
		chat, red, yellow, card string
	}{
		{"county", "🔴红灯·已发督办函", "🔵蓝灯·已催办", "办理阶段：待会商研判（自 " + stageAt.Format("2006-01-02") + " 起）；🔴红灯·已发督办函"},
		{"county-en", "🔴 red: supervision letter", "🔵 blue: nudged", "Stage: awaiting joint study (since " + stageAt.Format("2006-01-02") + "); 🔴 red: supervision letter"},
	} {
		o := en.press(t, tc.chat, "lg:l:open")
		if l := line(o.text, en.clueTw2.Number); !strings.Contains(l, tc.red) {
			t.Errorf("%s: list line of the untouched clue %q lacks %q:\n%s", tc.chat, l, tc.red, o.text)
		}
		if l := line(o.text, en.clueOrg.Number); !strings.Contains(l, tc.yellow) {
			t.Errorf("%s: list line of the nudged clue %q lacks %q", tc.chat, l, tc.yellow)
		}
		if o := en.press(t, tc.chat, fmt.Sprintf("lg:o:%d", en.clueTw2.ID)); !strings.Contains(o.text, tc.card) {
			t.Errorf("%s: card lacks %q:\n%s", tc.chat, tc.card, o.text)
		}
	}
	var rows [][]string
	err = en.db.View(context.Background(), func(tx *store.Tx) error {
		rows, _, err = handlers.LedgerRows(tx, store.ClueFilter{}, time.UTC, en.ledger, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	stage, colour := slices.Index(handlers.LedgerHeaders, "办理阶段"), slices.Index(handlers.LedgerHeaders, "预警")
	for _, r := range rows {
		if r[0] == en.clueTw2.Number && (r[stage] != "待会商研判" || r[colour] != "🔴红灯·已发督办函") {
			t.Errorf("export row: stage %q, colour %q", r[stage], r[colour])
		}
	}
	// Studied: the next stage's clock, green.
	err = en.db.Update(context.Background(), func(tx *store.Tx) error {
		s := store.ClueStudied
		return tx.UpdateClue(en.clueTw2.ID, store.ClueUpdate{Status: &s})
	})
	if err != nil {
		t.Fatal(err)
	}
	if o := en.press(t, "county", fmt.Sprintf("lg:o:%d", en.clueTw2.ID)); !strings.Contains(o.text, "办理阶段：待提出处置意见") || !strings.Contains(o.text, "🟢绿灯·按期") {
		t.Errorf("card after the study:\n%s", o.text)
	}
}
