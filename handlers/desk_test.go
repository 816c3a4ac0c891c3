package handlers_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"xuncha/handlers"
	"xuncha/store"
)

// TestDeskCommand: /desk answers whoever the rule book lets use the desk with a one-time link,
// offers a 工作台 button in their menu, and refuses (and logs) everyone else.
func TestDeskCommand(t *testing.T) {
	en := ltSetup(t)
	en.bind(t, "official", store.RoleOfficial, en.tw, 0, "")
	en.bind(t, "unit", store.RoleUnit, 0, 0, "case1")
	en.bind(t, "officer", store.RoleOfficer, en.tw, en.village, "")

	if o := en.send(t, "official", "/desk"); !strings.Contains(o.text, "暂未开放") {
		t.Errorf("/desk before the desk's address is known: %s", o.text)
	}
	en.e.SetDeskURL("https://xuncha.example.org/")
	link := regexp.MustCompile(`https://\S+`)
	for _, chat := range []string{"official", "unit"} {
		o := en.send(t, chat, "/desk")
		u, err := url.Parse(link.FindString(o.text))
		if err != nil || u.Host != "xuncha.example.org" || u.Path != handlers.DeskSignInPath || len(u.Query().Get("t")) < 40 {
			t.Fatalf("%s: /desk gave %q", chat, o.text)
		}
		// The link signs this person in, once.
		err = en.db.Update(context.Background(), func(tx *store.Tx) error {
			if _, _, err := tx.RedeemDeskLink(u.Query().Get("t"), 0); err != nil {
				t.Errorf("%s: the link does not redeem: %v", chat, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if o := en.send(t, chat, "/help"); !o.has(handlers.NewAction(handlers.VerbMenu, "desk").Data()) {
			t.Errorf("%s: no 工作台 button in the menu", chat)
		}
	}
	for _, chat := range []string{"officer", "resident"} {
		o := en.send(t, chat, "/desk")
		en.mustRefuse(t, o, "desk")
		if link.MatchString(o.text) {
			t.Errorf("%s got a link: %s", chat, o.text)
		}
		if o := en.send(t, chat, "/help"); o.has(handlers.NewAction(handlers.VerbMenu, "desk").Data()) {
			t.Errorf("%s is offered the desk", chat)
		}
	}
	entries, err := en.db.AuditEntries(context.Background(), store.AuditFilter{Action: "desk.link", Limit: 100})
	if err != nil || len(entries) != 2 {
		t.Errorf("%d desk.link audit rows, want 2 (%v)", len(entries), err)
	}
}
