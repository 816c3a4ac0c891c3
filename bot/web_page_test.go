package bot

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"xuncha/handlers"
)

// page fetches the chat page as the browser b, with an Accept-Language header.
func (f *webFixture) page(b *browser, acceptLang string) string {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.srv.URL+"/", nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if b.cookie != "" {
		req.Header.Set("Cookie", b.cookie)
	}
	req.Header.Set("Accept-Language", acceptLang)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, c := range res.Cookies() {
		b.cookie = c.Name + "=" + c.Value
	}
	return string(data)
}

// poll answers a poll as the page makes it: with the language its labels are in.
func (f *webFixture) poll(b *browser, after int64, lang string) apiAnswer {
	f.t.Helper()
	_, data := f.do(b, http.MethodGet, "/api/messages?after="+fmt.Sprint(after)+"&lang="+url.QueryEscape(lang), nil)
	var a apiAnswer
	if err := json.Unmarshal(data, &a); err != nil {
		f.t.Fatalf("poll: %v %s", err, data)
	}
	return a
}

// sendData sends a pressed button's data, and returns the server's answer.
func (f *webFixture) sendData(b *browser, text, data string) apiAnswer {
	f.t.Helper()
	b.n++
	body, _ := json.Marshal(map[string]string{"id": fmt.Sprintf("msg-%08d", b.n), "text": text, "data": data})
	_, got := f.do(b, http.MethodPost, "/api/send", body)
	var a apiAnswer
	if err := json.Unmarshal(got, &a); err != nil {
		f.t.Fatalf("send: %v %s", err, got)
	}
	return a
}

// press finds the button labelled label in msgs and presses it.
func (f *webFixture) press(b *browser, msgs []webMessage, label string) {
	f.t.Helper()
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Buttons {
			for _, btn := range row {
				if btn.Text == label {
					f.sendData(b, "", btn.Data)
					return
				}
			}
		}
	}
	f.t.Fatalf("no button %q in %+v", label, msgs)
}

// hasButton reports whether a message offers a button labelled label.
func hasButton(msgs []webMessage, label string) bool {
	for _, m := range msgs {
		for _, row := range m.Buttons {
			for _, btn := range row {
				if btn.Text == label {
					return true
				}
			}
		}
	}
	return false
}

var (
	sendLabel        = regexp.MustCompile(`<button type="submit" id="send">([^<]*)</button>`)
	placeholderLabel = regexp.MustCompile(`placeholder="([^"]*)"`)
	htmlLang         = regexp.MustCompile(`<html lang="([^"]*)">`)
	maxLength        = regexp.MustCompile(`maxlength="(\d+)"`)
)

// pageLabels reads the language, the send button and the placeholder off a served page.
func pageLabels(t *testing.T, page string) (lang, send, placeholder string) {
	t.Helper()
	for _, m := range []struct {
		re  *regexp.Regexp
		out *string
	}{{htmlLang, &lang}, {sendLabel, &send}, {placeholderLabel, &placeholder}} {
		got := m.re.FindStringSubmatch(page)
		if got == nil {
			t.Fatalf("the page has no %s:\n%s", m.re, page)
		}
		*m.out = got[1]
	}
	return lang, send, placeholder
}

// TestWebLanguageSwitch: the language switch — /lang typed, or the menu's English / 中文
// button — answers with the menu in the new language, and the page's own labels (the send
// button, the placeholder, <html lang>) follow the chat: a poll brings the new set, and the
// page served afterwards is in the chat's language, whatever the browser's Accept-Language.
func TestWebLanguageSwitch(t *testing.T) {
	f := newWebFixture(t)
	en := func(key string) string { return handlers.T(handlers.LangEN, key) }
	zh := func(key string) string { return handlers.T(handlers.LangZH, key) }
	for _, how := range []string{"typed /lang", "menu button"} {
		t.Run(how, func(t *testing.T) {
			b := &browser{}
			if lang, send, ph := pageLabels(t, f.page(b, "zh-CN,zh")); lang != "zh-CN" || send != "发送" || ph != zh("web.placeholder") {
				t.Fatalf("a Chinese browser's page: lang %q, send %q, placeholder %q", lang, send, ph)
			}
			f.send(b, "/start")
			a := f.poll(b, 0, handlers.LangZH)
			if a.Labels != nil {
				t.Errorf("a poll in the chat's own language carries labels: %v", a.Labels)
			}
			last := a.Messages[len(a.Messages)-1].ID

			if how == "typed /lang" {
				f.send(b, "/lang")
			} else {
				f.press(b, a.Messages, zh("menu.lang")) // "English"
			}
			a = f.poll(b, last, handlers.LangZH)
			if len(a.Messages) != 1 || !strings.Contains(a.Messages[0].Text, en("lang.set")) {
				t.Fatalf("the switch answered %+v", a.Messages)
			}
			if !hasButton(a.Messages, en("menu.report")) || !hasButton(a.Messages, en("menu.lang")) {
				t.Errorf("the switch's answer has no menu in English: %+v", a.Messages[0].Buttons)
			}
			if a.Labels["send"] != "Send" || a.Labels["placeholder"] != en("web.placeholder") || a.Labels["lang"] != handlers.LangEN {
				t.Errorf("the poll after the switch brings labels %v, want the English set", a.Labels)
			}
			last = a.Messages[0].ID
			// A reload: the page comes in English although the browser still asks for Chinese.
			if lang, send, ph := pageLabels(t, f.page(b, "zh-CN,zh")); lang != "en" || send != "Send" || ph != en("web.placeholder") {
				t.Errorf("the page after switching to English: lang %q, send %q, placeholder %q", lang, send, ph)
			}

			// And back.
			if how == "typed /lang" {
				f.send(b, "/lang")
			} else {
				f.press(b, a.Messages, en("menu.lang")) // "中文"
			}
			a = f.poll(b, last, handlers.LangEN)
			if len(a.Messages) != 1 || !strings.Contains(a.Messages[0].Text, zh("lang.set")) || !hasButton(a.Messages, zh("menu.report")) {
				t.Fatalf("switching back answered %+v", a.Messages)
			}
			if a.Labels["send"] != "发送" {
				t.Errorf("the poll after switching back brings labels %v", a.Labels)
			}
			if lang, send, _ := pageLabels(t, f.page(b, "en-US,en")); lang != "zh-CN" || send != "发送" {
				t.Errorf("the page after switching back: lang %q, send %q", lang, send)
			}
		})
	}
	// A new English browser gets the English page before it has written anything.
	if lang, send, _ := pageLabels(t, f.page(&browser{}, "en-US,en")); lang != "en" || send != "Send" {
		t.Errorf("a new English browser's page: lang %q, send %q", lang, send)
	}
}

// fileReport files an anonymous report through the API and returns the messages of the last
// poll (the confirmation with the query code) and the id before it.
func (f *webFixture) fileReport(b *browser, lang string) []webMessage {
	f.t.Helper()
	tr := func(key string) string { return handlers.T(lang, key) }
	var last int64
	step := func() []webMessage {
		a := f.poll(b, last, lang)
		if len(a.Messages) == 0 {
			f.t.Fatalf("no answer after id %d", last)
		}
		last = a.Messages[len(a.Messages)-1].ID
		return a.Messages
	}
	f.send(b, "/report")
	cats := step()
	f.sendData(b, "", cats[len(cats)-1].Buttons[0][0].Data) // the first category
	step()                                                  // no places: the place as text
	f.send(b, "新站镇东风村")
	step()
	f.send(b, "村委会")
	step()
	f.send(b, "2024年3月村里发放的惠农补贴被村干部截留，每户少发了200元，涉及三十多户。")
	f.press(b, step(), tr("done"))
	f.press(b, step(), tr("report.anonymous"))
	f.press(b, step(), tr("report.link.keep"))
	f.press(b, step(), tr("report.confirm"))
	a := f.poll(b, last, lang)
	return a.Messages
}

var queryCode = regexp.MustCompile(`\b\d{4} \d{4} \d{4} \d{4}\b`)

// TestWebQueryCodeOnce: the confirmation of a report carries its query code apart from the
// text, for the page to show large with a copy button, and the web inbox gives that message
// out once: a poll that does not acknowledge it (the page closed at once, or a reload), and
// whoever opens the page next in that browser, get nothing of it.
func TestWebQueryCodeOnce(t *testing.T) {
	for _, lang := range []string{handlers.LangZH, handlers.LangEN} {
		t.Run(lang, func(t *testing.T) {
			f := newWebFixture(t)
			b := &browser{lang: lang}
			f.page(b, lang)
			msgs := f.fileReport(b, lang)
			if len(msgs) != 1 {
				t.Fatalf("confirmation: %+v", msgs)
			}
			code := queryCode.FindString(msgs[0].Text)
			if code == "" || len(msgs[0].Codes) != 1 || msgs[0].Codes[0] != code {
				t.Fatalf("the confirmation's codes %q, want the code its text shows (%q):\n%s", msgs[0].Codes, code, msgs[0].Text)
			}
			if !hasButton(msgs, handlers.T(lang, "menu.report")) {
				t.Errorf("the confirmation lost its menu: %+v", msgs[0].Buttons)
			}
			// The page reloads (after=0, nothing acknowledged), and the next visitor opens it.
			for i := range 2 {
				a := f.poll(b, 0, lang)
				for _, m := range a.Messages {
					if strings.Contains(m.Text, code) || len(m.Codes) > 0 {
						t.Fatalf("poll %d after the code was shown gives it again: %+v", i+1, m)
					}
				}
			}
			f.page(b, lang)
			f.send(b, "/start")
			if got := f.read(b); strings.Contains(got, code) {
				t.Fatalf("the next visit shows the code: %s", got)
			}
			// The code still works: it was shown, not lost.
			f.send(b, "/query "+code)
			if got := f.read(b); !strings.Contains(got, handlers.T(lang, "status.received")) {
				t.Errorf("querying the code: %s", got)
			}
		})
	}
}

// TestWebTextLimit: the engine and the page share one limit on a message: the page's box
// takes at most handlers.MaxTextRunes characters; one character more is refused, and the
// answer to the page says so (refused), so that the page gives the text back to the box; a
// description of exactly the limit is taken.
func TestWebTextLimit(t *testing.T) {
	f := newWebFixture(t)
	b := &browser{}
	page := f.page(b, "zh-CN")
	if m := maxLength.FindStringSubmatch(page); m == nil || m[1] != fmt.Sprint(handlers.MaxTextRunes) {
		t.Fatalf("the box's maxlength is %v, want the engine's limit %d", m, handlers.MaxTextRunes)
	}
	f.send(b, "/report")
	a := f.poll(b, 0, handlers.LangZH)
	f.sendData(b, "", a.Messages[len(a.Messages)-1].Buttons[0][0].Data)
	f.send(b, "新站镇东风村")
	f.send(b, "村委会")
	f.read(b)

	// 惠 is three bytes and one character: the limit counts characters.
	long := "2024年3月" + strings.Repeat("惠", handlers.MaxTextRunes-7+1)
	if got := f.sendData(b, long, ""); !got.OK || !got.Refused {
		t.Fatalf("a description one over the limit: %+v, want ok and refused", got)
	}
	if got := f.read(b); !strings.Contains(got, handlers.T(handlers.LangZH, "too.long", handlers.MaxTextRunes)) {
		t.Fatalf("the refusal reads %q", got)
	}
	if got := f.sendData(b, long[:len(long)-len("惠")], ""); !got.OK || got.Refused {
		t.Fatalf("a description of exactly the limit: %+v, want taken", got)
	}
	if got := f.read(b); !strings.Contains(got, handlers.T(handlers.LangZH, "report.files")) {
		t.Errorf("after a description at the limit the report asks %q, want the files step", got)
	}
}
