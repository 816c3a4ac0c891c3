package handlers

import "testing"

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in       string
		cmd, arg string
		ok       bool
	}{
		{"/help", "help", "", true},
		{"/help@xuncha_bot", "help", "", true},
		{"投诉 /help", "help", "", true},
		{"/query 1234 5678 9012 3456", "query", "1234 5678 9012 3456", true},
		{"/Start abc", "start", "abc", true},
		{"  /cancel  ", "cancel", "", true},
		{"/bind\nabcd", "bind", "abcd", true},
		{"/unknowncmd x", "unknowncmd", "x", true}, // answered with "unknown command"
		{"5000 /year", "", "", false},              // a description, not a command
		{"http://x/y", "", "", false},
		{"a/b", "", "", false},
		{"每亩 500 /亩", "", "", false},
		{"/", "", "", false},
		{"/ help", "", "", false},
		{"/帮助", "", "", false},
		{"1234 5678 9012 3456", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			cmd, arg, ok := parseCommand(tt.in)
			if cmd != tt.cmd || arg != tt.arg || ok != tt.ok {
				t.Errorf("parseCommand(%q) = (%q, %q, %v), want (%q, %q, %v)", tt.in, cmd, arg, ok, tt.cmd, tt.arg, tt.ok)
			}
		})
	}
}
