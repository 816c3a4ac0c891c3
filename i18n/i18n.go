// Package i18n is the one catalog of every text a user reads, Simplified Chinese first and
// English second. Each feature keeps its texts in a file of its own; they are merged here into
// one table, and a key defined twice is reported by Duplicates (and fails the catalog test)
// instead of one text silently replacing the other.
package i18n

import "fmt"

// Languages. Simplified Chinese is the default.
const (
	ZH = "zh"
	EN = "en"
)

// tables lists every feature's texts; a new file of texts is added here.
var tables = []map[string][2]string{clockTexts, coreTexts, deskTexts, ledgerTexts, lettersTexts, realNameTexts, referralTexts, roundsTexts, schedulerTexts, webTexts, wechatTexts}

var catalog, duplicates = merge(tables)

func merge(tables []map[string][2]string) (map[string][2]string, []string) {
	out := map[string][2]string{}
	var dups []string
	for _, t := range tables {
		for k, v := range t {
			if _, dup := out[k]; dup {
				dups = append(dups, k)
			}
			out[k] = v
		}
	}
	return out, dups
}

// Has reports whether key is in the catalog, for texts chosen by a kind that may be new.
func Has(key string) bool {
	_, ok := catalog[key]
	return ok
}

// Duplicates lists the keys defined in more than one file.
func Duplicates() []string { return append([]string(nil), duplicates...) }

// Texts returns a copy of the catalog, for the checks that read the source for its uses.
func Texts() map[string][2]string {
	out := make(map[string][2]string, len(catalog))
	for k, v := range catalog {
		out[k] = v
	}
	return out
}

// T returns the text of key in lang, formatted with args. A missing key returns the key
// itself, which the catalog tests catch before any user could see it.
func T(lang, key string, args ...any) string {
	pair, ok := catalog[key]
	if !ok {
		return key
	}
	s := pair[0]
	if lang == EN {
		s = pair[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}
