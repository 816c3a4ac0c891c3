package store

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SearchCountMax is the most matches of a search LedgerPage counts: it returns
// SearchCountMax+1 for "more than that". Counting every match of a common word (低保 in a
// fifth of the ledger) would read a fifth of the ledger on every page; nobody pages through
// a thousand matches, they narrow the search.
const SearchCountMax = 1000

// ledgerCount is LedgerPage's count, up to SearchCountMax+1 for a search.
func ledgerCount(f ClueFilter) (string, []any) {
	where, args := f.where()
	if f.Search == "" {
		return "SELECT COUNT(*) FROM clues c" + where, args
	}
	return "SELECT COUNT(*) FROM (SELECT 1 FROM clues c" + where + " LIMIT " + strconv.Itoa(SearchCountMax+1) + ")", args
}

// ledgerPageQuery is the FROM, WHERE and ORDER of one LedgerPage, with LIMIT and OFFSET as the
// last two arguments; many tells that the search matched more than SearchCountMax.
//
// A search's page picks the ids of its clues first and reads the columns (the ladder's level
// among them) of those fifty only. When the search matched many clues and the page is the
// newest first, it walks the registration index in order, testing each clue against the
// bigrams' matches, and stops after the page: a common word costs a page, not its every
// match. Otherwise SQLite sorts the matches, found through the bigram table or another
// filter's index (TestSearchPlans).
func ledgerPageQuery(f ClueFilter, order string, desc, many bool) (string, []any) {
	where, args := f.where()
	by := " ORDER BY " + ledgerOrder(order, f, desc)
	if f.Search == "" {
		return " FROM clues c" + clueJoin + where + by + " LIMIT ? OFFSET ?", args
	}
	table := " FROM clues c"
	if many && (order == "received" || !slices.Contains(LedgerOrders(), order)) {
		table += " INDEXED BY clues_received"
	}
	return " FROM clues c" + clueJoin + " WHERE c.id IN (SELECT c.id" + table + where + by + " LIMIT ? OFFSET ?)" + by, args
}

// searchWhere is the desk's search condition on the clues c: the typed text in the subject,
// the summary or the number, ASCII letters in any case. The bigram table of migration 0036
// holds the clues with each bigram of the text; for a text of one or two characters that is
// the answer, for a longer one LIKE checks the clues that hold a few of its bigrams (with
// escapes: a typed % or _ is a character, not a wildcard). A single character looks up the
// bigrams that start with it. A text holding the unit separator that ends each field in the
// table (the search box takes any character) is checked with LIKE too: its bigrams span
// two fields.
func searchWhere(search string) (string, []any) {
	text := asciiLower(search)
	exact := !strings.ContainsRune(text, gramFieldEnd)
	var cond string
	var args []any
	switch grams := searchGrams(text); {
	case len(grams) == 0:
		// Every bigram starting with r sorts (bytewise, as SQLite compares text) from r alone
		// up to r followed by the byte 0xFF, which UTF-8 never uses; r+1 is no bound when it
		// is a surrogate or past the last code point.
		r, _ := utf8.DecodeRuneInString(text)
		cond, args = `c.id IN (SELECT clue_id FROM clue_grams WHERE gram >= ? AND gram < ?)`, []any{string(r), string(r) + "\xff"}
	case len(grams) == 1 && utf8.RuneCountInString(text) == 2:
		cond, args = `c.id IN (SELECT clue_id FROM clue_grams WHERE gram = ?)`, []any{grams[0]}
	default:
		legs := make([]string, len(grams))
		for i, g := range grams {
			legs[i] = `SELECT clue_id FROM clue_grams WHERE gram = ?`
			args = append(args, g)
		}
		cond, exact = `c.id IN (`+strings.Join(legs, " INTERSECT ")+`)`, false
	}
	if exact {
		return cond, args
	}
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(search) + "%"
	return cond + ` AND (c.subject LIKE ? ESCAPE '\' OR c.summary LIKE ? ESCAPE '\' OR c.number LIKE ? ESCAPE '\')`,
		append(args, like, like, like)
}

// gramFieldEnd ends each field in the bigram table (char(31) in migration 0036).
const gramFieldEnd = '\x1f'

// maxSearchGrams bounds the lookups of a long search: LIKE checks the rest, and a few bigrams
// of a Chinese phrase already leave few clues.
const maxSearchGrams = 3

// searchGrams returns bigrams of a lower-cased search that cover every character without
// overlapping (路灯坏了没人修: 路灯 坏了 没人 人修), at most maxSearchGrams spread over the text.
// None for a single character.
func searchGrams(text string) []string {
	runes := []rune(text)
	var all []string
	seen := map[string]bool{}
	add := func(i int) {
		if g := string(runes[i : i+2]); !seen[g] {
			seen[g] = true
			all = append(all, g)
		}
	}
	for i := 0; i+1 < len(runes); i += 2 {
		add(i)
	}
	if len(runes) > 2 && len(runes)%2 == 1 {
		add(len(runes) - 2)
	}
	if len(all) <= maxSearchGrams {
		return all
	}
	out := make([]string, maxSearchGrams)
	for i := range out {
		out[i] = all[i*(len(all)-1)/(maxSearchGrams-1)]
	}
	return out
}

func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
