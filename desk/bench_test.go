package desk_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"xuncha/desk"
	"xuncha/handlers"
	"xuncha/internal/ledgergen"
	"xuncha/store"
	"xuncha/store/storetest"
)

// BenchmarkDesk measures the server time of the desk's pages on a ledger of 100,000 clues
// (a county's decades), signed in as a county official, through the real handler and store:
//
//	go test -run '^$' -bench BenchmarkDesk -benchtime 200x ./desk/
//
// It reports the mean (ns/op), the 95th percentile (p95-ms) and the HTML's size (page-bytes)
// of each page.
func BenchmarkDesk(b *testing.B) {
	const clues = 100000
	ctx := context.Background()
	db := storetest.Open(b, filepath.Join(b.TempDir(), "x.db"))
	if _, err := db.ImportPlaces(ctx, []store.PlaceRow{
		{Township: "新站镇", Village: "东风村", Class: "key"}, {Township: "新站镇", Village: "胜利村", Class: "general"},
		{Township: "天岗镇", Village: "红旗村", Class: "general"},
	}); err != nil {
		b.Fatal(err)
	}
	tw, v, _ := db.FindPlaceByName(ctx, "新站镇", "东风村")
	tw2, v2, _ := db.FindPlaceByName(ctx, "天岗镇", "红旗村")
	l, _ := handlers.LoadLedger("")
	subjects := []string{"村委会", "合作社", "财政所", "农经站", "卫生院", "学校", "供销社"}
	texts := []string{"惠农补贴被截留", "路灯坏了没人修", "账目不公开", "低保优亲厚友", "工程款拖欠", "违规收费"}
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	var last *store.Clue
	for batch := 0; batch < clues/5000; batch++ {
		err := db.Update(ctx, func(tx *store.Tx) error {
			for i := range 5000 {
				n := batch*5000 + i
				c := &store.Clue{Source: store.ClueFromInspection, Subject: fmt.Sprintf("%s%d", subjects[n%len(subjects)], n),
					Summary: fmt.Sprintf("第%d号：%s，涉及%d户。", n, texts[n%len(texts)], n%40), TownshipID: tw, VillageID: v,
					ReceivedAt: start.Add(time.Duration(n) * 30 * time.Minute)}
				if n%3 == 0 {
					c.TownshipID, c.VillageID = tw2, v2
				}
				if _, err := tx.CreateClue(c); err != nil {
					return err
				}
				if n%4 == 0 {
					u, s, due := l.CanonicalUnit("case1"), store.ClueTransferred, c.ReceivedAt.Add(20*24*time.Hour)
					if err := tx.UpdateClue(c.ID, store.ClueUpdate{Unit: &u, Status: &s, DueAt: &due}); err != nil {
						return err
					}
				}
				last = c
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	code, _ := db.CreateInvitation(ctx, &store.Invitation{Role: store.RoleOfficial, ExpiresAt: time.Now().Add(time.Hour)})
	var official int64
	err := db.Update(ctx, func(tx *store.Tx) error {
		chat, err := tx.EnsureChat("telegram", "official", "zh", false)
		if err != nil {
			return err
		}
		p, err := tx.RedeemInvitation(code, chat.ID)
		official = p.ID
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	session := benchSession(b, db, official)
	d, err := benchDesk(db, l, time.UTC)
	if err != nil {
		b.Fatal(err)
	}
	h := d.Handler()
	page := func(b *testing.B, path string) { benchPage(b, h, session, path) }
	b.Run("ledger", func(b *testing.B) { page(b, "/desk/") })
	b.Run("ledger-township-overdue", func(b *testing.B) { page(b, fmt.Sprintf("/desk/?tw=%d&due=over&sort=due", tw)) })
	b.Run("ledger-search", func(b *testing.B) { page(b, "/desk/?status=all&q="+url.QueryEscape("路灯")) })
	b.Run("ledger-search-phrase", func(b *testing.B) { page(b, "/desk/?status=all&q="+url.QueryEscape("路灯坏了没人修")) })
	b.Run("ledger-search-township", func(b *testing.B) { page(b, fmt.Sprintf("/desk/?tw=%d&q=%s", tw, url.QueryEscape("低保"))) })
	b.Run("ledger-page-1000", func(b *testing.B) { page(b, "/desk/?status=all&p=1000") })
	b.Run("clue", func(b *testing.B) { page(b, fmt.Sprintf("/desk/clue/%d", last.ID)) })
}

// BenchmarkDeskStats measures the statistics page's server time on a realistic ledger of
// 100,000 clues (internal/ledgergen: twenty townships, two years, the ladder's letters as the
// daily pass left them), through the real handler and store:
//
//	go test -run '^$' -bench BenchmarkDeskStats -benchtime 20x ./desk/
//
// It reports the mean (ns/op), the 95th percentile (p95-ms) and the HTML's size (page-bytes)
// for an administrator (the county: the last twelve months, and all time) and a township's
// official.
func BenchmarkDeskStats(b *testing.B) {
	ctx := context.Background()
	key := make([]byte, 32)
	path := ledgergen.Copy(b, ledgergen.Spec{Clues: 100000, Now: ledgergen.DefaultNow(), Key: key})
	db, err := store.Open(ctx, path, key)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	now := ledgergen.DefaultNow()
	db.Now = func() time.Time { return now }
	l, _ := handlers.LoadLedger("")
	d, err := benchDesk(db, l, now.Location())
	if err != nil {
		b.Fatal(err)
	}
	h := d.Handler()
	session := func(role store.Role) string {
		var id int64
		err := db.View(ctx, func(tx *store.Tx) error {
			people, err := tx.PeopleOfRole(role)
			if err != nil || len(people) == 0 {
				return fmt.Errorf("no %s: %v", role, err)
			}
			id = people[0].ID
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		return benchSession(b, db, id)
	}
	admin, official := session(store.RoleAdmin), session(store.RoleOfficial)
	page := func(b *testing.B, session, path string) { benchPage(b, h, session, path) }
	b.Run("county-12-months", func(b *testing.B) { page(b, admin, "/desk/stats") })
	b.Run("county-all-time", func(b *testing.B) { page(b, admin, "/desk/stats?from=") })
	b.Run("township-12-months", func(b *testing.B) { page(b, official, "/desk/stats") })
	b.Run("township-all-time", func(b *testing.B) { page(b, official, "/desk/stats?from=") })
	b.Run("csv-county-all-time", func(b *testing.B) { page(b, admin, "/desk/stats/export?from=") })
}

// benchDesk is the desk with the chat's engine behind it, as serve builds it.
func benchDesk(db *store.DB, l *handlers.Ledger, loc *time.Location) (*desk.Desk, error) {
	logger := slog.New(slog.DiscardHandler)
	eng := handlers.New(logger, db, handlers.Config{Location: loc, Ledger: l})
	return desk.New(logger, db, eng, desk.Config{Ledger: l, Location: loc})
}

// benchSession signs a person in through a desk link and returns the session's cookie value.
func benchSession(b *testing.B, db *store.DB, personID int64) string {
	var session string
	err := db.Update(context.Background(), func(tx *store.Tx) error {
		token, err := tx.CreateDeskLink(personID, time.Minute)
		if err != nil {
			return err
		}
		_, session, err = tx.RedeemDeskLink(token, time.Hour)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return session
}

// benchPage requests a page b.N times with a session and reports the 95th percentile of the
// server time (p95-ms) and the size of the page (page-bytes).
func benchPage(b *testing.B, h http.Handler, session, path string) {
	var times []time.Duration
	var size int
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(&http.Cookie{Name: "xuncha_desk", Value: session})
		rec := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(rec, req)
		times = append(times, time.Since(t0))
		size = rec.Body.Len()
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d\n%s", path, rec.Code, rec.Body.String())
		}
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(size), "page-bytes")
}
