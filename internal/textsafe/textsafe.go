// Package textsafe holds the rules for text that comes in from outside (chat messages, command
// lines, imported files) and for text that goes out into spreadsheets.
//
// Invisible characters are refused or removed at every input: C0 and C1 control characters,
// which can break a file or a terminal, and the Unicode bidirectional formatting characters,
// which make a name or a file name read differently from what it is ("Trojan Source",
// CVE-2021-42574: "报告\u202Efdp.exe" shows as "报告exe.pdf"). Free text keeps its line breaks
// and tabs; a name or title is one line.
//
// A spreadsheet cell that starts with = + - @ (or a tab or carriage return, which some
// programs skip before looking) is a formula to Excel, WPS and LibreOffice: a resident's
// "=HYPERLINK(…)" would be a live link in an official's export. Cell prefixes such a value with
// an apostrophe, which makes it text (OWASP, "CSV Injection").
package textsafe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Unsafe reports whether r is a character no input may carry: a C0 control other than line
// feed and tab, DEL, a C1 control, a bidirectional formatting character (U+061C, U+200E,
// U+200F, U+202A–U+202E, U+2066–U+2069), or an invisible separator that makes two names look
// alike (U+200B, U+2060, U+FEFF). Line feed and tab are left to the caller: free text may
// hold them, a name may not.
func Unsafe(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20, r >= 0x7F && r <= 0x9F:
		return true
	}
	return names[r] != ""
}

// names are the invisible characters Unsafe refuses above the controls, for error messages.
var names = map[rune]string{
	0x061C: "arabic letter mark",
	0x200B: "zero width space",
	0x200E: "left-to-right mark",
	0x200F: "right-to-left mark",
	0x202A: "left-to-right embedding",
	0x202B: "right-to-left embedding",
	0x202C: "pop directional formatting",
	0x202D: "left-to-right override",
	0x202E: "right-to-left override",
	0x2060: "word joiner",
	0x2066: "left-to-right isolate",
	0x2067: "right-to-left isolate",
	0x2068: "first strong isolate",
	0x2069: "pop directional isolate",
	0xFEFF: "zero width no-break space",
}

// Error says which character made a text unacceptable and where.
type Error struct {
	Rune rune
	At   int  // 1-based character position; 0 for invalid UTF-8
	Line bool // the text had to be one line
}

func (e *Error) Error() string {
	if e.At == 0 {
		return "is not valid UTF-8 text"
	}
	name := names[e.Rune]
	switch {
	case e.Line && (e.Rune == '\n' || e.Rune == '\r'):
		return fmt.Sprintf("contains a line break at character %d; it must be one line", e.At)
	case name == "" && e.Rune == '\t':
		name = "tab"
	case name == "":
		name = "control character"
	}
	return fmt.Sprintf("contains an invisible character, U+%04X (%s), at character %d; remove it and try again", e.Rune, name, e.At)
}

// CheckText returns an *Error for the first character free text may not hold: anything
// Unsafe, or a carriage return not followed by a line feed. Callers read files through Lines
// first, so that a file saved on Windows passes.
func CheckText(s string) error { return check(s, false) }

// CheckLine is CheckText for a name, title or note: one line, so no line feed, carriage return
// or tab either.
func CheckLine(s string) error { return check(s, true) }

func check(s string, line bool) error {
	if !utf8.ValidString(s) {
		return &Error{}
	}
	i := 0
	for off, r := range s {
		i++
		switch {
		case r == '\r' && !line && strings.HasPrefix(s[off+1:], "\n"):
		case Unsafe(r), line && (r == '\n' || r == '\t'):
			return &Error{Rune: r, At: i, Line: line}
		}
	}
	return nil
}

// Lines normalises a text file's line ends to line feeds and drops a leading byte-order mark,
// which spreadsheet programs and Windows editors write.
func Lines(s string) string {
	s = strings.TrimPrefix(s, "\uFEFF")
	return strings.ReplaceAll(s, "\r\n", "\n")
}

// Strip returns chat text without the characters Unsafe refuses: invalid UTF-8 becomes
// U+FFFD, a carriage return (alone or before a line feed) a line feed, and the rest is
// dropped. A resident's message is kept, only cleaned: refusing it would lose a report.
func Strip(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r == '\r' || r == utf8.RuneError || Unsafe(r) }) {
		return s // the common case: no copy
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if Unsafe(r) {
			return -1
		}
		return r
	}, s)
}

// formulaStart are the first characters that make a spreadsheet read a cell as a formula. The
// full-width forms are included: a Chinese input method types them, and neutralising them as
// well costs an apostrophe.
const formulaStart = "=+-@\t\r＝＋－＠"

// Cell returns s as a spreadsheet cell (CSV or xlsx) can safely hold it: Strip's cleaning,
// and an apostrophe before a value that would start a formula.
func Cell(s string) string {
	lead := s != "" && strings.ContainsRune("\t\r", rune(s[0]))
	s = Strip(s)
	if r, _ := utf8.DecodeRuneInString(s); lead || (s != "" && strings.ContainsRune(formulaStart, r)) {
		return "'" + s
	}
	return s
}
