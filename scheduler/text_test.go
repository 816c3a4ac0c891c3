package scheduler

import (
	"strings"
	"testing"

	"xuncha/i18n"
	"xuncha/internal/catalogcheck"
)

// TestCatalog checks every text the scheduler sends against its catalog (see the handlers'
// TestCatalog for why a reading of the source is needed).
func TestCatalog(t *testing.T) {
	uses, _, err := catalogcheck.Uses(".", []catalogcheck.Func{{Name: "i18n.T", Key: 1}, {Name: "handlers.T", Key: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(uses) < 10 {
		t.Fatalf("found only %d uses of the catalog: the source reader has lost its way", len(uses))
	}
	for _, p := range catalogcheck.Problems(i18n.Texts(), uses) {
		if strings.Contains(p, ".go:") { // a use; the catalog itself is i18n's test's to check
			t.Error(p)
		}
	}
	for _, st := range []string{"new", "studied", "disposed", "transferred", "handling", "held"} {
		for _, lang := range []string{"zh", "en"} {
			if got := statusName(lang, st); got == "lg.status."+st {
				t.Errorf("status %s has no name in %s", st, lang)
			}
		}
	}
}
