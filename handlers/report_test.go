package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"xuncha/handlers"
	"xuncha/store"
)

func TestResidentReportFlow(t *testing.T) {
	en, e := newEngine(t)
	const chat = "tg-778899001"
	ctx := context.Background()

	r := send(t, e, chat, "/report")
	r.must(t, "请选择问题类别")
	if b := r.button(t, "c:interests"); !strings.Contains(b.Text, "侵害群众利益") {
		t.Errorf("category button text = %q", b.Text)
	}
	r = press(t, e, chat, "c:interests")
	r.must(t, "哪个乡镇")
	r.button(t, fmt.Sprintf("t:%d", en.township))
	r.button(t, fmt.Sprintf("t:%d", en.township2))

	r = press(t, e, chat, fmt.Sprintf("t:%d", en.township))
	r.must(t, "哪个村")
	r.button(t, fmt.Sprintf("v:%d", en.village))
	r.button(t, "v:0")
	if got := r.buttonsWithPrefix("v:"); len(got) != 3 { // 东风村, 胜利村 and "township itself"
		t.Errorf("village buttons = %+v, want the two villages of 新站镇 and v:0", got)
	}

	press(t, e, chat, fmt.Sprintf("v:%d", en.village)).must(t, "涉及哪个人")
	send(t, e, chat, subjectText).must(t, "请描述发生了什么")
	// The description names a time, so the bot goes straight to the files step.
	r = send(t, e, chat, descWithTime)
	r.must(t, "如有照片")
	r.mustNot(t, "什么时间")

	photo := pngFile(t)
	sendFiles(t, e, chat, "", photo).must(t, "已收到附件（共 1 个）")
	r = finishAnon(t, e, chat, "keep")
	r.must(t, "请核对您的举报", descWithTime, "新站镇 东风村", subjectText, "附件：1 个", "匿名（保留聊天联系）")
	r.button(t, "ok")

	r = press(t, e, chat, "ok")
	reporterChat := r.res.ChatID
	codes := codePattern.FindAllString(r.text(), -1)
	if len(codes) != 1 {
		t.Fatalf("want one query code in %q", r.text())
	}
	r.must(t, "您的举报已登记")
	if st := en.state(t, reporterChat); st != nil {
		t.Errorf("conversation not cleared after submit: %s", st)
	}

	rep := en.findReport(t, codes[0])
	if rep.Category != "interests" || rep.TownshipID != en.township || rep.VillageID != en.village ||
		rep.Subject != subjectText || rep.Description != descWithTime || !rep.Anonymous || rep.Status != store.StatusReceived {
		t.Errorf("stored report = %+v", rep)
	}
	if got, err := en.db.ReporterChat(ctx, rep.ID); err != nil || got != reporterChat {
		t.Errorf("ReporterChat = %d, %v; want %d (the link was kept)", got, err, reporterChat)
	}
	wantCount(t, en.count, 1, "reports", `SELECT COUNT(*) FROM reports`)
	wantCount(t, en.count, 1, "attachments with the photo's digest", `SELECT COUNT(*) FROM report_attachments WHERE report_id = ? AND sha256 = ?`, rep.ID, scrubbedSHA(t, photo))

	// Someone else holding the code sees the status, and nothing about the reporter.
	r = send(t, e, "web-other-chat", strings.ReplaceAll(codes[0], " ", ""))
	r.must(t, "已登记", "举报已登记")
	r.mustNot(t, chat, "778899001", subjectText, descWithTime)
	if r.res.ChatID == reporterChat {
		t.Fatal("the other chat got the reporter's chat")
	}
	wantCount(t, en.count, 1, "reports after query", `SELECT COUNT(*) FROM reports`)
}

func TestDuplicateMessageIDChangesNothing(t *testing.T) {
	en, e := newEngine(t)
	ctx := context.Background()

	t.Run("SubmitTwice", func(t *testing.T) {
		const chat = "dup-submit"
		en.toSummary(t, e, chat)
		ok := handlers.Message{Platform: handlers.PlatformWeb, ChatID: chat, MsgID: "submit-1", Data: "ok"}
		first := handle(t, e, ok)
		if first.res.Duplicate || len(codePattern.FindAllString(first.text(), -1)) != 1 {
			t.Fatalf("first submit: duplicate=%v text=%q", first.res.Duplicate, first.text())
		}
		before, err := en.db.OutboxStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		second := handle(t, e, ok)
		if !second.res.Duplicate {
			t.Error("second delivery of the same message id not reported as duplicate")
		}
		if len(second.res.Out) != 0 {
			t.Errorf("duplicate queued %d messages", len(second.res.Out))
		}
		after, err := en.db.OutboxStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if after.Pending != before.Pending {
			t.Errorf("pending outbox rows %d → %d on a duplicate", before.Pending, after.Pending)
		}
		wantCount(t, en.count, 1, "reports", `SELECT COUNT(*) FROM reports`)
	})

	t.Run("MidFlow", func(t *testing.T) {
		const chat = "dup-midflow"
		send(t, e, chat, "/report")
		press(t, e, chat, "c:style")
		press(t, e, chat, fmt.Sprintf("t:%d", en.township))
		r := handle(t, e, handlers.Message{Platform: handlers.PlatformWeb, ChatID: chat, MsgID: "village-1", Data: fmt.Sprintf("v:%d", en.village)})
		r.must(t, "涉及哪个人")
		st := en.state(t, r.res.ChatID)
		// The platform redelivers the same update, here even with different content.
		r = handle(t, e, handlers.Message{Platform: handlers.PlatformWeb, ChatID: chat, MsgID: "village-1", Data: fmt.Sprintf("v:%d", en.village2)})
		if !r.res.Duplicate || len(r.res.Out) != 0 {
			t.Fatalf("duplicate=%v out=%d", r.res.Duplicate, len(r.res.Out))
		}
		if got := en.state(t, r.res.ChatID); string(got) != string(st) {
			t.Errorf("state changed on a duplicate:\n%s\n%s", st, got)
		}
		// The same id on another platform is a different message.
		r = handle(t, e, handlers.Message{Platform: handlers.PlatformTelegram, ChatID: chat, MsgID: "village-1", Text: "/help"})
		if r.res.Duplicate {
			t.Error("a message id of another platform was taken as a duplicate")
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		const chat = "dup-concurrent"
		en.toSummary(t, e, chat)
		reportsBefore := en.count(t, `SELECT COUNT(*) FROM reports`)
		var wg sync.WaitGroup
		results := make([]handlers.Result, 8)
		errs := make([]error, 8)
		for i := range results {
			wg.Go(func() {
				results[i], errs[i] = e.Handle(ctx, handlers.Message{Platform: handlers.PlatformWeb, ChatID: chat, MsgID: "submit-race", Data: "ok"})
			})
		}
		wg.Wait()
		fresh := 0
		for i, res := range results {
			if errs[i] != nil {
				t.Fatalf("handle: %v", errs[i])
			}
			if !res.Duplicate {
				fresh++
			}
		}
		if fresh != 1 {
			t.Errorf("%d of 8 concurrent deliveries were processed, want 1", fresh)
		}
		if n := en.count(t, `SELECT COUNT(*) FROM reports`); n != reportsBefore+1 {
			t.Errorf("reports = %d, want %d", n, reportsBefore+1)
		}
	})
}

func TestConversationSurvivesRestart(t *testing.T) {
	en := newEnv(t)
	const chat = "restart-chat"
	e := en.engine(t)
	en.toDescription(t, e, chat)

	en.reopen(t)
	e = en.engine(t)

	// /start offers to continue, and the next text is taken as the description.
	r := send(t, e, chat, "/start")
	r.button(t, "resume")
	press(t, e, chat, "resume").must(t, "继续您未完成的举报", "请描述发生了什么")
	send(t, e, chat, descWithTime).must(t, "如有照片")
	r = finishAnon(t, e, chat, "none")
	r.must(t, subjectText, descWithTime, "匿名（仅查询码）")

	en.reopen(t)
	e = en.engine(t)
	r = press(t, e, chat, "ok")
	if len(codePattern.FindAllString(r.text(), -1)) != 1 {
		t.Fatalf("no query code after restart: %q", r.text())
	}
	rep := en.findReport(t, codePattern.FindString(r.text()))
	if rep.Subject != subjectText || rep.Description != descWithTime {
		t.Errorf("report = %+v", rep)
	}
	if _, err := en.db.ReporterChat(context.Background(), rep.ID); err == nil {
		t.Error("a report with link:none keeps a link to the reporter's chat")
	}
}

func TestReportAsksForMissingInformation(t *testing.T) {
	tests := []struct {
		name  string
		steps []struct{ text, data, want, notWant string }
	}{
		{
			name: "ShortThenNoTimeThenUnknown",
			steps: []struct{ text, data, want, notWant string }{
				{text: "村干部贪污", want: "具体"},
				{text: "他把修路款挪作他用，金额较大，群众意见很大", want: "什么时间"},
				{data: "u", want: "如有照片"},
			},
		},
		{
			name: "LongWithoutTime",
			steps: []struct{ text, data, want, notWant string }{
				{text: "村会计把修路的专项资金挪给自己亲戚的公司使用，群众意见很大", want: "什么时间", notWant: "具体"},
				{text: "去年秋收", want: "如有照片"},
			},
		},
		{
			name: "LongWithTime",
			steps: []struct{ text, data, want, notWant string }{
				{text: descWithTime, want: "如有照片", notWant: "什么时间"},
			},
		},
		{
			name: "ShortWithTimeAsksOnlyMore",
			steps: []struct{ text, data, want, notWant string }{
				{text: "昨天村里收了钱", want: "具体"},
				{text: "每户收取两百元卫生费没有收据", want: "如有照片", notWant: "什么时间"},
			},
		},
	}
	en, e := newEngine(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := "missing-" + tt.name
			en.toDescription(t, e, chat)
			for _, s := range tt.steps {
				var r reply
				if s.data != "" {
					r = press(t, e, chat, s.data)
				} else {
					r = send(t, e, chat, s.text)
				}
				r.must(t, s.want)
				r.mustNot(t, s.notWant)
			}
			r := finishAnon(t, e, chat, "none")
			r.must(t, "请核对您的举报")
			if tt.name == "ShortThenNoTimeThenUnknown" {
				// Both answers are kept, and the skipped time shows as not given.
				r.must(t, "村干部贪污\n他把修路款挪作他用", "时间：未说明")
			}
		})
	}
}

func TestOutOfScopeCategoryRedirects(t *testing.T) {
	tests := []struct {
		category, want string
	}{
		{"service", "12345"},
		{"private", "调解"},
		{"litigation", "人民法院"},
	}
	en, e := newEngine(t)
	for _, tt := range tests {
		t.Run(tt.category, func(t *testing.T) {
			chat := "scope-" + tt.category
			send(t, e, chat, "/report")
			r := press(t, e, chat, "c:"+tt.category)
			r.must(t, tt.want)
			r.button(t, "menu:report") // back to the menu
			if st := en.state(t, r.res.ChatID); st != nil {
				t.Errorf("flow still open: %s", st)
			}
			// The flow ended: a following text is not taken as a report answer.
			send(t, e, chat, "他们不修路灯").must(t, "您好")
		})
	}
	wantCount(t, en.count, 0, "reports", `SELECT COUNT(*) FROM reports`)
}

func TestRealNameReport(t *testing.T) {
	en, e := newEngine(t)
	ctx := context.Background()
	const (
		name  = "张三丰"
		phone = "13812345678"
		chat  = "realname-resident"
	)
	official := en.bind(t, e, "official-chat", store.RoleOfficial, en.township, 0)
	otherOfficial := en.bind(t, e, "official-elsewhere", store.RoleOfficial, en.township2, 0)
	var queued []int64
	var mu sync.Mutex
	e.OnQueued(func(c int64) { mu.Lock(); queued = append(queued, c); mu.Unlock() })

	en.toDescription(t, e, chat)
	send(t, e, chat, descWithTime)
	press(t, e, chat, "done")
	press(t, e, chat, "id:named").must(t, "真实姓名")
	press(t, e, chat, "id:named").must(t, "2 至 30 个字") // a button is not a name
	send(t, e, chat, name).must(t, "手机号码")
	r := send(t, e, chat, "12345")
	r.must(t, "手机号码格式不对")
	send(t, e, chat, "1381234").must(t, "手机号码格式不对") // still at the phone step
	r = send(t, e, chat, phone)
	r.must(t, "请核对您的举报", "实名："+name+"，"+phone)

	r = press(t, e, chat, "ok")
	r.must(t, "您的举报已登记", "15 个工作日")
	code := codePattern.FindString(r.text())
	if code == "" {
		t.Fatalf("no code in %q", r.text())
	}
	if len(r.others) != 1 {
		t.Fatalf("notices = %+v, want one, to the official of 新站镇", r.others)
	}
	notice := r.others[0]
	if notice.ChatID != official || notice.ChatID == otherOfficial {
		t.Errorf("notice went to chat %d, want %d", notice.ChatID, official)
	}
	for _, want := range []string{"【新举报】", "实名", "新站镇 东风村", subjectText} {
		if !strings.Contains(notice.Text, want) {
			t.Errorf("notice lacks %q: %s", want, notice.Text)
		}
	}
	for _, bad := range []string{name, phone, chat} {
		if strings.Contains(notice.Text, bad) {
			t.Errorf("notice reveals %q: %s", bad, notice.Text)
		}
	}
	// The notice is in the official's outbox, and nothing else was queued for it.
	box, err := en.db.Mailbox(ctx, official, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var notices int
	for _, d := range box {
		if strings.Contains(d.Message.Text, "【新举报】") {
			notices++
			if strings.Contains(d.Message.Text, name) || strings.Contains(d.Message.Text, phone) {
				t.Errorf("queued notice reveals the reporter: %s", d.Message.Text)
			}
		}
	}
	if notices != 1 {
		t.Errorf("official's mailbox holds %d notices, want 1", notices)
	}
	mu.Lock()
	sawOfficial := false
	for _, c := range queued {
		sawOfficial = sawOfficial || c == official
	}
	mu.Unlock()
	if !sawOfficial {
		t.Error("OnQueued was not told about the official's notice")
	}
	rep := en.findReport(t, code)
	if rep.Anonymous {
		t.Error("real-name report stored as anonymous")
	}
	if logs := en.log.String(); strings.Contains(logs, name) || strings.Contains(logs, phone) || strings.Contains(logs, chat) {
		t.Errorf("logs reveal the reporter:\n%s", logs)
	}
}

func TestLimits(t *testing.T) {
	en, e := newEngine(t)

	t.Run("TextTooLong", func(t *testing.T) {
		const chat = "limit-long"
		en.toDescription(t, e, chat)
		id := send(t, e, chat, "/help").res.ChatID
		before := en.state(t, id)
		r := send(t, e, chat, strings.Repeat("贪", handlers.MaxTextRunes+1))
		r.must(t, "超过 4096 字")
		if after := en.state(t, id); string(after) != string(before) {
			t.Errorf("state changed:\n%s\n%s", before, after)
		}
		// Exactly the limit is accepted, as the description.
		long := "2024年" + strings.Repeat("贪", handlers.MaxTextRunes-5)
		send(t, e, chat, long).must(t, "如有照片")
	})

	t.Run("TooManyFiles", func(t *testing.T) {
		const chat = "limit-many"
		en.toDescription(t, e, chat)
		send(t, e, chat, descWithTime)
		files := make([]handlers.File, handlers.MaxAttachments+1)
		for i := range files {
			files[i] = pngFile(t)
		}
		sendFiles(t, e, chat, "", files...).must(t, "附件最多 10 个")
		// Six, then five more: the second batch would make eleven and is refused whole.
		sendFiles(t, e, chat, "", files[:6]...).must(t, "共 6 个")
		sendFiles(t, e, chat, "", files[:5]...).must(t, "附件最多 10 个")
		sendFiles(t, e, chat, "", files[:4]...).must(t, "共 10 个")
		finishAnon(t, e, chat, "none").must(t, "附件：10 个")
	})

	t.Run("FileTooBig", func(t *testing.T) {
		const chat = "limit-big"
		en.toDescription(t, e, chat)
		send(t, e, chat, descWithTime)
		sendFiles(t, e, chat, "", handlers.File{Name: "video.mp4", Size: handlers.MaxFileBytes + 1}).must(t, "超过 20MB")
		finishAnon(t, e, chat, "none").must(t, "附件：0 个")
	})

	t.Run("CorruptJPEG", func(t *testing.T) {
		const chat = "limit-corrupt"
		en.toDescription(t, e, chat)
		send(t, e, chat, descWithTime)
		blobs := en.count(t, `SELECT COUNT(*) FROM blobs`)
		bad := []byte("\xff\xd8\xff\xe1garbage")
		r := sendFiles(t, e, chat, "", handlers.File{Name: "x.jpg", Size: int64(len(bad)), Data: bad})
		r.must(t, "无法读取这个文件")
		var st struct {
			Report struct {
				Files []store.Attachment `json:"files"`
			} `json:"report"`
		}
		if err := json.Unmarshal(en.state(t, r.res.ChatID), &st); err != nil {
			t.Fatal(err)
		}
		if len(st.Report.Files) != 0 {
			t.Errorf("draft got attachments %+v", st.Report.Files)
		}
		wantCount(t, en.count, blobs, "a refused file changed the blobs", `SELECT COUNT(*) FROM blobs`)
		// A good photo with a bad one: neither is kept.
		sendFiles(t, e, chat, "", pngFile(t), handlers.File{Name: "x.jpg", Size: int64(len(bad)), Data: bad}).must(t, "无法读取这个文件")
		finishAnon(t, e, chat, "none").must(t, "附件：0 个")
	})

	t.Run("Flood", func(t *testing.T) {
		const chat = "limit-flood"
		var flooded []string
		warnings := 0
		for i := range 30 {
			id := fmt.Sprintf("flood-%d", i)
			r := handle(t, e, handlers.Message{Platform: handlers.PlatformWeb, ChatID: chat, MsgID: id, Text: "你好"})
			switch {
			case strings.Contains(r.text(), "太快"):
				warnings++
				flooded = append(flooded, id)
			case len(r.res.Out) == 0:
				flooded = append(flooded, id) // dropped silently after the one warning
			}
		}
		if warnings != 1 {
			t.Errorf("flood warnings = %d, want 1", warnings)
		}
		if len(flooded) < 5 {
			t.Fatalf("only %d of 30 messages were held back", len(flooded))
		}
		// A flooded message is dropped, not queued: its id is spent with no effect, so a stored
		// update is not retried for ever. A new message after the flood (a restart forgives) is
		// handled normally.
		e2 := en.engine(t)
		last := flooded[len(flooded)-1]
		r := handle(t, e2, handlers.Message{Platform: handlers.PlatformWeb, ChatID: chat, MsgID: last, Text: "你好"})
		if !r.res.Duplicate {
			t.Errorf("flooded message %s was handled when delivered again", last)
		}
		r = handle(t, e2, handlers.Message{Platform: handlers.PlatformWeb, ChatID: chat, MsgID: "after-flood", Text: "你好"})
		if r.res.Duplicate || !strings.Contains(r.text(), "您好") {
			t.Errorf("a new message after the flood: duplicate=%v text=%q", r.res.Duplicate, r.text())
		}
		// A message that was handled stays handled.
		r = handle(t, e2, handlers.Message{Platform: handlers.PlatformWeb, ChatID: chat, MsgID: "flood-0", Text: "你好"})
		if !r.res.Duplicate {
			t.Error("flood-0 was handled before, but not reported as duplicate")
		}
	})

	t.Run("Video", func(t *testing.T) {
		const chat = "limit-video"
		en.toDescription(t, e, chat)
		send(t, e, chat, descWithTime)
		mp4 := []byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41")
		sendFiles(t, e, chat, "", handlers.File{Name: "v.mp4", Size: int64(len(mp4)), Data: mp4}).must(t, "这个文件没有被记录")
		finishAnon(t, e, chat, "none").must(t, "附件：0 个")
	})

	t.Run("FileOutsideFilesStep", func(t *testing.T) {
		const chat = "limit-idle-file"
		doc := []byte("%PDF-1.4\nonly for the idle-file test\n%%EOF\n")
		sendFiles(t, e, chat, "", handlers.File{Name: "a.pdf", Size: int64(len(doc)), Data: doc}).must(t, "不需要附件")
		sum := sha256.Sum256(doc)
		wantCount(t, en.count, 0, "a file sent with no flow open was stored", `SELECT COUNT(*) FROM blobs WHERE sha256 = ?`, hex.EncodeToString(sum[:]))
	})
}

// TestPanicInStepIsContained: a step that panics changes nothing, the sender is told, and the
// message is not processed again when the platform redelivers it.
func TestPanicInStepIsContained(t *testing.T) {
	en := newEnv(t)
	e := handlers.New(slog.New(slog.NewTextHandler(en.log, nil)), en.db, withCategories(t, handlers.Config{
		Location: time.UTC,
		Scrub:    func([]byte) ([]byte, string, error) { panic("scrubber bug") },
	}))
	const chat = "panic-chat"
	en.toDescription(t, e, chat)
	r := send(t, e, chat, descWithTime)
	id := r.res.ChatID
	before := en.state(t, id)
	blobs := en.count(t, `SELECT COUNT(*) FROM blobs`)

	m := handlers.Message{Platform: handlers.PlatformWeb, ChatID: chat, MsgID: "panic-1", Files: []handlers.File{pngFile(t)}}
	r = handle(t, e, m)
	r.must(t, "系统暂时出了问题")
	if after := en.state(t, id); string(after) != string(before) {
		t.Errorf("state changed by a panicking step")
	}
	wantCount(t, en.count, blobs, "the blobs changed", `SELECT COUNT(*) FROM blobs`)
	if r := handle(t, e, m); !r.res.Duplicate {
		t.Error("a message that panicked is processed again on redelivery")
	}
	// The conversation goes on.
	press(t, e, chat, "done").must(t, "请选择举报方式")
	if !strings.Contains(en.log.String(), "scrubber bug") {
		t.Error("the panic was not logged")
	}
}
