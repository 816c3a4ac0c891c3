// Conversation flows: every flow's name, steps and saved state, in one place.

package handlers

import "xuncha/store"

// Flows a conversation can be in.
const (
	flowReport    = "report"
	flowQuery     = "query"
	flowSubscribe = "subscribe"
	flowCheckin   = "checkin"
	flowTask      = "task"
)

// flowSteps are the steps that take the answer to each flow's open question; a new flow is
// added here.
var flowSteps = map[string]func(*turn) error{
	flowReport:    (*turn).reportStep,
	flowQuery:     (*turn).queryStep,
	flowSubscribe: (*turn).subscribeStep,
	flowCheckin:   (*turn).checkinStep,
	flowTask:      (*turn).taskStep,
	flowLedger:    (*turn).ledgerStep,
	flowRounds:    (*turn).roundsStep,
}

// state is a chat's conversation, saved (sealed) after every step.
type state struct {
	Flow   string `json:"flow,omitempty"`
	Step   string `json:"step,omitempty"`
	Return string `json:"return,omitempty"` // "summary" while editing one field of a report

	Report   *draft        `json:"report,omitempty"`
	ReportID int64         `json:"report_id,omitempty"` // the report being supplemented
	Added    int           `json:"added,omitempty"`
	Checkin  *checkinDraft `json:"checkin,omitempty"`
	TaskID   int64         `json:"task_id,omitempty"`
	// TownshipID is the township chosen in the subscribe flow.
	TownshipID int64              `json:"township_id,omitempty"`
	Files      []store.Attachment `json:"files,omitempty"` // files waiting for the text they go with
	Ledger     *ledgerDraft       `json:"ledger,omitempty"`
	Rounds     *roundsDraft       `json:"rounds,omitempty"`
}

// draft is a report being written.
type draft struct {
	Category    string             `json:"category,omitempty"`
	TownshipID  int64              `json:"township_id,omitempty"`
	VillageID   int64              `json:"village_id,omitempty"`
	PlaceText   string             `json:"place_text,omitempty"`
	Subject     string             `json:"subject,omitempty"`
	Description string             `json:"description,omitempty"`
	When        string             `json:"when,omitempty"`
	AskedMore   bool               `json:"asked_more,omitempty"`
	AskedWhen   bool               `json:"asked_when,omitempty"`
	Files       []store.Attachment `json:"files,omitempty"`
	Identity    string             `json:"identity,omitempty"` // "anonymous" or "named"
	KeepLink    bool               `json:"keep_link,omitempty"`
	Name        string             `json:"name,omitempty"`
	Phone       string             `json:"phone,omitempty"`
}

// Report steps, in order.
const (
	stepCategory    = "category"
	stepTownship    = "township"
	stepVillage     = "village"
	stepPlaceText   = "place_text"
	stepSubject     = "subject"
	stepDescription = "description"
	stepMore        = "more"
	stepWhen        = "when"
	stepFiles       = "files"
	stepIdentity    = "identity"
	stepLink        = "link"
	stepName        = "name"
	stepPhone       = "phone"
	stepConfirm     = "confirm"
	stepEdit        = "edit"
)

const flowLedger = "ledger"

// Ledger steps that wait for text.
const (
	lgStudyWho   = "study.who"
	lgStudyOp    = "study.op"
	lgAsk        = "ask"
	lgAnswer     = "answer"
	lgProgress   = "progress"
	lgOutcome    = "outcome"
	lgReveal     = "reveal"
	lgBlock      = "block"
	lgNewSubject = "new.subject"
	lgNewDesc    = "new.desc"
)

// ledgerDraft is what a ledger step remembers between messages.
type ledgerDraft struct {
	ClueID     int64  `json:"clue_id,omitempty"`
	QuestionID int64  `json:"question_id,omitempty"`
	Who        string `json:"who,omitempty"`
	Subject    string `json:"subject,omitempty"`
	Days       int    `json:"days,omitempty"`    // an extension's working days, until its reason is given
	DutyID     int64  `json:"duty_id,omitempty"` // the objection being answered
	// Resume is the report the chat was writing when it chose to answer a question; it
	// continues where it was once the answer is given or cancelled.
	Resume *state `json:"resume,omitempty"`
}

const flowRounds = "rounds"

// Steps of the rounds flow that wait for text or files.
const (
	rdBrief    = "brief"
	rdPlan     = "plan"
	rdProgress = "progress"
	rdVisit    = "visit"
	rdWeak     = "weak"
)

// roundsDraft is what a rounds step remembers between messages.
type roundsDraft struct {
	RequestID int64  `json:"request_id,omitempty"`
	Org       string `json:"org,omitempty"`
	TaskID    int64  `json:"task_id,omitempty"`
}

// checkinDraft is a situation report (情况报告) being written by an information officer.
type checkinDraft struct {
	Visitors int       `json:"visitors"`
	Problems []problem `json:"problems,omitempty"`
	Zero     bool      `json:"zero,omitempty"`
	Photo    string    `json:"photo,omitempty"`
}

// problem is one resident problem an officer collected; it becomes a report of its own.
type problem struct {
	Text  string             `json:"text"`
	Files []store.Attachment `json:"files,omitempty"`
}
