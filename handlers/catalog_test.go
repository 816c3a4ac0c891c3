package handlers

import (
	"testing"

	"xuncha/i18n"
	"xuncha/internal/catalogcheck"
)

// TestCatalog reads the package's source for every text it shows and checks each against the
// catalog: the key exists in Chinese and English, both ask for the same arguments, and every
// call gives exactly that many.
func TestCatalog(t *testing.T) {
	funcs := []catalogcheck.Func{{Name: "T", Key: 1}, {Name: "i18n.T", Key: 1}, {Name: "tr", Key: 0}, {Name: "btn", Key: 0, Plain: true}}
	catalogcheck.Report(t)(catalogcheck.UseProblems(".", funcs, i18n.Texts(), 300))
}

// TestCommandTable: every command of the menu has its description in both languages, every
// command parses after other text, and no name is listed twice.
func TestCommandTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commandTable() {
		if seen[c.name] {
			t.Errorf("command %s listed twice", c.name)
		}
		seen[c.name] = true
		if c.menu {
			for _, lang := range []string{LangZH, LangEN} {
				if T(lang, "cmd."+c.name) == "cmd."+c.name {
					t.Errorf("menu command %s has no description in %s", c.name, lang)
				}
			}
		}
		if cmd, _, ok := parseCommand("见附件 /" + c.name); !ok || cmd != c.name {
			t.Errorf("/%s after other text is not taken as the command", c.name)
		}
	}
}
