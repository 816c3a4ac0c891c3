package handlers

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"xuncha/handlers/media"
	"xuncha/store"
)

// minDescriptionRunes: shorter descriptions are asked once for more detail.
const minDescriptionRunes = 15

// whenPattern finds a time reference in a description, so the resident is not asked for
// something they already said.
var whenPattern = regexp.MustCompile(`(?i)\d{4}|\d{1,2}\s*月|\d{1,2}\s*[日号]|[昨今前明]天|[上本这前去今]([个一]?(周|星期|月|年))|最近|近期|年初|年底|年末|月初|月底|月中|春节|中秋|国庆|清明|端午|春天|夏天|秋天|冬天|春耕|秋收|以前|以来|期间|时候|天前|周前|月前|年前|yesterday|today|last (week|month|year)|ago|january|february|march|april|may|june|july|august|september|october|november|december|\b(19|20)\d{2}\b`)

// phonePattern accepts a mainland mobile number or a landline with area code.
var phonePattern = regexp.MustCompile(`^(\+?86)?(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$`)

func (t *turn) startReport() error {
	if t.st.Flow == flowReport && t.st.Report != nil {
		t.say(t.tr("report.resume"))
		return t.prompt()
	}
	t.reset()
	t.st.Report = &draft{}
	t.set(flowReport, stepCategory)
	return t.prompt()
}

func (t *turn) category(key string) (Category, bool) { return t.e.category(key) }

// prompt asks the question of the current step.
func (t *turn) prompt() error {
	d := t.st.Report
	switch t.st.Step {
	case stepCategory:
		t.sayCancel(t.tr("report.category"), column(t.e.cfg.Categories, func(c Category) store.Button {
			return store.Button{Text: c.Name(t.lang), Data: NewAction(VerbCategory, c.Key).Data()}
		})...)
	case stepTownship:
		tws, err := t.tx.Townships()
		if err != nil {
			return err
		}
		if len(tws) == 0 {
			t.st.Step = stepPlaceText
			return t.prompt()
		}
		t.sayCancel(t.tr("report.township"), townshipButtons(tws)...)
	case stepVillage:
		vs, err := t.tx.Villages(d.TownshipID)
		if err != nil {
			return err
		}
		rows := append(villageButtons(vs), []store.Button{t.btn("report.township.level", NewAction(VerbVillage, 0).Data())})
		t.sayCancel(t.tr("report.village"), rows...)
	case stepPlaceText:
		t.sayCancel(t.tr("report.place"))
	case stepSubject:
		t.sayCancel(t.tr("report.subject"), []store.Button{t.btn("unknown", "u")})
	case stepDescription:
		t.sayCancel(t.tr("report.description"))
	case stepMore:
		t.sayCancel(t.tr("report.more"))
	case stepWhen:
		t.sayCancel(t.tr("report.when"), []store.Button{t.btn("unknown", "u")})
	case stepFiles:
		t.sayCancel(t.tr("report.files"), []store.Button{t.btn("done", "done")})
	case stepIdentity:
		t.sayCancel(t.tr("report.identity"), []store.Button{t.btn("report.realname", AnswerRealName), t.btn("report.anonymous", AnswerAnonymous)})
	case stepLink:
		t.sayCancel(t.tr("report.link"), []store.Button{t.btn("report.link.keep", AnswerKeepLink)}, []store.Button{t.btn("report.link.none", AnswerNoLink)})
	case stepName:
		t.sayCancel(t.tr("report.name"))
	case stepPhone:
		t.sayCancel(t.tr("report.phone"))
	case stepConfirm:
		return t.summary()
	case stepEdit:
		t.say(t.tr("report.edit.which"),
			[]store.Button{t.btn("field.category", NewAction(VerbEdit, "category").Data()), t.btn("field.place", NewAction(VerbEdit, "place").Data())},
			[]store.Button{t.btn("field.subject", NewAction(VerbEdit, "subject").Data()), t.btn("field.description", NewAction(VerbEdit, "description").Data())},
			[]store.Button{t.btn("field.when", NewAction(VerbEdit, "when").Data()), t.btn("field.files", NewAction(VerbEdit, "files").Data())},
			[]store.Button{t.btn("field.identity", NewAction(VerbEdit, "identity").Data())},
			[]store.Button{t.btn("report.confirm", "ok")})
	default:
		return fmt.Errorf("report: unknown step %q", t.st.Step)
	}
	return nil
}

// townshipButtons and villageButtons offer places to choose, two to a row.
func townshipButtons(tws []store.Township) [][]store.Button {
	return grid(tws, func(tw store.Township) store.Button {
		return store.Button{Text: tw.Name, Data: NewAction(VerbTownship, tw.ID).Data()}
	})
}

func villageButtons(vs []store.Village) [][]store.Button {
	return grid(vs, func(v store.Village) store.Button {
		return store.Button{Text: v.Name, Data: NewAction(VerbVillage, v.ID).Data()}
	})
}

// column lays buttons out one to a row.
func column[T any](items []T, button func(T) store.Button) [][]store.Button {
	rows := make([][]store.Button, 0, len(items))
	for _, it := range items {
		rows = append(rows, []store.Button{button(it)})
	}
	return rows
}

// grid lays buttons out two to a row.
func grid[T any](items []T, button func(T) store.Button) [][]store.Button {
	var rows [][]store.Button
	for i, it := range items {
		if i%2 == 0 {
			rows = append(rows, nil)
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], button(it))
	}
	return rows
}

// next moves to step, or back to the summary when a single field was being edited.
func (t *turn) next(step string) error {
	if t.st.Return == stepConfirm {
		t.st.Return = ""
		step = stepConfirm
	}
	t.set(flowReport, step)
	return t.prompt()
}

// afterDescription asks for what is missing (more detail, a time) once each, then moves on.
func (t *turn) afterDescription() error {
	d := t.st.Report
	if utf8.RuneCountInString(d.Description) < minDescriptionRunes && !d.AskedMore {
		d.AskedMore = true
		t.set(flowReport, stepMore)
		return t.prompt()
	}
	if d.When == "" && !whenPattern.MatchString(d.Description) && !d.AskedWhen {
		d.AskedWhen = true
		t.set(flowReport, stepWhen)
		return t.prompt()
	}
	return t.next(stepFiles)
}

// reportStep handles an answer in the report flow.
func (t *turn) reportStep() error {
	d := t.st.Report
	if d == nil {
		t.reset()
		return t.startReport()
	}
	t.dirty = true
	m := t.msg
	if len(m.Files) > 0 {
		if t.st.Step != stepFiles && t.st.Step != stepDescription && t.st.Step != stepMore {
			t.say(t.tr("file.ignored"))
			return t.prompt()
		}
		added, err := t.addFiles(&d.Files, MaxAttachments)
		if err != nil || !added {
			return err
		}
		if strings.TrimSpace(m.Text) == "" && t.st.Step == stepFiles {
			// The answer carries the step's buttons again: the web page disables the row
			// a file answered, and in any chat the old row has scrolled away by now.
			t.sayCancel(t.tr("file.added", len(d.Files)), []store.Button{t.btn("done", "done")})
			return nil
		}
		t.say(t.tr("file.added", len(d.Files)))
		if strings.TrimSpace(m.Text) == "" {
			return t.prompt()
		}
	}
	text := strings.TrimSpace(m.Text)
	data := m.Data
	switch t.st.Step {
	case stepCategory:
		a := ParseAction(data)
		c, ok := t.category(a.Arg(0))
		if a.Verb != VerbCategory || !ok {
			return t.expect()
		}
		if c.OutOfScope {
			if t.st.Return == stepConfirm {
				// Changing an almost finished report: explain, but keep the draft (and its
				// photos); the summary offers to cancel.
				t.say(c.Redirect(t.lang))
				return t.next(stepConfirm)
			}
			t.reset()
			t.say(c.Redirect(t.lang), t.menu()...)
			return nil
		}
		d.Category = c.Key
		if t.st.Return == stepConfirm {
			return t.next(stepConfirm)
		}
		return t.next(stepTownship)
	case stepTownship:
		id, ok, err := t.pickTownship(data, t.expect)
		if !ok {
			return err
		}
		d.TownshipID, d.VillageID, d.PlaceText = id, 0, ""
		t.set(flowReport, stepVillage)
		return t.prompt()
	case stepVillage:
		id, ok, err := t.pickVillage(data, d.TownshipID, t.expect)
		if !ok {
			return err
		}
		d.VillageID = id
		return t.next(stepSubject)
	case stepPlaceText:
		if text == "" {
			return t.expect()
		}
		d.PlaceText, d.TownshipID, d.VillageID = text, 0, 0
		return t.next(stepSubject)
	case stepSubject:
		subject, ok := skippable(data, text)
		if !ok {
			return t.expect()
		}
		d.Subject = subject
		if t.st.Return == stepConfirm {
			return t.next(stepConfirm)
		}
		return t.next(stepDescription)
	case stepDescription:
		if text == "" {
			return t.expect()
		}
		d.Description = text
		if t.st.Return == stepConfirm {
			return t.next(stepConfirm)
		}
		return t.afterDescription()
	case stepMore:
		if text == "" {
			return t.expect()
		}
		d.Description = strings.TrimSpace(d.Description + "\n" + text)
		return t.afterDescription()
	case stepWhen:
		when, ok := skippable(data, text)
		if !ok {
			return t.expect()
		}
		d.When = when
		return t.next(stepFiles)
	case stepFiles:
		if data != "done" {
			return t.expect()
		}
		return t.next(stepIdentity)
	case stepIdentity:
		switch data {
		case AnswerAnonymous:
			d.Identity, d.Name, d.Phone = "anonymous", "", ""
			t.set(flowReport, stepLink)
			return t.prompt()
		case AnswerRealName:
			d.Identity, d.KeepLink = "named", true
			t.set(flowReport, stepName)
			return t.prompt()
		}
		return t.expect()
	case stepLink:
		switch data {
		case AnswerKeepLink:
			d.KeepLink = true
		case AnswerNoLink:
			d.KeepLink = false
		default:
			return t.expect()
		}
		return t.next(stepConfirm)
	case stepName:
		if n := utf8.RuneCountInString(text); n < 2 || n > 30 || data != "" {
			t.say(t.tr("report.name.bad"))
			return nil
		}
		d.Name = text
		t.set(flowReport, stepPhone)
		return t.prompt()
	case stepPhone:
		phone := strings.NewReplacer(" ", "", "　", "").Replace(text)
		if data != "" || !phonePattern.MatchString(phone) {
			t.say(t.tr("report.phone.bad"))
			return nil
		}
		d.Phone = phone
		return t.next(stepConfirm)
	case stepConfirm:
		switch data {
		case "ok":
			return t.submitReport()
		case "edit":
			t.set(flowReport, stepEdit)
			return t.prompt()
		}
		return t.expect()
	case stepEdit:
		if data == "ok" {
			return t.submitReport()
		}
		a := ParseAction(data)
		step, ok := map[string]string{
			"category": stepCategory, "place": stepTownship, "subject": stepSubject,
			"description": stepDescription, "when": stepWhen, "files": stepFiles, "identity": stepIdentity,
		}[a.Arg(0)]
		if a.Verb != VerbEdit || !ok {
			return t.expect()
		}
		if step == stepFiles {
			d.Files = nil // editing attachments starts the list again
		}
		t.st.Return = stepConfirm
		t.set(flowReport, step)
		return t.prompt()
	}
	return fmt.Errorf("report: unknown step %q", t.st.Step)
}

// expect answers an input that does not fit the step: a stale button or text where a button is
// needed. It repeats the question and changes nothing.
func (t *turn) expect() error {
	t.stalePress()
	return t.prompt()
}

// idFrom reads the id of a "<verb>:<id>" button ("t:12"), and whether data is one.
func idFrom(data, verb string) (int64, bool) {
	a := ParseAction(data)
	if a.Verb != verb || len(a.Args) != 1 {
		return 0, false
	}
	return a.ID(0)
}

// skippable reads the answer to a question the sender may skip with the "not sure" button
// (data "u"), which leaves it empty; ok is false when there is neither.
func skippable(data, text string) (answer string, ok bool) {
	switch {
	case data == "u":
		return "", true
	case text != "":
		return text, true
	}
	return "", false
}

// pickTownship reads the township button the sender pressed. Anything else, or a township
// gone since the buttons were sent, is answered with expect (the step's question stays open)
// and ok is false.
func (t *turn) pickTownship(data string, expect func() error) (id int64, ok bool, err error) {
	id, ok = idFrom(data, VerbTownship)
	if !ok {
		return 0, false, expect()
	}
	_, err = t.tx.FindTownship(id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, false, expect()
	}
	return id, err == nil, err
}

// pickVillage reads the village button the sender pressed: a village of township, or 0 for
// the whole township. Anything else is answered with expect, as in pickTownship.
func (t *turn) pickVillage(data string, township int64, expect func() error) (id int64, ok bool, err error) {
	id, ok = idFrom(data, VerbVillage)
	if !ok {
		return 0, false, expect()
	}
	if id == 0 {
		return 0, true, nil
	}
	v, err := t.tx.FindVillage(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && v.TownshipID != township) {
		return 0, false, expect()
	}
	return id, err == nil, err
}

// addFiles scrubs and stores the message's files, appending them to list. It answers and
// returns false when a file is refused; then nothing is added, and the flow goes on where it
// was.
func (t *turn) addFiles(list *[]store.Attachment, limit int) (bool, error) {
	if len(*list)+len(t.msg.Files) > limit {
		t.say(t.tr("too.many"))
		return false, nil
	}
	added, ok, err := t.keepFiles(len(*list))
	if !ok || err != nil {
		return false, err
	}
	*list = append(*list, added...)
	t.dirty = true
	return true, nil
}

// keepFiles checks, cleans and stores the message's files, the first numbered after the n
// already kept. When one is refused it answers why and returns false, and none is stored.
//
// What is kept is decided by content, not by name (cfg.Scrub), and each file is stored under
// a neutral name (附件1.jpg): an uploader's file name can carry a name, a place or a date. The
// name is in the default language, not the sender's, which would tell something about them.
func (t *turn) keepFiles(n int) ([]store.Attachment, bool, error) {
	type clean struct {
		data []byte
		mime string
	}
	var files []clean
	for _, f := range t.msg.Files {
		if len(f.Data) == 0 {
			// A download that failed or an empty upload: nothing to keep, and the sender
			// should know it did not arrive.
			t.say(t.tr("bad.file"))
			return nil, false, nil
		}
		data, mime, err := t.e.cfg.Scrub(f.Data)
		switch {
		case errors.Is(err, media.ErrMalformed):
			t.e.log.Info("attachment damaged", "mime", mime, "size", len(f.Data))
			t.say(t.tr("bad.file"))
			return nil, false, nil
		case err != nil:
			t.e.log.Info("attachment refused", "mime", mime, "size", len(f.Data))
			t.say(t.tr("file.refused"))
			return nil, false, nil
		}
		files = append(files, clean{data, mime})
	}
	var added []store.Attachment
	for _, f := range files {
		sha, err := t.tx.PutBlob(f.data, f.mime)
		if err != nil {
			return nil, false, err
		}
		n++
		name := T(t.e.cfg.DefaultLang, "file.name", n) + media.Extension(f.mime)
		added = append(added, store.Attachment{SHA256: sha, Name: name, MIME: f.mime, Size: int64(len(f.data))})
	}
	return added, true, nil
}

// placeName describes a report's place.
func (t *turn) placeName(townshipID, villageID int64, text string) (string, error) {
	if townshipID == 0 {
		if text == "" {
			return t.tr("not.given"), nil
		}
		return text, nil
	}
	tw, err := t.tx.FindTownship(townshipID)
	if err != nil {
		return "", err
	}
	if villageID == 0 {
		return tw.Name, nil
	}
	v, err := t.tx.FindVillage(villageID)
	if err != nil {
		return "", err
	}
	return tw.Name + " " + v.Name, nil
}

func (t *turn) orNotGiven(s string) string {
	if s == "" {
		return t.tr("not.given")
	}
	return s
}

func (t *turn) summary() error {
	d := t.st.Report
	c, _ := t.category(d.Category)
	place, err := t.placeName(d.TownshipID, d.VillageID, d.PlaceText)
	if err != nil {
		return err
	}
	how := t.tr("how.anonymous")
	switch {
	case d.Identity == "named":
		how = t.tr("how.realname", d.Name, d.Phone)
	case d.KeepLink:
		how = t.tr("how.anonymous.link")
	}
	when := t.orNotGiven(d.When)
	if d.When == "" && whenPattern.MatchString(d.Description) {
		when = t.tr("when.in.description") // the description says when; it was not asked again
	}
	t.sayCancel(t.tr("report.summary", c.Name(t.lang), place, t.orNotGiven(d.Subject), when,
		d.Description, len(d.Files), how),
		[]store.Button{t.btn("report.confirm", "ok"), t.btn("report.edit", "edit")})
	return nil
}

// submitReport stores the draft, shows the query code once and notifies the officials of the
// place.
func (t *turn) submitReport() error {
	d := t.st.Report
	if d.Category == "" || d.Description == "" || d.Identity == "" {
		// An edit went back to a step that was never answered; ask it.
		t.st.Return = ""
		return t.prompt()
	}
	r := &store.Report{
		Category: d.Category, TownshipID: d.TownshipID, VillageID: d.VillageID, PlaceText: d.PlaceText,
		Subject: d.Subject, Description: d.Description, WhenText: d.When, Anonymous: d.Identity != "named",
		Lang: t.lang,
	}
	if d.KeepLink {
		r.ReporterChat = t.chat.ID
	}
	if d.Identity == "named" {
		r.Contact = &store.Contact{Name: d.Name, Phone: d.Phone}
	}
	code, err := t.tx.CreateReport(r, d.Files)
	if err != nil {
		return err
	}
	if err := t.registerReportClue(r); err != nil {
		return err
	}
	t.reset()
	shown := store.FormatQueryCode(code)
	text := t.tr("report.stored", shown)
	if !r.Anonymous {
		text += t.tr("report.stored.realname")
	}
	note, err := t.closedWindowNote(r.TownshipID, r.VillageID) // window.go
	if err != nil {
		return err
	}
	text += note
	t.resident = true // the code is shown once: it goes out even if the chat loses a role meanwhile
	t.sayCodes(text, []string{shown}, t.menu()...)
	// No log line here: its time alone, next to a proxy's access log, would give the reporter's
	// address, and its report number would name the report. The step is counted in the metrics.
	return t.notifyOfficials(r, len(d.Files))
}

// notifyOfficials tells the officials whose jurisdiction covers a new report. The notice holds
// what happened and where, never who reported it.
func (t *turn) notifyOfficials(r *store.Report, files int) error {
	chats, err := t.tx.ChatsOfRoles(r.TownshipID, store.RoleOfficial, store.RoleAdmin)
	if err != nil {
		return err
	}
	return t.tellEach(chats, fmt.Sprintf("report:%d:notice", r.ID), func(lang string) (store.OutMessage, error) {
		place, err := t.placeName(r.TownshipID, r.VillageID, r.PlaceText)
		if err != nil {
			return store.OutMessage{}, err
		}
		cat, _ := t.category(r.Category)
		kind := T(lang, "notice.anonymous")
		switch {
		case r.Source == store.SourceCheckin:
			kind = T(lang, "notice.checkin")
		case !r.Anonymous:
			kind = T(lang, "notice.named")
		}
		subject := r.Subject
		if subject == "" {
			subject = T(lang, "not.given")
		}
		msg := store.OutMessage{Text: T(lang, "notice.report", r.ID, cat.Name(lang), place, subject, kind, truncate(r.Description, 200), files)}
		number, open, err := t.clueNotice(r.ID, lang)
		if err != nil {
			return store.OutMessage{}, err
		}
		msg.Text += number
		if open != nil {
			msg.Buttons = [][]store.Button{open}
		}
		return msg, nil
	})
}
