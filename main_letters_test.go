package main

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"strconv"
	"strings"
	"testing"
	"time"

	"xuncha/bot/telegramtest"
	"xuncha/internal/docx/docxtest"
	"xuncha/internal/syncbuf"
	"xuncha/store"
	"xuncha/store/storetest"
)

// letterWorld is a served program on the Telegram fake with people bound straight in the
// store, as their /start CODE would have left them.
type letterWorld struct {
	t    *testing.T
	fake *telegramtest.Server
	env  func(string) string
	path string
}

func newLetterWorld(t *testing.T, extra ...string) *letterWorld {
	t.Helper()
	fake, tg := fakeTelegram(t, "987654:LETTER-token")
	path, env := testDB(t, append(tg, extra...)...)
	return &letterWorld{t: t, fake: fake, env: env, path: path}
}

// workdayToday imports a calendar in which today is a working day, and returns now in the
// program's time zone: the ladder writes letters on working days, and the tests' letters must
// be written whatever day they run.
func (w *letterWorld) workdayToday() time.Time {
	w.t.Helper()
	now := time.Now().In(mustLoc(w.t, "Asia/Shanghai"))
	cal := writeFile(w.t, w.t.TempDir(), "cal.csv", []byte("date,kind\n"+now.Format("2006-01-02")+",workday\n"))
	mustRun(w.t, w.env, "calendar", "import", cal)
	return now
}

// update runs fn on the store while serve is not running.
func (w *letterWorld) update(fn func(ctx context.Context, db *store.DB, tx *store.Tx) error) {
	w.t.Helper()
	ctx := context.Background()
	db := storetest.Open(w.t, w.path)
	defer db.Close()
	if err := db.Update(ctx, func(tx *store.Tx) error { return fn(ctx, db, tx) }); err != nil {
		w.t.Fatal(err)
	}
}

// bind gives Telegram chat ext a role; it returns the person's id.
func (w *letterWorld) bind(ext int64, inv store.Invitation) int64 {
	w.t.Helper()
	ctx := context.Background()
	db := storetest.Open(w.t, w.path)
	defer db.Close()
	inv.ExpiresAt = time.Now().Add(time.Hour)
	code, err := db.CreateInvitation(ctx, &inv)
	if err != nil {
		w.t.Fatal(err)
	}
	var id int64
	if err := db.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.EnsureChat("telegram", strconv.FormatInt(ext, 10), "zh", false)
		if err != nil {
			return err
		}
		p, err := tx.RedeemInvitation(code, c.ID)
		if err != nil {
			return err
		}
		id = p.ID
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
	return id
}

// place finds a township (and village) by name.
func (w *letterWorld) place(township, village string) (int64, int64) {
	w.t.Helper()
	db := storetest.Open(w.t, w.path)
	defer db.Close()
	tw, v, err := db.FindPlaceByName(context.Background(), township, village)
	if err != nil {
		w.t.Fatal(err)
	}
	return tw, v
}

// waitDocument waits for a document sent to chat under name.
func (w *letterWorld) waitDocument(chat int64, name string) telegramtest.Document {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, d := range w.fake.Documents() {
			if d.ChatID == strconv.FormatInt(chat, 10) && d.Name == name {
				return d
			}
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("no document %s to chat %d; documents: %+v", name, chat, w.fake.Documents())
		}
		time.Sleep(20 * time.Millisecond) // polling for the delivery worker, not an assertion
	}
}

// TestLetterFileTelegram: when the ladder issues a reminder letter, the unit's Telegram chat
// gets the letter as a .docx (sendDocument, multipart) with the letter's text as its caption
// and the acknowledge button; the document is laid out as an official letter with the number,
// the unit as addressee, the issuing office from XUNCHA_OFFICE_NAME and the date in Chinese.
func TestLetterFileTelegram(t *testing.T) {
	w := newLetterWorld(t, "XUNCHA_OFFICE_NAME", "蛟河市委巡察工作领导小组办公室")
	now := w.workdayToday()
	const unitChat = 5551001
	w.bind(unitChat, store.Invitation{Role: store.RoleUnit, Unit: "case1"})
	tw, _ := w.place("新站镇", "")
	var number string
	w.update(func(_ context.Context, _ *store.DB, tx *store.Tx) error {
		c := &store.Clue{Source: store.ClueFromInspection, Title: "巡察发现", Subject: "新站镇农经站", TownshipID: tw, ReceivedAt: now.AddDate(0, -1, 0)}
		if _, err := tx.CreateClue(c); err != nil {
			return err
		}
		number = c.Number
		unit, status, due := "市纪委监委第一纪检监察室", store.ClueTransferred, now.AddDate(0, 0, -3)
		return tx.UpdateClue(c.ID, store.ClueUpdate{Unit: &unit, Status: &status, DueAt: &due})
	})

	startServer(t, w.env, &syncbuf.Buffer{}) // the ladder's catch-up pass issues the letter
	letter := "提醒〔" + strconv.Itoa(now.Year()) + "〕1号"
	d := w.waitDocument(unitChat, letter+".docx")
	if !strings.Contains(d.Caption, "【提醒函】"+letter) || !strings.Contains(d.Caption, number) {
		t.Errorf("caption %q", d.Caption)
	}
	sent := w.fake.WaitText(t, unitChat, 0, "【提醒函】")
	if !strings.Contains(sent.ReplyMarkup, "已签收") {
		t.Errorf("the letter has no acknowledge button: %s", sent.ReplyMarkup)
	}
	doc := docxtest.Document(t, d.Data)
	due := now.AddDate(0, 0, -3)
	for _, want := range []string{letter, "关于督促办理问题线索的提醒函", "市纪委监委第一纪检监察室：", number,
		strconv.Itoa(due.Year()) + "年" + strconv.Itoa(int(due.Month())) + "月" + strconv.Itoa(due.Day()) + "日",
		"蛟河市委巡察工作领导小组办公室",
		strconv.Itoa(now.Year()) + "年" + strconv.Itoa(int(now.Month())) + "月" + strconv.Itoa(now.Day()) + "日"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the letter does not say %q", want)
		}
	}
}

// TestStageLetterFileTelegram: a clue nobody studied for about four months (past the 65
// working days of the stage "awaiting joint study") gets its reminder letter from the first
// pass of serve, to the township's office since nobody keeps it, as a .docx that says what the
// letter is about: the stage and the day the clue entered it, not a deadline it never had.
func TestStageLetterFileTelegram(t *testing.T) {
	w := newLetterWorld(t)
	now := w.workdayToday()
	tw, _ := w.place("新站镇", "")
	const officeChat = 5551011
	w.bind(officeChat, store.Invitation{Role: store.RoleOfficial, TownshipID: tw})
	received := now.AddDate(0, -4, -10)
	var number string
	w.update(func(_ context.Context, _ *store.DB, tx *store.Tx) error {
		c := &store.Clue{Source: store.ClueFromInspection, Title: "巡察发现", Subject: "新站镇农经站", TownshipID: tw, ReceivedAt: received}
		_, err := tx.CreateClue(c)
		number = c.Number
		return err
	})

	startServer(t, w.env, &syncbuf.Buffer{})
	letter := "提醒〔" + strconv.Itoa(now.Year()) + "〕1号"
	d := w.waitDocument(officeChat, letter+".docx")
	if !strings.Contains(d.Caption, "【提醒函】"+letter) || !strings.Contains(d.Caption, number) || !strings.Contains(d.Caption, "待会商研判") {
		t.Errorf("caption %q", d.Caption)
	}
	doc := docxtest.Document(t, d.Data)
	for _, want := range []string{letter, "关于督促推进问题线索办理的提醒函", number, "待会商研判",
		strconv.Itoa(received.Year()) + "年" + strconv.Itoa(int(received.Month())) + "月" + strconv.Itoa(received.Day()) + "日"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the letter does not say %q", want)
		}
	}
	if strings.Contains(doc, "办理期限") {
		t.Error("the letter speaks of a deadline the clue never had")
	}
}

// TestClueFilesTelegram: /clue lists a report's files, supplements included, and the clue's
// letters, each with a button; pressed by the township's official it sends the resident's
// photo (sendDocument) and the letter's .docx to that chat, audit-logged. The same buttons,
// forged by another township's official and by another unit, get a refusal and no file.
func TestClueFilesTelegram(t *testing.T) {
	w := newLetterWorld(t)
	tw, village := w.place("新站镇", "")
	tw2, _ := w.place("天岗镇", "")
	const (
		official  = 5552001
		official2 = 5552002
		otherUnit = 5552003
	)
	w.bind(official, store.Invitation{Role: store.RoleOfficial, TownshipID: tw})
	w.bind(official2, store.Invitation{Role: store.RoleOfficial, TownshipID: tw2})
	w.bind(otherUnit, store.Invitation{Role: store.RoleUnit, Unit: "org"})
	var photo, later bytes.Buffer
	if err := jpeg.Encode(&photo, image.NewGray(image.Rect(0, 0, 16, 16)), nil); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&later, image.NewGray(image.Rect(0, 0, 24, 24)), nil); err != nil {
		t.Fatal(err)
	}
	var number, letter string
	w.update(func(_ context.Context, _ *store.DB, tx *store.Tx) error {
		sha, err := tx.PutBlob(photo.Bytes(), "image/jpeg")
		if err != nil {
			return err
		}
		r := &store.Report{Category: "interests", TownshipID: tw, VillageID: village, Subject: "东风村会计", Description: "截留惠农补贴，发票见照片。",
			Anonymous: true, Lang: "zh"}
		if _, err := tx.CreateReport(r, []store.Attachment{{SHA256: sha, Name: "附件1.jpg", MIME: "image/jpeg", Size: int64(photo.Len())}}); err != nil {
			return err
		}
		sha2, err := tx.PutBlob(later.Bytes(), "image/jpeg")
		if err != nil {
			return err
		}
		if _, err := tx.AddReportEvent(r.ID, "supplement", "补充一张收据", false, []store.Attachment{{SHA256: sha2, Name: "附件2.jpg", MIME: "image/jpeg", Size: int64(later.Len())}}); err != nil {
			return err
		}
		c := &store.Clue{Source: store.ClueFromReport, ReportID: r.ID, Title: "侵害群众利益", Subject: r.Subject, Summary: r.Description, TownshipID: tw, VillageID: village}
		if _, err := tx.CreateClue(c); err != nil {
			return err
		}
		number = c.Number
		unit, status, due := "市纪委监委第一纪检监察室", store.ClueTransferred, time.Now().AddDate(0, 0, -1)
		if err := tx.UpdateClue(c.ID, store.ClueUpdate{Unit: &unit, Status: &status, DueAt: &due}); err != nil {
			return err
		}
		l, err := tx.CreateLetter(c.ID, store.LetterReminder, due, time.Now().Year())
		letter = l.Number
		return err
	})
	// No ladder pass: this test's letter is the one written above.
	w.env = withEnv(w.env, "XUNCHA_SCHEDULER_OFF", "true")
	srv := startServer(t, w.env, &syncbuf.Buffer{})

	updates := &tgUpdates{t: t, fake: w.fake, id: 3000}
	next := updates.next
	card := updates.say(official, "/clue "+number, "附件（2 个")
	for _, want := range []string{"附件1.jpg", "附件2.jpg", "（补充材料）"} {
		if !strings.Contains(card.Text, want) {
			t.Errorf("the clue card does not list %q:\n%s", want, card.Text)
		}
	}
	photoData := telegramtest.ButtonData(t, card, "附件1.jpg")
	letterData := telegramtest.ButtonData(t, card, letter)

	// The official presses the buttons: the photo and the letter come to the official's chat.
	w.fake.AddUpdate(telegramtest.Press(next(), card, photoData))
	if d := w.waitDocument(official, "附件1.jpg"); !bytes.Equal(d.Data, photo.Bytes()) {
		t.Errorf("the official got %d bytes, not the resident's photo", len(d.Data))
	}
	w.fake.AddUpdate(telegramtest.Press(next(), card, letterData))
	if doc := docxtest.Document(t, w.waitDocument(official, letter+".docx").Data); !strings.Contains(doc, letter) || !strings.Contains(doc, "市纪委监委第一纪检监察室") {
		t.Errorf("the letter sent from the card:\n%s", doc)
	}

	// The same buttons, forged by people outside the clue's scope.
	for _, chat := range []int64{official2, otherUnit} {
		under := updates.say(chat, "/help", "/")
		for _, data := range []string{photoData, letterData} {
			updates.send(chat, telegramtest.Press(next(), under, data), "您没有权限")
		}
		for _, d := range w.fake.Documents() {
			if d.ChatID == strconv.FormatInt(chat, 10) {
				t.Errorf("chat %d got %s", chat, d.Name)
			}
		}
	}
	srv.stop(t)

	w.update(func(ctx context.Context, db *store.DB, _ *store.Tx) error {
		entries, err := db.AuditEntries(ctx, store.AuditFilter{})
		if err != nil {
			return err
		}
		got := map[string]int{}
		for _, e := range entries {
			if e.Object == "clue:"+number {
				got[e.Channel+" "+e.Action]++
			}
		}
		if got["telegram clue.file"] != 1 || got["telegram clue.letter"] != 1 || got["telegram ledger.refused"] != 4 {
			t.Errorf("audit entries about the clue: %v", got)
		}
		return nil
	})
}

// withEnv returns getenv with one more variable.
func withEnv(getenv func(string) string, key, value string) func(string) string {
	return func(k string) string {
		if k == key {
			return value
		}
		return getenv(k)
	}
}
