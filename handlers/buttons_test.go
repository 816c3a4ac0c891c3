package handlers

import (
	"slices"
	"testing"
)

func TestAction(t *testing.T) {
	tests := []struct {
		name string
		a    Action
		data string
	}{
		{"ledger due date", NewAction(VerbLedger, "dd", int64(12), "case1", 15), "lg:dd:12:case1:15"},
		{"letter", NewAction(VerbAck, int64(7)), "ack:7"},
		{"village zero", NewAction(VerbVillage, 0), "v:0"},
		{"plain answer", NewAction(VerbCancel), "x"},
		{"a colon in an argument", NewAction(VerbLedger, "u", int64(1), "a:b"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Data(); got != tt.data {
				t.Fatalf("Data() = %q, want %q", got, tt.data)
			}
			if tt.data == "" {
				return
			}
			back := ParseAction(tt.data)
			if back.Verb != tt.a.Verb || !slices.Equal(back.Args, tt.a.Args) {
				t.Errorf("ParseAction(%q) = %+v, want %+v", tt.data, back, tt.a)
			}
		})
	}
	op := ParseAction("lg:dd:12:case1:15").Rest(0)
	if id, ok := op.ID(0); op.Verb != "dd" || !ok || id != 12 || op.Arg(1) != "case1" || op.Arg(5) != "" {
		t.Errorf("Rest(0) = %+v", op)
	}
	if _, ok := ParseAction("t:-3").ID(0); ok {
		t.Error("a negative id was accepted")
	}
	if got := LetterAckData(9); got != "ack:9" {
		t.Errorf("LetterAckData = %q", got)
	}
	if got := MeetingConfirmData(4); got != "rd:mc:4" {
		t.Errorf("MeetingConfirmData = %q", got)
	}
}
