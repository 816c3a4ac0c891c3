package store

import (
	"strings"
	"testing"
)

// FuzzNormalizeQueryCode: any typed text either is refused or becomes exactly 16 ASCII digits
// that format back to the same code.
//
//	go test -run '^$' -fuzz FuzzNormalizeQueryCode -fuzztime 1000000x ./store/
func FuzzNormalizeQueryCode(f *testing.F) {
	for _, s := range []string{"1234 5678 9012 3456", "1234567890123456", "１２３４５６７８９０１２３４５６", "1234-5678-9012-3456",
		"123456789012345", "12345678901234567", "abcd", "", "1234\u30005678\u300090123456", "٣٤٥٦"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, ok := NormalizeQueryCode(s)
		if !ok {
			return
		}
		if len(code) != QueryCodeDigits || strings.Trim(code, "0123456789") != "" {
			t.Fatalf("%q normalised to %q", s, code)
		}
		again, ok := NormalizeQueryCode(FormatQueryCode(code))
		if !ok || again != code {
			t.Fatalf("format/normalise round trip of %q gave %q", code, again)
		}
	})
}
