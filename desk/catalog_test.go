package desk

import (
	"testing"

	"xuncha/i18n"
	"xuncha/internal/catalogcheck"
)

// TestCatalog checks every text the desk shows, in its Go source and in its templates, against
// the catalog: the key exists in both languages and each use gives the arguments its format
// asks for. A page renders a missing key as the key itself, which no other test would notice
// on a page it does not read word by word.
func TestCatalog(t *testing.T) {
	report := catalogcheck.Report(t)
	report(catalogcheck.UseProblems(".", []catalogcheck.Func{{Name: "handlers.T", Key: 1}, {Name: "tr", Key: 0}}, i18n.Texts(), 50))
	report(catalogcheck.TemplateProblems("templates/*.html", "t", i18n.Texts(), 100))
}
