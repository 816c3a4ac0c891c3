package desk_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"xuncha/store"
)

// TestDeskInEnglish walks every page of the desk, its forms, buttons, charts and refusals,
// with a browser asking for English: the desk's own words (headings, labels, buttons, table
// heads, chart labels, options that are not places or people, messages) are English, and no
// page shows a catalog key or a formatting error (%!). The ledger's data (places, subjects,
// the resident's text) stays as it was written.
func TestDeskInEnglish(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.statsFixture()
	c := w.report(w.tw1, w.v1, "东风村村委会", "惠农补贴被截留", "case1", map[string][]byte{"照片.png": pngBytes(t), "账本.pdf": []byte("%PDF-1.4")})
	fresh := w.report(w.tw1, w.v1, "东风村会计", "低保优亲厚友", "", nil)
	if err := w.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.AddDuty(&store.Duty{ClueID: c.ID, Kind: store.DutyObjection, Seq: 1, Body: "处理不公", DueAt: w.now.Add(240 * time.Hour)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	english := func(b *browser) *browser { b.header.Set("Accept-Language", "en-US,en;q=0.9"); return b }
	// Pages that are the data's: a place's or a unit's name, a subject, a person's label.
	data := []string{"新站镇", "天岗镇", "东风村", "红旗村", "东风村村委会", "惠农补贴被截留", "东风村会计", "低保优亲厚友",
		"照片.png", "账本.pdf", "处理不公", "侵害群众利益", "对象", "摘要"}
	slices.SortFunc(data, func(a, b string) int { return len(b) - len(a) }) // 东风村村委会 before 东风村

	visit := func(who string, b *browser, method, path string, form url.Values, status int) {
		t.Helper()
		res, page := b.do(method, path, form)
		if res.StatusCode != status {
			t.Errorf("%s %s %s: %d, want %d", who, method, path, res.StatusCode, status)
		}
		if !strings.Contains(page, `<html lang="en"`) {
			t.Errorf("%s %s: the page is not marked English", who, path)
		}
		for _, p := range untranslated(page, data) {
			t.Errorf("%s %s %s: %s", who, method, path, p)
		}
	}

	official, admin, unit := english(w.signIn(w.official)), english(w.signIn(w.admin)), english(w.signIn(w.unit1))
	for _, path := range []string{"/desk/", "/desk/?status=all&q=" + url.QueryEscape("补贴"), "/desk/?due=over&sort=due",
		fmt.Sprintf("/desk/clue/%d", c.ID), fmt.Sprintf("/desk/clue/%d", fresh.ID)} {
		visit("official", official, http.MethodGet, path, nil, http.StatusOK)
	}
	for _, path := range []string{"/desk/stats", "/desk/stats?from=", "/desk/"} {
		visit("admin", admin, http.MethodGet, path, nil, http.StatusOK)
	}
	visit("unit", unit, http.MethodGet, "/desk/", nil, http.StatusOK)
	visit("unit", unit, http.MethodGet, fmt.Sprintf("/desk/clue/%d", c.ID), nil, http.StatusOK)

	// Closing is one act, 办结销号 in the domain's words: the English says both halves.
	if _, page := official.get(fmt.Sprintf("/desk/clue/%d", fresh.ID)); strings.Count(page, "Close and strike off") < 2 {
		t.Errorf("the clue page's close form is not labelled as closing and striking off:\n%s", page)
	}

	// Refusals and messages.
	visit("unit", unit, http.MethodGet, fmt.Sprintf("/desk/clue/%d", fresh.ID), nil, http.StatusNotFound)
	visit("unit", unit, http.MethodGet, "/desk/stats", nil, http.StatusOK)
	visit("unit", unit, http.MethodPost, fmt.Sprintf("/desk/clue/%d/act", c.ID), url.Values{"verb": {"dispose"}, "csrf": {unit.csrf()}}, http.StatusForbidden)
	visit("official", official, http.MethodPost, fmt.Sprintf("/desk/clue/%d/act", c.ID), url.Values{"verb": {"keeper"}}, http.StatusForbidden)
	visit("stranger", english(w.browser()), http.MethodGet, "/desk/", nil, http.StatusUnauthorized)
	link := w.link(w.official2)
	visit("link", english(w.browser()), http.MethodGet, strings.TrimPrefix(link, w.srv.URL), nil, http.StatusOK)
	english(w.browser()).follow(link)
	used := english(w.browser())
	u, _ := url.Parse(link)
	visit("used link", used, http.MethodPost, u.Path, url.Values{"t": {u.Query().Get("t")}}, http.StatusForbidden)

	// An action's answer, as the flash on the page it returns to.
	res, _ := official.do(http.MethodPost, fmt.Sprintf("/desk/clue/%d/act", fresh.ID), url.Values{"verb": {"dispose"},
		"disposal": {"verify"}, "form": {"1"}, "csrf": {official.csrf()}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("dispose: %d", res.StatusCode)
	}
	visit("official after an action", official, http.MethodGet, fmt.Sprintf("/desk/clue/%d", fresh.ID), nil, http.StatusOK)
}

var (
	uiElement  = regexp.MustCompile(`(?s)<(title|h1|h2|h3|summary|button|label|th|dt|p|li|option|text|figcaption|a|span|dd|td)\b[^>]*>(.*?)</(?:title|h1|h2|h3|summary|button|label|th|dt|p|li|option|text|figcaption|a|span|dd|td)>`)
	fieldStart = regexp.MustCompile(`(?s)<(select|textarea|input)\b.*`)
	tag        = regexp.MustCompile(`<[^>]*>`)
	catalogKey = regexp.MustCompile(`\b(desk|lg|rn|refer|role|review|rd|stats|clock|ladder)\.[a-z0-9_]+(\.[a-z0-9_]+)*\b`)
	han        = regexp.MustCompile(`\p{Han}+`)
	dateStamp  = regexp.MustCompile(`\d{4}[-年]\d{1,2}`)
)

// untranslated lists what on an English page is not: a catalog key, a formatting error, or
// Chinese in the desk's own words (any run of Chinese characters that is not part of data).
func untranslated(page string, data []string) []string {
	var bad []string
	if strings.Contains(page, "%!") {
		bad = append(bad, "a formatting error (%!)")
	}
	seen := map[string]bool{}
	for _, m := range uiElement.FindAllStringSubmatch(page, -1) {
		text := fieldStart.ReplaceAllString(m[2], "") // a label's own words, not its field's options
		text = strings.Join(strings.Fields(html.UnescapeString(tag.ReplaceAllString(text, " "))), " ")
		if text == "" || seen[text] {
			continue
		}
		seen[text] = true
		if k := catalogKey.FindString(text); k != "" {
			bad = append(bad, fmt.Sprintf("the catalog key %q in <%s> %q", k, m[1], text))
		}
		rest := text
		for _, d := range data {
			rest = strings.ReplaceAll(rest, d, "")
		}
		if h := han.FindString(rest); h != "" && !strings.HasSuffix(h, "号") && !dateStamp.MatchString(rest) {
			bad = append(bad, fmt.Sprintf("Chinese %q in <%s> %q", h, m[1], text))
		}
	}
	return bad
}
