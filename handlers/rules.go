package handlers

import (
	"slices"

	"xuncha/store"
)

// The rule book: who may see which clues and do what with them. docs/PERMISSIONS.md is its
// text; this file is its only code. The chat (ledger.go), the desk (package desk) and the
// command line (desk link) all ask a Rules value, so that a rule changed here changes
// everywhere at once, and no surface keeps a copy of its own that could drift.

// Permission is an action of docs/PERMISSIONS.md; the comment gives its row there.
type Permission string

// The permissions of the clue ledger.
const (
	PermLedger     Permission = "ledger"         // 1: list and filter the ledger
	PermUnitClues  Permission = "unit.clues"     // 2: list the clues transferred to one's unit
	PermOpen       Permission = "clue.open"      // 3: open a clue: details, evidence, timeline
	PermDecide     Permission = "clue.decide"    // 4: joint study, disposal, transfer, close
	PermUnitReport Permission = "clue.unit"      // 5: acknowledge, progress, outcome
	PermAsk        Permission = "clue.ask"       // 6: ask the reporter (a unit's goes via an official)
	PermRelay      Permission = "clue.relay"     // 7: relay a unit's question to the reporter
	PermReveal     Permission = "clue.reveal"    // 9: a real-name reporter's contact, with a reason
	PermRegister   Permission = "clue.register"  // 10: register a clue the inspection found
	PermStats      Permission = "ledger.stats"   // 11: statistics and export
	PermBlock      Permission = "clue.block"     // 25: block or unblock the chat behind a report
	PermDesk       Permission = "desk"           // 26: sign in to the officials' desk
	PermKeeper     Permission = "clue.keeper"    // 30: assign or change a clue's keeper
	PermClock      Permission = "clue.clock"     // 31: pause, resume, extend a clue's clock
	PermResult     Permission = "clue.result"    // 32: send a real-name reporter the result notice
	PermNotAccept  Permission = "clue.notaccept" // 33: not accept a report (不予受理), with a reason
	PermObjection  Permission = "clue.objection" // 35: answer a reporter's objection (异议)
	PermRefer      Permission = "clue.refer"     // 40: refer a report to another body (分级转办)
	PermGiveTask   Permission = "task.give"      // 41: give officers a task in chat (/task)
	// 39: the desk's statistics and monthly review, each in their own scope (Scope): a unit
	// counts the clues transferred to it, as its monthly review digest already does.
	PermDeskStats Permission = "desk.stats"
)

// grants lists the roles that hold each permission. Scope (which clues) is separate: Sees.
var grants = map[Permission][]store.Role{
	PermLedger:     {store.RoleOfficial, store.RoleAdmin},
	PermUnitClues:  {store.RoleUnit},
	PermOpen:       {store.RoleOfficial, store.RoleAdmin, store.RoleUnit},
	PermDecide:     {store.RoleOfficial, store.RoleAdmin},
	PermUnitReport: {store.RoleUnit},
	PermAsk:        {store.RoleOfficial, store.RoleAdmin, store.RoleUnit},
	PermRelay:      {store.RoleOfficial, store.RoleAdmin},
	PermReveal:     {store.RoleAdmin},
	PermRegister:   {store.RoleOfficial, store.RoleAdmin},
	PermStats:      {store.RoleOfficial, store.RoleAdmin},
	PermBlock:      {store.RoleOfficial, store.RoleAdmin},
	PermDesk:       {store.RoleOfficial, store.RoleAdmin, store.RoleUnit},
	PermKeeper:     {store.RoleOfficial, store.RoleAdmin},
	PermClock:      {store.RoleOfficial, store.RoleAdmin},
	PermResult:     {store.RoleOfficial, store.RoleAdmin},
	PermNotAccept:  {store.RoleOfficial, store.RoleAdmin},
	PermObjection:  {store.RoleOfficial, store.RoleAdmin},
	PermRefer:      {store.RoleOfficial, store.RoleAdmin},
	PermGiveTask:   {store.RoleOfficial, store.RoleAdmin},
	PermDeskStats:  {store.RoleOfficial, store.RoleAdmin, store.RoleUnit},
}

// Rules answers for one person what they may see and do. Build it from the person as the
// store holds them now (a role withdrawn or changed counts at once), never from a copy kept in
// a session or a conversation.
type Rules struct {
	person *store.Person // nil: a resident
	unit   string        // the canonical key of the person's receiving unit
}

// RulesFor returns the rules for p (nil, or withdrawn: a resident). l maps a unit's names to
// its key.
func RulesFor(p *store.Person, l *Ledger) Rules {
	if p != nil && !p.WithdrawnAt.IsZero() {
		p = nil // a role withdrawn is no role: a resident again, everywhere at once
	}
	r := Rules{person: p}
	if p != nil && p.Role == store.RoleUnit && l != nil {
		r.unit = l.CanonicalUnit(p.Unit)
	}
	return r
}

// Role is the person's role, "" for a resident.
func (r Rules) Role() store.Role {
	if r.person == nil {
		return ""
	}
	return r.person.Role
}

// Can reports whether the role holds permission p at all, whatever the clue.
func (r Rules) Can(p Permission) bool { return slices.Contains(grants[p], r.Role()) }

// Sees is the scope rule: administrators see every clue, officials those of their township
// (every one with no township), unit members only the clues transferred to their unit,
// everyone else none.
func (r Rules) Sees(c *store.Clue) bool {
	switch r.Role() {
	case store.RoleAdmin:
		return true
	case store.RoleOfficial:
		return r.person.TownshipID == 0 || c.TownshipID == r.person.TownshipID
	case store.RoleUnit:
		return c.Unit != "" && c.Unit == r.unit
	}
	return false
}

// CanOn reports whether the person may do p to clue c: the role holds p and c is in scope.
func (r Rules) CanOn(p Permission, c *store.Clue) bool { return r.Can(p) && r.Sees(c) }

// SeesTownship reports whether a list narrowed to a township stays within the scope: an
// official of one township may not ask for another's.
func (r Rules) SeesTownship(id int64) bool {
	switch r.Role() {
	case store.RoleAdmin:
		return true
	case store.RoleOfficial:
		return r.person.TownshipID == 0 || id == r.person.TownshipID
	}
	return false
}

// Scope narrows a filter to the clues the person may see: their township, their unit, or none
// at all for a role with no scope. The result is safe to run whatever the caller checked.
func (r Rules) Scope(f store.ClueFilter) store.ClueFilter {
	switch r.Role() {
	case store.RoleAdmin:
	case store.RoleOfficial:
		if r.person.TownshipID != 0 {
			f.TownshipID = r.person.TownshipID
		}
	case store.RoleUnit:
		f.Unit = r.unit
		if r.unit == "" {
			f.Nothing = true
		}
	default:
		f.Nothing = true
	}
	return f
}
