package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// runCLI runs one command of the CLI and returns its output and error.
func runCLI(t *testing.T, getenv func(string) string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(t.Context(), append([]string{"xuncha"}, args...), getenv, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

var helpFlag = regexp.MustCompile(`(?m)^  --([a-z0-9-]+)  `)

// TestHelp walks the command table: every command, subcommand and family answers --help and -h
// with exit status 0 and a usage on stdout that lists the command's own flags, and the shared
// settings only where the command reads them (before the table every command listed
// --categories and --ledger, and classify, briefing, meeting, rectify, talent, announce and
// calendar failed with `unknown subcommand "--help"`).
func TestHelp(t *testing.T) {
	// A wrong variable in the environment does not stop --help.
	env := testEnv("XUNCHA_DB", filepath.Join(t.TempDir(), "x.db"), "XUNCHA_LIMIT", "many")
	// Which commands read the optional shared settings; every other command must not list them.
	readers := map[string][]string{
		"categories": {"serve", "task add", "export ledger"},
		"ledger": {"serve", "invite", "stats", "export ledger", "round create", "round add", "briefing request",
			"meeting add", "rectify add", "rectify suggest"},
		"lang": {"serve", "task add", "stats"},
		"db":   nil, // every command but wechat menu, below
	}
	families := map[string]bool{}
	cmds := commandTable()
	if len(cmds) < 30 {
		t.Fatalf("the command table has %d rows", len(cmds))
	}
	for _, c := range cmds {
		if first, _, ok := strings.Cut(c.name, " "); ok {
			families[first] = true
		}
		for _, h := range []string{"--help", "-h"} {
			args := append(strings.Fields(c.name), h)
			out, errOut, err := runCLI(t, env, args...)
			if err != nil {
				t.Errorf("xuncha %s: %v\n%s", strings.Join(args, " "), err, errOut)
				continue
			}
			if !strings.HasPrefix(out, "usage: xuncha "+c.name+" [flags]") {
				t.Errorf("xuncha %s: no usage line on stdout:\n%s", strings.Join(args, " "), out)
			}
			var listed []string
			for _, m := range helpFlag.FindAllStringSubmatch(out, -1) {
				listed = append(listed, m[1])
			}
			if !slices.Contains(listed, "log-level") {
				t.Errorf("%s --help lists no --log-level: %v", c.name, listed)
			}
			for flag, who := range readers {
				want := slices.Contains(who, c.name)
				if flag == "db" {
					want = c.name != "wechat menu"
				}
				if got := slices.Contains(listed, flag); got != want {
					t.Errorf("%s --help lists --%s: %v, want %v (%v)", c.name, flag, got, want, listed)
				}
			}
			if !strings.Contains(out, "env XUNCHA_LOG_LEVEL") {
				t.Errorf("%s --help does not name the environment variables", c.name)
			}
		}
	}
	for family := range families {
		out, errOut, err := runCLI(t, env, family, "--help")
		if err != nil {
			t.Errorf("xuncha %s --help: %v\n%s", family, err, errOut)
			continue
		}
		for _, c := range subcommands(cmds, family) {
			if !strings.Contains(out, c.name) {
				t.Errorf("xuncha %s --help does not list %s:\n%s", family, c.name, out)
			}
		}
		if _, _, err := runCLI(t, env, family, "nonsense"); err == nil || !strings.Contains(err.Error(), `unknown subcommand "nonsense"`) {
			t.Errorf("xuncha %s nonsense: %v", family, err)
		}
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		out, _, err := runCLI(t, env, args...)
		if err != nil {
			t.Errorf("xuncha %v: %v", args, err)
		}
		for _, c := range cmds {
			if c.alias == "" && !strings.Contains(out, "  "+c.name+" ") {
				t.Errorf("xuncha %v does not list %s", args, c.name)
			}
		}
	}
	out, _, err := runCLI(t, env, "help", "places", "import")
	if err != nil || !strings.HasPrefix(out, "usage: xuncha places import") {
		t.Errorf("xuncha help places import: %v\n%s", err, out)
	}
	if _, _, err := runCLI(t, env); err == nil {
		t.Error("no command: no error")
	}
	if _, errOut, err := runCLI(t, env, "backup", "--no-such-flag"); err == nil || !strings.Contains(errOut, "usage: xuncha backup") {
		t.Errorf("a wrong flag: %v, usage on stderr:\n%s", err, errOut)
	}
}

// TestRoundAddIsRoundCreate: the old "round add" runs round create (a round with no places is
// the window the ledger's statistics count in).
func TestRoundAddIsRoundCreate(t *testing.T) {
	env := testEnv("XUNCHA_DB", filepath.Join(t.TempDir(), "x.db"))
	out, _ := mustRun(t, env, "round", "add", "--name", "十五届市委第五轮巡察", "--from", "2024-04-08", "--to", "2024-05-17")
	wantIn(t, out, "round 1 十五届市委第五轮巡察: 2024-04-08 to 2024-05-17")
	out, _ = mustRun(t, env, "round", "show", "--round", "1")
	wantIn(t, out, "2024-04-08 to 2024-05-17")
	audit, _ := mustRun(t, env, "audit", "--action", "round.")
	wantIn(t, audit, "round.create")
	if _, _, err := runCLI(t, env, "round", "create", "--name", "x", "--from", "2024-04-08", "--to", "2024-05-17", "--announce-file", "README.md"); err == nil {
		t.Error("an announcement with no places to reach was accepted")
	}
}

// TestPlacesImportExcel imports what Excel on Chinese Windows saves: "CSV" in GBK and "CSV
// UTF-8" with a byte-order mark, with Chinese or English headers in any order. Before, the GBK
// file was imported as mojibake and a header the parser did not know became a township.
func TestPlacesImportExcel(t *testing.T) {
	dir := t.TempDir()
	env := testEnv("XUNCHA_DB", filepath.Join(dir, "x.db"))

	gbk, err := simplifiedchinese.GBK.NewEncoder().String("乡镇（街道）,村（社区）,类别,村集体经济收入（元）,人口,备注\r\n新站镇,东风村,重点村,\"120,000\",2310,示范村\r\n新站镇,向阳村,一般村,,,\r\n,,,,,\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains([]byte(gbk), []byte{0xd0, 0xc2}) { // 新 in GBK
		t.Fatal("the fixture is not GBK")
	}
	out, _ := mustRun(t, env, "places", "import", writeFile(t, dir, "gbk.csv", []byte(gbk)))
	wantIn(t, out, "columns ignored: 备注")
	wantIn(t, out, "2 rows read: 1 townships added, 2 villages added")

	// English header in another order, UTF-8 with a byte-order mark.
	bom := "\uFEFFPopulation,Village,Township,Class\n1640,太平村,天岗镇,general\n1985,民主村,天岗镇,key\n"
	out, _ = mustRun(t, env, "places", "import", writeFile(t, dir, "bom.csv", []byte(bom)))
	wantIn(t, out, "2 rows read: 1 townships added, 2 villages added")

	list, _ := mustRun(t, env, "places", "list")
	for _, want := range []string{"新站镇  东风村  key      120000  2310", "天岗镇  民主村  key      0       1985", "天岗镇  太平村  general  0       1640"} {
		wantIn(t, strings.Join(strings.Fields(list), " "), strings.Join(strings.Fields(want), " "))
	}

	// A header that names no known column is refused, not imported as a township.
	for _, hdr := range []string{"名称,村名称\n新站镇,红旗村\n", "Name,Remarks\n新站镇,x\n"} {
		_, _, err := runCLI(t, env, "places", "import", writeFile(t, dir, "unknown.csv", []byte(hdr)))
		if err == nil || !strings.Contains(err.Error(), "header") {
			t.Errorf("unknown header %q: %v", hdr, err)
		}
	}
	list, _ = mustRun(t, env, "places", "list")
	for _, unwanted := range []string{"名称", "Name", "红旗村", "�"} {
		wantNotIn(t, list, unwanted)
	}
}

func TestParsePlacesHeaders(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // township/village/class/income/population of each row, or the error
	}{
		{"no header", "新站镇,东风村,key,1,2\n", "新站镇/东风村/key/1/2"},
		{"english header", "township,village,class,collective_income,population\n新站镇,东风村,key,1,2\n", "新站镇/东风村/key/1/2"},
		{"chinese header reordered", "村,乡镇,人口\n东风村,新站镇,7\n", "新站镇/东风村/general/0/7"},
		{"township only", "乡镇\n新站镇\n", "新站镇//general/0/0"},
		{"empty rows skipped", "新站镇,东风村\n,,,\n\n天岗镇\n", "新站镇/东风村/general/0/0 天岗镇//general/0/0"},
		{"header without township", "村,类别\n东风村,key\n", "error: no township"},
		{"column named twice", "乡镇,村,乡镇\n", "error: twice"},
		{"unknown header", "所在地区名称,村名称\n新站镇,东风村\n", "error: header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, _, err := parsePlaces(strings.NewReader(tt.in))
			if strings.HasPrefix(tt.want, "error: ") {
				if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(tt.want, "error: ")) {
					t.Fatalf("err = %v, want %s", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, strings.Join([]string{r.Township, r.Village, r.Class,
					strconv.FormatInt(r.CollectiveIncome, 10), strconv.FormatInt(r.Population, 10)}, "/"))
			}
			if strings.Join(got, " ") != tt.want {
				t.Fatalf("rows = %v, want %s", got, tt.want)
			}
		})
	}
}

// TestPlacesRenameRemove: a misspelt place is renamed (its records follow), one imported by
// mistake is removed, and one that reports, clues, people or invitations refer to is not.
func TestPlacesRenameRemove(t *testing.T) {
	dbPath, env := testDB(t)
	dir := filepath.Dir(dbPath)
	mustRun(t, env, "places", "import", writeFile(t, dir, "typo.csv", []byte("新占镇,东方村\n误导入乡\n")))

	out, _ := mustRun(t, env, "places", "rename", "--township", "新占镇", "--village", "东方村", "--to", "东方红村")
	wantIn(t, out, "village 新占镇 / 东方村 renamed to 东方红村")
	if _, _, err := runCLI(t, env, "places", "rename", "--township", "新占镇", "--to", "新站镇"); err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("rename onto an existing township: %v", err)
	}
	mustRun(t, env, "places", "rename", "--township", "新占镇", "--to", "松江镇")

	// Nothing refers to these: they go.
	out, _ = mustRun(t, env, "places", "remove", "--township", "误导入乡")
	wantIn(t, out, "township 误导入乡 removed")
	mustRun(t, env, "places", "remove", "--township", "新站镇", "--village", "红旗村")

	// A clue, an invitation: refused, and the message says what refers to the place.
	mustRun(t, env, "clue", "add", "--subject", "某村干部", "--summary", "账目不公开", "--township", "天岗镇", "--village", "民主村")
	mustRun(t, env, "invite", "--role", "officer", "--township", "松江镇", "--village", "东方红村")
	for _, tc := range []struct{ args, want []string }{
		{[]string{"--township", "天岗镇"}, []string{"1 clues", "not removed"}},
		{[]string{"--township", "天岗镇", "--village", "民主村"}, []string{"1 clues"}},
		{[]string{"--township", "松江镇"}, []string{"1 invitations", "places rename"}},
	} {
		_, _, err := runCLI(t, env, append([]string{"places", "remove"}, tc.args...)...)
		if err == nil {
			t.Errorf("places remove %v: removed", tc.args)
			continue
		}
		for _, w := range tc.want {
			wantIn(t, err.Error(), w)
		}
	}
	list, _ := mustRun(t, env, "places", "list")
	for _, want := range []string{"松江镇", "东方红村", "天岗镇", "民主村", "向阳村"} {
		wantIn(t, list, want)
	}
	for _, gone := range []string{"新占镇", "东方村", "误导入乡", "红旗村"} {
		wantNotIn(t, list, gone)
	}
	audit, _ := mustRun(t, env, "audit", "--action", "place.")
	wantIn(t, audit, "place.rename")
	wantIn(t, audit, "place.remove")
}

// TestInviteChecks: an invitation that could not work is refused (a unit nothing reaches, an
// officer with no village), and the output says what the code grants.
func TestInviteChecks(t *testing.T) {
	_, env := testDB(t)

	for _, args := range [][]string{
		{"--role", "unit", "--unit", "市纪委第九室"},
		{"--role", "officer", "--township", "新站镇"},
		{"--role", "officer", "--township", "新站镇", "--village", "不存在村"},
		{"--role", "official", "--unit", "case1"},
	} {
		if out, _, err := runCLI(t, env, append([]string{"invite"}, args...)...); err == nil {
			t.Errorf("invite %v was issued:\n%s", args, out)
		}
	}
	_, _, err := runCLI(t, env, "invite", "--role", "unit", "--unit", "新站镇党委")
	if err == nil || !strings.Contains(err.Error(), "市纪委监委第一纪检监察室") {
		t.Errorf("unknown unit: the error does not list the known ones: %v", err)
	}

	// By key: the invitation records the name clues and reminders use.
	out, _ := mustRun(t, env, "invite", "--role", "unit", "--unit", "case1", "--expires", "48h")
	wantIn(t, out, "role: unit (承办单位)")
	wantIn(t, out, "jurisdiction: unit 市纪委监委第一纪检监察室")
	wantIn(t, out, "(in 48h0m0s)")
	// An organisation a round inspects is a unit too.
	mustRun(t, env, "round", "create", "--name", "第五轮", "--from", "2026-12-01", "--to", "2027-01-10", "--org", "新站镇党委", "--township", "新站镇")
	mustRun(t, env, "invite", "--role", "unit", "--unit", "新站镇党委")

	out, _ = mustRun(t, env, "invite", "--role", "officer", "--township", "新站镇", "--village", "东风村")
	for _, want := range []string{"invitation code: ", "role: officer (巡察监督信息员)", "jurisdiction: village 新站镇 / 东风村", "expires: ", "/bind "} {
		wantIn(t, out, want)
	}
	out, _ = mustRun(t, env, "invite", "--role", "official")
	wantIn(t, out, "jurisdiction: the whole county")
}

// TestTaskAddDue: a task due before today is refused; one due today is given.
func TestTaskAddDue(t *testing.T) {
	_, env := testDB(t)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	yesterday := time.Now().In(loc).AddDate(0, 0, -1).Format("2006-01-02")
	_, _, err := runCLI(t, env, "task", "add", "--township", "新站镇", "--title", "走访", "--due", yesterday)
	if err == nil || !strings.Contains(err.Error(), "in the past") {
		t.Errorf("a task due %s: %v", yesterday, err)
	}
	out, _ := mustRun(t, env, "task", "add", "--township", "新站镇", "--title", "走访", "--due", time.Now().In(loc).Format("2006-01-02"))
	wantIn(t, out, "task 1 created")
}

// TestTable: columns of Chinese and Latin text line up on a terminal, where a Chinese
// character is two columns wide (text/tabwriter counts it as one).
func TestTable(t *testing.T) {
	var tb table
	tb.row("id", "name", "field", "state")
	tb.row("1", "张审计", "财务审计", "available")
	tb.row("12", "Li", "农业农村（乡村振兴）", "assigned to 第五轮")
	var b bytes.Buffer
	if err := tb.write(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	// The display column where each cell starts.
	starts := func(line string) []int {
		var out []int
		col, prevSpace := 0, true
		for _, r := range line {
			space := r == ' '
			if !space && prevSpace {
				out = append(out, col)
			}
			if isWide(r) {
				col += 2
			} else {
				col++
			}
			prevSpace = space
		}
		return out
	}
	want := starts(lines[0])
	for _, l := range lines[1:] {
		got := starts(l)
		// "assigned to 第五轮" has spaces of its own: compare the first four starts.
		if len(got) < 4 || !slices.Equal(got[:4], want) {
			t.Errorf("columns start at %v, want %v:\n%s", got, want, b.String())
		}
	}
	for _, l := range lines {
		if strings.HasSuffix(l, " ") {
			t.Errorf("line ends in spaces: %q", l)
		}
	}
	if w := displayWidth("新站镇abc\u0301"); w != 9 {
		t.Errorf("displayWidth = %d, want 9", w)
	}
}
