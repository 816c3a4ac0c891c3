package i18n

import (
	"testing"

	"xuncha/internal/catalogcheck"
)

// TestCatalog: no key is defined in two files, every text has both languages, and the two
// ask for the same arguments. The uses of each key are checked in the packages that use them.
func TestCatalog(t *testing.T) {
	if d := Duplicates(); len(d) > 0 {
		t.Errorf("keys defined twice (one silently replaced the other): %v", d)
	}
	if len(catalog) < 400 {
		t.Fatalf("only %d texts: a table is missing from tables", len(catalog))
	}
	for _, p := range catalogcheck.Problems(catalog, nil) {
		t.Error(p)
	}
}

func TestT(t *testing.T) {
	if got := T(ZH, "lg.open", "JH-2026-0001"); got == "lg.open" || got == T(EN, "lg.open", "JH-2026-0001") {
		t.Errorf("T(zh) = %q", got)
	}
	if got := T(EN, "no.such.key"); got != "no.such.key" {
		t.Errorf("missing key = %q, want the key", got)
	}
	if !Has("window.closed") || Has("no.such.key") {
		t.Error("Has")
	}
	if got := T(ZH, "window.closed", "X"); got == "window.closed" {
		t.Error("window.closed missing")
	}
}
