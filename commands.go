package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// The command line: one table of every command and one dispatcher. A new command is a row of
// commandTable and a setup function in the file of its family (places_cli.go, rounds_cli.go…):
// the setup declares the command's flags on the flag set it is given and returns the function
// that runs with their values. The dispatcher parses the flags (environment first, then the
// command line), answers --help from the same flag set, and calls the run.

// A command is one row of the table.
type command struct {
	name    string // the words that select it: "serve", "places import"
	args    string // the synopsis after "xuncha NAME [flags]": its arguments, e.g. "FILE.csv"
	summary string // one line for the command list
	alias   string // when set, this row is another name for that command, kept for old scripts
	setup   func(fs *flag.FlagSet) runFunc
}

// runFunc runs a command once its flags are parsed.
type runFunc func(ctx context.Context, e *env) error

// env is what a command runs with: the process's environment and streams, and the arguments
// left after its flags.
type env struct {
	name           string   // the command's name, e.g. "rectify suggest"
	args           []string // the positional arguments
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	usage          func(io.Writer) // prints the command's usage
}

// oneArg returns the command's one positional argument, named what in its synopsis; without
// exactly one it prints the usage and fails.
func (e *env) oneArg(what string) (string, error) {
	if len(e.args) != 1 {
		e.usage(e.stderr)
		return "", fmt.Errorf("%s: expected one %s", e.name, what)
	}
	return e.args[0], nil
}

// fileCommand declares a command with the store's settings and one positional argument, a file
// (what, in its synopsis): run gets the file's name once the settings are valid, so that a bad
// setting fails before the file is read or written.
func fileCommand(what string, run func(ctx context.Context, e *env, c *common, name string) error) func(*flag.FlagSet) runFunc {
	return func(fs *flag.FlagSet) runFunc {
		var c common
		c.register(fs, useDB)
		return func(ctx context.Context, e *env) error {
			name, err := e.oneArg(what)
			if err != nil {
				return err
			}
			if err := c.validate(); err != nil {
				return err
			}
			return run(ctx, e, &c, name)
		}
	}
}

// commandTable is every command of the binary, in the order `xuncha --help` lists them.
func commandTable() []command {
	return []command{
		{name: "serve", summary: "run the bot: every configured channel, the web chat, the scheduled jobs", setup: serveCommand},
		{name: "desk link", args: "--person ID [--desk-url https://host]", summary: "print a one-time sign-in link to the officials' desk for a person", setup: deskLink},
		{name: "invite", args: "--role officer|liaison|official|unit|admin [--township T] [--village V] [--unit U] [--expires 72h]\n       xuncha invite --revoke CODE [--reason TEXT]",
			summary: "issue (or revoke) a one-time invitation code that grants a role", setup: inviteCommand},
		{name: "people list", args: "[--active]", summary: "list who holds a role: id, role, jurisdiction, channel, bound, last active, status (never a chat id)", setup: peopleListCommand},
		{name: "people revoke", args: "--person ID --reason TEXT", summary: "withdraw a person's role: a resident again at the next message, on every channel", setup: peopleRevokeCommand},
		{name: "places import", args: "FILE.csv", summary: "import townships and villages from a CSV file (UTF-8 or GBK, as Excel saves it)", setup: importFile(readPlaces)},
		{name: "places list", summary: "list the townships and villages", setup: placesList},
		{name: "places rename", args: "--township T [--village V] --to NEW", summary: "rename a township or a village", setup: placesRename},
		{name: "places remove", args: "--township T [--village V]", summary: "remove a township (with its villages) or a village that nothing refers to", setup: placesRemove},
		{name: "task add", args: "--township T [--village V] --title TITLE [--body TEXT] [--due YYYY-MM-DD]",
			summary: "give a task to the information officers of a village or township", setup: taskAdd},
		{name: "backup", args: "FILE", summary: "write a consistent copy of the database while the bot runs", setup: fileCommand("FILE", backup)},
		{name: "purge", args: "[--dry-run]", summary: "apply the retention periods now (--dry-run: only show what would go)", setup: purgeCommand},
		{name: "wechat menu", summary: "install the WeChat Official Account custom menu (举报 / 查询 / 我的)", setup: wechatMenu},
		{name: "clue add", args: "--subject WHO --summary TEXT [--township T] [--village V] [--round R]",
			summary: "register a clue the inspection itself found in the clue ledger", setup: clueAdd},
		{name: "clue keeper", args: "--clue N --person ID", summary: "assign or change a clue's keeper (台账管理人), who gets its reminders", setup: clueKeeper},
		{name: "round create", args: "--name N --from YYYY-MM-DD --to YYYY-MM-DD [--group G…] [--org O…] [--township T…] [--village T/V…] [--announce-file F]",
			summary: "create a round: its window, groups, organisations, places (mode from the village class), announcement", setup: roundCreate},
		{name: "round add", alias: "round create"},
		{name: "round member", args: "--round R --group G --person ID", summary: "put a person in a group of a round", setup: roundMember},
		{name: "round show", args: "--round R", summary: "show a round's groups, organisations and places", setup: roundShow},
		{name: "classify start", args: "--township T", summary: "start the five-step village classification of a township", setup: classifyStart},
		{name: "classify record", args: "--township T --village V --class key|general [--note N]", summary: "record a village's class at the current step", setup: classifyRecord},
		{name: "classify advance", args: "--township T", summary: "finish the current step of a township's classification", setup: classifyAdvance},
		{name: "classify show", args: "--township T", summary: "show a township's classification history", setup: classifyShow},
		{name: "briefing request", args: "--round R --unit U… [--days 5]", summary: "ask departments for their pre-inspection briefings (巡前通报)", setup: briefingRequest},
		{name: "briefing show", args: "--round R", summary: "show who has answered a round's briefing requests, and what", setup: briefingShow},
		{name: "meeting add", args: "--round R --kind mobilisation|stage|feedback --at 2026-12-01T09:00 --place P --attendee role[:unit]…",
			summary: "schedule a meeting of a round and notify its attendees", setup: meetingAdd},
		{name: "meeting handover", args: "--id N", summary: "hand a feedback meeting's findings to the commission and the organisation department", setup: meetingHandover},
		{name: "meeting list", summary: "list the meetings and who confirmed", setup: meetingList},
		{name: "rectify add", args: "--round R --unit U --title T [--plan-days 10] [--months 2]", summary: "give an inspected organisation a rectification task (整改)", setup: rectifyAdd},
		{name: "rectify suggest", args: "--round R --unit U --title T [--plan-days 10] [--months 2]", summary: "send a department a rectification suggestion (整改建议书)", setup: rectifyAdd},
		{name: "rectify list", summary: "list the rectification tasks and suggestions with their steps", setup: rectifyList},
		{name: "talent add", args: "--name N --field F [--unit U]", summary: "add a specialist to the talent pool (巡察人才库)", setup: talentAdd},
		{name: "talent list", args: "[--field F] [--free] [--on YYYY-MM-DD]", summary: "list the talent pool", setup: talentList},
		{name: "talent assign", args: "--talent ID --round R [--group G]", summary: "assign a specialist to a round", setup: talentAssign},
		{name: "stats", args: "[--from YYYY-MM-DD] [--to YYYY-MM-DD] [--round R] [--township T] [--unit U]", summary: "print the clue ledger's statistics for a period or round", setup: statsCmd},
		{name: "audit", args: "[--limit N] [--person ID] [--action A]", summary: "print the audit log (who read or changed what, from which channel)", setup: auditCmd},
		{name: "export ledger", args: "--format xlsx|csv --out FILE [--from --to --round --unit --status --township]", summary: "write the clue ledger to an .xlsx or .csv file", setup: exportLedger},
		{name: "announce add", args: "--title T --body-file F --township T [--village V] --publish 2026-12-01T09:00 [--open …] --close … [--remind-days 3]",
			summary: "add an inspection announcement (巡察公告) pushed to subscribers", setup: announceAdd},
		{name: "announce list", summary: "list the announcements and their state", setup: announceList},
		{name: "calendar import", args: "FILE.csv   (lines: date,kind with kind holiday or workday)", summary: "import a year of holidays and make-up working days", setup: importFile(readCalendar)},
	}
}

// dispatch finds the command that args (without the program name) name and runs it.
func dispatch(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmds := commandTable()
	if len(args) == 0 {
		printCommands(stderr, cmds)
		return errors.New("no command given")
	}
	if args[0] == "help" { // "xuncha help places import" is "xuncha places import --help"
		if len(args) == 1 {
			printCommands(stdout, cmds)
			return nil
		}
		args = append(slices.Clone(args[1:]), "--help")
	}
	if isHelp(args[0]) {
		printCommands(stdout, cmds)
		return nil
	}
	c, rest := lookup(cmds, args)
	if c == nil {
		subs := subcommands(cmds, args[0])
		if len(subs) == 0 {
			printCommands(stderr, cmds)
			return fmt.Errorf("unknown command %q", args[0])
		}
		if len(args) > 1 && isHelp(args[1]) {
			printGroup(stdout, args[0], subs)
			return nil
		}
		printGroup(stderr, args[0], subs)
		if len(args) == 1 {
			return fmt.Errorf("%s: expected a subcommand", args[0])
		}
		return fmt.Errorf("%s: unknown subcommand %q", args[0], args[1])
	}
	target := c
	if c.alias != "" {
		target, _ = lookup(cmds, strings.Fields(c.alias))
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // the dispatcher prints the usage, to stdout when asked for
	run := target.setup(fs)
	e := &env{name: target.name, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr,
		usage: func(w io.Writer) { printUsage(w, c, target, fs) }}
	// The environment first, then the command line, which wins. --help works even when an
	// environment variable is wrong.
	envErr := applyEnv(fs, getenv)
	pos, err := parseArgs(fs, rest)
	switch {
	case errors.Is(err, flag.ErrHelp):
		e.usage(stdout)
		return nil
	case err != nil:
		e.usage(stderr)
		return err
	case envErr != nil:
		return envErr
	}
	e.args = pos
	return run(ctx, e)
}

// lookup finds the longest command name that args start with.
func lookup(cmds []command, args []string) (*command, []string) {
	for n := min(2, len(args)); n > 0; n-- {
		name := strings.Join(args[:n], " ")
		for i := range cmds {
			if cmds[i].name == name {
				return &cmds[i], args[n:]
			}
		}
	}
	return nil, nil
}

// subcommands returns the commands of a family ("places": places import, places list…).
func subcommands(cmds []command, family string) []command {
	var out []command
	for _, c := range cmds {
		if first, _, ok := strings.Cut(c.name, " "); ok && first == family {
			out = append(out, c)
		}
	}
	return out
}

func isHelp(s string) bool {
	switch s {
	case "-h", "-help", "--help", "--h":
		return true
	}
	return false
}

// printCommands prints the list of every command.
func printCommands(w io.Writer, cmds []command) {
	fmt.Fprint(w, "xuncha — grassroots reporting and inspection supervision bot\n\nusage: xuncha <command> [flags]\n\ncommands:\n")
	var t table
	for _, c := range cmds {
		if c.alias == "" {
			t.row("  "+c.name, c.summary)
		}
	}
	t.write(w)
	fmt.Fprint(w, "\nEvery flag can also be set with an XUNCHA_* environment variable; run\n\"xuncha <command> --help\" for the flags of a command.\n")
}

// printGroup prints the subcommands of a family.
func printGroup(w io.Writer, family string, subs []command) {
	fmt.Fprintf(w, "usage: xuncha %s <subcommand> [flags]\n\nsubcommands:\n", family)
	var t table
	for _, c := range subs {
		summary := c.summary
		if c.alias != "" {
			summary = "another name for " + c.alias
		}
		t.row("  "+c.name, summary)
	}
	t.write(w)
	fmt.Fprintf(w, "\nrun \"xuncha %s <subcommand> --help\" for its flags.\n", family)
}

// printUsage prints a command's synopsis, summary and flags, each flag with its environment
// variable. c is the row named on the command line, target the command it runs.
func printUsage(w io.Writer, c, target *command, fs *flag.FlagSet) {
	synopsis := "xuncha " + c.name + " [flags]"
	if target.args != "" {
		synopsis += " " + target.args
	}
	fmt.Fprintf(w, "usage: %s\n\n%s\n", synopsis, target.summary)
	if c.alias != "" {
		fmt.Fprintf(w, "(%s is another name for %s)\n", c.name, c.alias)
	}
	fmt.Fprint(w, "\nflags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		def := ""
		if f.DefValue != "" && !isBoolFlag(f) {
			def = fmt.Sprintf(" (default %q)", f.DefValue)
		}
		fmt.Fprintf(w, "  --%s  %s%s\n        env %s\n", f.Name, f.Usage, def, envName(f.Name))
	})
}

// isBoolFlag reports a switch (--dry-run): it is off unless given, which needs no default.
func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
