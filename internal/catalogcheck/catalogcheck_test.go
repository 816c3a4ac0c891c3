package catalogcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerbs(t *testing.T) {
	tests := []struct {
		format string
		want   int
	}{
		{"", 0},
		{"no verbs", 0},
		{"100%%", 0},
		{"%s and %d", 2},
		{"%5.2f%%", 1},
		{"%[2]s %[1]s", 2},
		{"%*d", 2},
		{"第 %d 号：%s", 2},
	}
	for _, tt := range tests {
		if got := Verbs(tt.format); got != tt.want {
			t.Errorf("Verbs(%q) = %d, want %d", tt.format, got, tt.want)
		}
	}
}

// TestFindsTheBugsItWasWrittenFor plants the two shapes that once reached residents: a key
// missing from the catalog and a format given an argument it has no verb for (the second
// through a parameter, as startLedgerText passes its prompt on).
func TestFindsTheBugsItWasWrittenFor(t *testing.T) {
	dir := t.TempDir()
	src := `package p

const keyConst = "b"

type turn struct{}

func (t *turn) tr(key string, args ...any) string { return key }

func (t *turn) prompt(n int, key string) string { return t.tr(key, n) }

func use(t *turn) {
	_ = t.tr("when.in.description")
	_ = t.prompt(1, "ask")
	_ = t.tr(keyConst, 1, 2)
	_ = t.tr("a", 1)
}
`
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	uses, _, err := Uses(dir, []Func{{Name: "tr", Key: 0}})
	if err != nil {
		t.Fatal(err)
	}
	catalog := map[string][2]string{
		"a":   {"甲 %s", "a %s"},
		"b":   {"乙 %s %s", "b %s"},
		"ask": {"请输入问题：", "Type the question:"},
	}
	got := strings.Join(Problems(catalog, uses), "\n")
	for _, want := range []string{
		`key "when.in.description" is not in the catalog`,
		`"ask" takes 0 arguments, given 1`,
		`b: zh takes 2 arguments, en 1`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems do not say %s; got:\n%s", want, got)
		}
	}
	if strings.Contains(got, `"a"`) {
		t.Errorf("a correct use reported:\n%s", got)
	}
}

// TestTemplateProblems: a key in a nested block, a pipeline, a {{define}} and a range's else is
// found with its arguments; a key given the wrong number of them or missing is reported.
func TestTemplateProblems(t *testing.T) {
	dir := t.TempDir()
	page := `{{define "row"}}<td>{{t "a" .Name}}</td>{{end}}
<h1>{{t "title"}}</h1>
{{if .X}}{{range .Rows}}{{template "row" .}}{{else}}{{t "none" 1}}{{end}}{{end}}
<p>{{t "b" .A | html}}</p><p>{{t "lost"}}</p>{{with .Y}}{{printf "%s" (t "a" .)}}{{end}}`
	if err := os.WriteFile(filepath.Join(dir, "page.html"), []byte(page), 0o600); err != nil {
		t.Fatal(err)
	}
	catalog := map[string][2]string{
		"a": {"甲 %s", "a %s"}, "title": {"标题", "Title"}, "none": {"无", "None"}, "b": {"乙 %s %s", "b %s %s"},
	}
	got, err := TemplateProblems(filepath.Join(dir, "*.html"), "t", catalog, 6)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`page.html:3: "none" takes 0 arguments, given 1`,
		`page.html:4: "b" takes 2 arguments, given 1`,
		`page.html:4: key "lost" is not in the catalog`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := TemplateProblems(filepath.Join(dir, "*.html"), "t", catalog, 7); err == nil {
		t.Error("six uses found where seven were expected, and no error")
	}
}
