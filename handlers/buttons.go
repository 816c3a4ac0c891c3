package handlers

import (
	"fmt"
	"strconv"
	"strings"
)

// The button protocol. A button's data is the one string a platform hands back when it is
// pressed (Telegram allows 64 bytes): a verb and its arguments joined by colons, e.g.
// "lg:dd:12:case1:15" (the ledger's due-date choice for clue 12, unit case1, 15 days). Every
// button the bot makes — in this package and in the scheduler's letters and meeting notices —
// is built by NewAction and read by ParseAction; no other code joins or splits button data.
// A press is a request, not a permission: whoever handles a verb re-checks the presser.

// Button verbs: the first field of a button's data.
const (
	VerbCancel      = "x"      // cancel the flow under way
	VerbResume      = "resume" // continue the unfinished report
	VerbMenu        = "menu"   // menu:<command>, the main menu's buttons
	VerbLang        = "lang"   // lang:<zh|en>
	VerbAck         = "ack"    // ack:<letter id>, a reminder or supervision letter's 已签收
	VerbLedger      = "lg"     // lg:<op>:<args…>, the clue ledger (ledger.go)
	VerbRounds      = "rd"     // rd:<op>:<args…>, rounds and their workflows (rounds.go)
	VerbTask        = "task"   // task:<task id>, an officer's task
	VerbCategory    = "c"      // c:<category key>, a report's category
	VerbTownship    = "t"      // t:<township id>
	VerbVillage     = "v"      // v:<village id>, 0 for "the whole township" or "not sure"
	VerbUnsubscribe = "uns"    // uns:<subscription id>
	VerbEdit        = "e"      // e:<field>, the report summary's "change this" buttons
)

// Answers within one flow, compared whole.
const (
	AnswerZeroReport     = "ci:zero"     // a check-in with nothing to report (零报告)
	AnswerProblems       = "ci:prob"     // a check-in with problems collected
	AnswerAnotherProblem = "ci:more"     // one more problem in the check-in
	AnswerTaskReceived   = "tk:received" // a task confirmed as received
	AnswerTaskDone       = "tk:done"     // a task reported done
	AnswerTaskHelp       = "tk:help"     // a task needs help (the liaison is told)
	AnswerAddInfo        = "q:add"       // add information to a report found by its query code
	AnswerRealName       = "id:named"    // report under one's name
	AnswerAnonymous      = "id:anon"     // report anonymously
	AnswerKeepLink       = "link:keep"   // an anonymous report keeps a sealed link to its chat
	AnswerNoLink         = "link:none"   // an anonymous report keeps no link at all
)

// Action is a pressed button's meaning: its verb and arguments.
type Action struct {
	Verb string
	Args []string
}

// NewAction builds an action from a verb and arguments (strings and integers).
func NewAction(verb string, args ...any) Action {
	a := Action{Verb: verb}
	for _, x := range args {
		switch v := x.(type) {
		case string:
			a.Args = append(a.Args, v)
		case int:
			a.Args = append(a.Args, strconv.Itoa(v))
		case int64:
			a.Args = append(a.Args, strconv.FormatInt(v, 10))
		default:
			a.Args = append(a.Args, fmt.Sprint(v))
		}
	}
	return a
}

// Data is the action as a button's data. An argument holding a colon would change the
// action's shape, so such an action encodes as "" and the platforms leave its button out
// (keys of the ledger file are letters and digits).
func (a Action) Data() string {
	for _, arg := range a.Args {
		if strings.Contains(arg, ":") {
			return ""
		}
	}
	return strings.Join(append([]string{a.Verb}, a.Args...), ":")
}

// ParseAction reads a button's data. Data that is not an action (a plain answer such as "ok")
// is a verb with no arguments.
func ParseAction(data string) Action {
	parts := strings.Split(data, ":")
	return Action{Verb: parts[0], Args: parts[1:]}
}

// Arg is the i-th argument, or "" when there is none.
func (a Action) Arg(i int) string {
	if i < len(a.Args) {
		return a.Args[i]
	}
	return ""
}

// ID is the i-th argument as a non-negative id, and whether it is one.
func (a Action) ID(i int) (int64, bool) {
	n, err := strconv.ParseInt(a.Arg(i), 10, 64)
	return n, err == nil && n >= 0
}

// Rest is the arguments from i on, as one action of their own: the op of a "lg:" or "rd:"
// action and its arguments.
func (a Action) Rest(i int) Action {
	if i >= len(a.Args) {
		return Action{}
	}
	return Action{Verb: a.Args[i], Args: a.Args[i+1:]}
}

// LetterAckData is the data of a letter's 已签收 button, for the scheduler's letters.
func LetterAckData(letterID int64) string { return NewAction(VerbAck, letterID).Data() }

// MeetingConfirmData is the data of a meeting notice's 确认参会 button, for the scheduler.
func MeetingConfirmData(meetingID int64) string {
	return NewAction(VerbRounds, "mc", meetingID).Data()
}
