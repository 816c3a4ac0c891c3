// Package catalogcheck finds every use of a text catalog in a package's source and checks it
// against the catalog: the key exists, has both languages, and is given as many arguments as
// its format verbs ask for. It exists because a raw key (when.in.description) and a
// %!(EXTRA …) once reached every resident while every test passed: the catalogs are maps
// read at run time, so only a reading of the source can tell that a key is missing.
package catalogcheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"
)

// Func names a function or method that takes a catalog key: Name is the called name (a
// method's selector, a plain function, or "pkg.F" for another package's function), Key the index of the key argument. The arguments
// after the key are the format's arguments, unless Plain says the text is used as it is
// (a button's label, whose next argument is the button's data).
type Func struct {
	Name  string
	Key   int
	Plain bool
}

// Use is one place a key is used, with the number of format arguments it is given (-1 when
// they are spread from a slice and cannot be counted).
type Use struct {
	Key  string
	Args int
	Pos  string
}

// Uses parses the non-test Go files of dir and returns every call of funcs whose key is a
// string constant. A key passed on through a parameter of another function (startText(c,
// "key") calling t.tr(key, c.Number)) is followed one level: the call sites of that function
// with a constant at the parameter's place are uses too, with the inner call's arguments.
// Dynamic keys (built at run time) are returned in dynamic, so that a test can list them.
func Uses(dir string, funcs []Func) (uses []Use, dynamic []string, err error) {
	fset := token.NewFileSet()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("parse %s: %w", name, err)
		}
		files = append(files, f)
	}
	byName := map[string]Func{}
	for _, f := range funcs {
		byName[f.Name] = f
	}
	count := func(call *ast.CallExpr, f Func) int {
		if f.Plain {
			return 0
		}
		return argCount(call, f.Key)
	}
	consts := constStrings(files)

	// forward records functions that pass one of their parameters on as a key:
	// name → (parameter index → format arguments of the inner call).
	type forward struct{ param, args int }
	forwards := map[string][]forward{}
	for _, f := range files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			params := paramIndex(fn)
			imports := importNames(f)
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				f, ok := byName[calledName(call, imports)]
				if !ok || f.Key >= len(call.Args) {
					return true
				}
				if _, wrapper := byName[fn.Name.Name]; wrapper {
					return true // tr calling T: its own calls are uses already
				}
				if id, ok := call.Args[f.Key].(*ast.Ident); ok {
					if p, ok := params[id.Name]; ok {
						forwards[fn.Name.Name] = append(forwards[fn.Name.Name], forward{p, count(call, f)})
					}
				}
				return true
			})
		}
	}

	for _, f := range files {
		imports := importNames(f)
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			name := calledName(call, imports)
			pos := fset.Position(call.Pos()).String()
			if f, ok := byName[name]; ok && f.Key < len(call.Args) {
				if key, ok := stringValue(call.Args[f.Key], consts); ok {
					uses = append(uses, Use{Key: key, Args: count(call, f), Pos: pos})
				} else if _, isIdent := call.Args[f.Key].(*ast.Ident); !isIdent {
					dynamic = append(dynamic, pos)
				}
			}
			for _, fw := range forwards[name] {
				if fw.param < len(call.Args) {
					if key, ok := stringValue(call.Args[fw.param], consts); ok {
						uses = append(uses, Use{Key: key, Args: fw.args, Pos: pos})
					}
				}
			}
			return true
		})
	}
	sort.Slice(uses, func(i, j int) bool { return uses[i].Pos < uses[j].Pos })
	return uses, dynamic, nil
}

// Problems checks uses against catalog and returns one line per problem: a missing key, a
// language left empty, the two languages asking for different arguments, or a use giving a
// number of arguments its format does not take.
func Problems(catalog map[string][2]string, uses []Use) []string {
	var out []string
	for key, pair := range catalog {
		zh, en := Verbs(pair[0]), Verbs(pair[1])
		switch {
		case strings.TrimSpace(pair[0]) == "" || strings.TrimSpace(pair[1]) == "":
			out = append(out, fmt.Sprintf("%s: a language is empty", key))
		case zh != en:
			out = append(out, fmt.Sprintf("%s: zh takes %d arguments, en %d", key, zh, en))
		}
	}
	out = append(out, useProblems(catalog, uses)...)
	sort.Strings(out)
	return out
}

// useProblems is Problems for the uses alone.
func useProblems(catalog map[string][2]string, uses []Use) []string {
	var out []string
	for _, u := range uses {
		pair, ok := catalog[u.Key]
		if !ok {
			out = append(out, fmt.Sprintf("%s: key %q is not in the catalog", u.Pos, u.Key))
			continue
		}
		if u.Args < 0 {
			continue
		}
		// A text without verbs is returned as it is when given no arguments (T does not call
		// Sprintf then), so a literal % in it is fine; with arguments every verb counts.
		if v := Verbs(pair[0]); v != u.Args && !(v == 0 && u.Args == 0) {
			out = append(out, fmt.Sprintf("%s: %q takes %d arguments, given %d", u.Pos, u.Key, v, u.Args))
		}
	}
	sort.Strings(out)
	return out
}

// Verbs is the number of arguments a fmt format consumes: the highest explicit index
// ("%[2]s") or the count of verbs, whichever is larger; "%%" consumes none, and a "*" width
// or precision consumes one.
func Verbs(format string) int {
	n, top := 0, 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		if i+1 < len(format) && format[i+1] == '%' {
			i++
			continue
		}
	verb:
		for i++; i < len(format); i++ {
			switch c := format[i]; {
			case strings.IndexByte("+-# 0.123456789", c) >= 0:
			case c == '*':
				n++
			case c == '[':
				end := strings.IndexByte(format[i:], ']')
				if end < 0 {
					return -1
				}
				idx, err := strconv.Atoi(format[i+1 : i+end])
				if err != nil {
					return -1
				}
				n = idx - 1
				i += end
			default: // the verb itself
				n++
				top = max(top, n)
				break verb
			}
		}
	}
	return max(top, n)
}

// calledName is the name a call is made by: f(…) → "f", x.m(…) → "m", and pkg.F(…) →
// "pkg.F" when pkg is one of the file's imports.
func calledName(call *ast.CallExpr, imports map[string]bool) string {
	switch f := call.Fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok && imports[x.Name] {
			return x.Name + "." + f.Sel.Name
		}
		return f.Sel.Name
	}
	return ""
}

// importNames are the names a file's imports are used by.
func importNames(f *ast.File) map[string]bool {
	names := map[string]bool{}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		name := path[strings.LastIndexByte(path, '/')+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		names[name] = true
	}
	return names
}

// argCount is the number of format arguments after the key, or -1 when they are spread.
func argCount(call *ast.CallExpr, key int) int {
	if call.Ellipsis.IsValid() {
		return -1
	}
	return len(call.Args) - key - 1
}

func paramIndex(fn *ast.FuncDecl) map[string]int {
	idx := map[string]int{}
	i := 0
	for _, field := range fn.Type.Params.List {
		if len(field.Names) == 0 {
			i++
		}
		for _, n := range field.Names {
			idx[n.Name] = i
			i++
		}
	}
	return idx
}

// constStrings collects the package's string constants, so that a key named by a constant
// (t.tr(keyX)) is checked like a literal.
func constStrings(files []*ast.File) map[string]string {
	out := map[string]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							if v, err := strconv.Unquote(lit.Value); err == nil {
								out[name.Name] = v
							}
						}
					}
				}
			}
		}
	}
	return out
}

func stringValue(e ast.Expr, consts map[string]string) (string, bool) {
	switch v := e.(type) {
	case *ast.BasicLit:
		if v.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(v.Value)
		return s, err == nil
	case *ast.Ident:
		s, ok := consts[v.Name]
		return s, ok
	}
	return "", false
}

// Report returns a function that fails t for each problem it is given, and at once for an
// error: catalogcheck.Report(t)(catalogcheck.UseProblems(…)) in a package's TestCatalog.
func Report(t testing.TB) func(problems []string, err error) {
	return func(problems []string, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Error(p)
		}
	}
}

// UseProblems reads dir's source for the calls of funcs (Uses) and returns the problems of
// those uses against catalog; the catalog's own problems are left to i18n's test, which checks
// it once. Fewer than least uses is an error: the reader, not the package, has lost its way.
func UseProblems(dir string, funcs []Func, catalog map[string][2]string, least int) ([]string, error) {
	uses, _, err := Uses(dir, funcs)
	if err != nil {
		return nil, err
	}
	if len(uses) < least {
		return nil, fmt.Errorf("found only %d uses of the catalog in %s, expected at least %d", len(uses), dir, least)
	}
	return useProblems(catalog, uses), nil
}

// TemplateProblems is UseProblems for templates: the calls of the template function fn in the
// files matching glob (TemplateUses).
func TemplateProblems(glob, fn string, catalog map[string][2]string, least int) ([]string, error) {
	uses, err := TemplateUses(glob, fn)
	if err != nil {
		return nil, err
	}
	if len(uses) < least {
		return nil, fmt.Errorf("found only %d uses of the catalog in %s, expected at least %d", len(uses), glob, least)
	}
	return useProblems(catalog, uses), nil
}

// TemplateUses parses the html/template files matching glob and returns every call of the
// template function fn whose first argument is a constant key ({{t "key" .A .B}}), with the
// number of arguments after it. The templates are parsed with text/template/parse, the parser
// html/template itself uses, so a key inside a pipeline or a nested block is found too.
func TemplateUses(glob, fn string) ([]Use, error) {
	names, err := filepath.Glob(glob)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", glob, err)
	}
	var uses []Use
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		// The check reads the templates' calls and does not run them, so the parser is told
		// not to ask whether each function exists.
		trees := map[string]*parse.Tree{}
		tree := parse.New(name)
		tree.Mode = parse.SkipFuncCheck
		if _, err := tree.Parse(string(src), "", "", trees); err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		for _, tree := range trees {
			walkTemplate(tree.Root, func(cmd *parse.CommandNode) {
				if len(cmd.Args) < 2 {
					return
				}
				id, ok := cmd.Args[0].(*parse.IdentifierNode)
				if !ok || id.Ident != fn {
					return
				}
				key, ok := cmd.Args[1].(*parse.StringNode)
				if !ok {
					return
				}
				line := 1 + strings.Count(string(src[:int(cmd.Pos)]), "\n")
				uses = append(uses, Use{Key: key.Text, Args: len(cmd.Args) - 2, Pos: fmt.Sprintf("%s:%d", filepath.Base(name), line)})
			})
		}
	}
	return uses, nil
}

// walkTemplate calls visit for every command in the template tree below n.
func walkTemplate(n parse.Node, visit func(*parse.CommandNode)) {
	var below []parse.Node
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			below = n.Nodes
		}
	case *parse.PipeNode:
		for _, c := range pipeCmds(n) {
			below = append(below, c)
		}
	case *parse.CommandNode:
		visit(n)
		below = n.Args
	case *parse.ActionNode:
		below = []parse.Node{n.Pipe}
	case *parse.TemplateNode:
		below = []parse.Node{n.Pipe}
	case *parse.IfNode:
		below = branch(&n.BranchNode)
	case *parse.RangeNode:
		below = branch(&n.BranchNode)
	case *parse.WithNode:
		below = branch(&n.BranchNode)
	}
	for _, c := range below {
		walkTemplate(c, visit)
	}
}

// pipeCmds is a pipeline's commands; a {{template}} without one has a nil pipeline.
func pipeCmds(p *parse.PipeNode) []*parse.CommandNode {
	if p == nil {
		return nil
	}
	return p.Cmds
}

// branch is what an if, a range or a with holds: its pipeline and both lists.
func branch(n *parse.BranchNode) []parse.Node {
	return []parse.Node{n.Pipe, n.List, n.ElseList}
}
