package scheduler

import (
	"testing"

	"xuncha/i18n"
	"xuncha/internal/catalogcheck"
)

// TestCatalog checks every text the scheduler sends against its catalog (see the handlers'
// TestCatalog for why a reading of the source is needed).
func TestCatalog(t *testing.T) {
	funcs := []catalogcheck.Func{{Name: "i18n.T", Key: 1}, {Name: "handlers.T", Key: 1}}
	catalogcheck.Report(t)(catalogcheck.UseProblems(".", funcs, i18n.Texts(), 10))
	for _, st := range []string{"new", "studied", "disposed", "transferred", "handling", "held"} {
		for _, lang := range []string{"zh", "en"} {
			if got := statusName(lang, st); got == "lg.status."+st {
				t.Errorf("status %s has no name in %s", st, lang)
			}
		}
	}
}
