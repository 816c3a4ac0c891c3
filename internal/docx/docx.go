// Package docx writes Word documents (.docx, which WPS opens too) laid out as Chinese official
// documents after GB/T 9704-2012: A4, margins 37 mm top and 28 mm binding, 22 lines of 28
// characters, the title in 2号 方正小标宋简体, the body in 3号 仿宋_GB2312, first-level
// headings in 黑体, the number with hexagonal brackets above the title, the issuing office and
// the date at the foot, page numbers as "— 1 —".
//
// Every document comes from one template document, kept unzipped in template/ so that a
// change to the layout shows in a diff: its parts are copied as they are, and only
// word/document.xml is a text/template. Each value reaches the XML through the template's x
// function, which escapes it; parsing refuses a template with an action that skips x, so no
// value can be written raw. The fonts are named, not embedded: offices have them installed,
// and fontTable.xml names the fallbacks (仿宋, 宋体) for a PC that has not.
package docx

import (
	"archive/zip"
	"bytes"
	"embed"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"xuncha/internal/textsafe"
)

// MIME is the media type of a .docx file.
const MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

// Block kinds.
const (
	Paragraph = "paragraph" // body text, first line indented two characters
	Heading   = "heading"   // a first-level heading (一、…), in 黑体
	Table     = "table"     // a table with a header row
)

// Block is one part of a document's body.
type Block struct {
	Kind string
	Text string     // a paragraph's or heading's text; line breaks start new paragraphs
	Rows [][]string // a table's rows, the header first
}

// Document is what a document says. Empty fields are left out.
type Document struct {
	Number    string // 发文字号, e.g. 提醒〔2026〕1号
	Title     string
	Addressee string // 主送机关, with its colon
	Blocks    []Block
	Office    string // the issuing office (发文机关署名); the date goes under it
	Date      string // 成文日期, as it is to be printed (2026年12月7日)
}

//go:embed all:template
var parts embed.FS

const documentPart = "word/document.xml"

// body is the parsed word/document.xml.
var body = mustParse()

func mustParse() *template.Template {
	src, err := parts.ReadFile("template/" + documentPart)
	if err != nil {
		panic(err) // embedded: present at build time
	}
	t, err := parseDocument(string(src))
	if err != nil {
		panic(err)
	}
	return t
}

// parseDocument parses the body template and checks that every action that prints ends in x.
func parseDocument(src string) (*template.Template, error) {
	t, err := template.New(documentPart).Funcs(template.FuncMap{"x": escape}).Parse(src)
	if err != nil {
		return nil, fmt.Errorf("docx template: %w", err)
	}
	if err := checkEscaped(t.Root); err != nil {
		return nil, fmt.Errorf("docx template: %w", err)
	}
	return t, nil
}

// checkEscaped walks the template's tree: a printing action must call x last. (The pipelines
// of if and range print nothing.)
func checkEscaped(n parse.Node) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := checkEscaped(c); err != nil {
				return err
			}
		}
	case *parse.ActionNode:
		if len(n.Pipe.Decl) > 0 {
			return nil // a variable declaration prints nothing
		}
		cmds := n.Pipe.Cmds
		last := cmds[len(cmds)-1]
		if id, ok := last.Args[0].(*parse.IdentifierNode); !ok || id.Ident != "x" {
			return fmt.Errorf("%s prints a value without x", n)
		}
	case *parse.IfNode:
		return checkBranches(n.List, n.ElseList)
	case *parse.RangeNode:
		return checkBranches(n.List, n.ElseList)
	case *parse.WithNode:
		return checkBranches(n.List, n.ElseList)
	case *parse.TemplateNode:
		return fmt.Errorf("%s: nested templates are not checked", n)
	}
	return nil
}

func checkBranches(list, elseList *parse.ListNode) error {
	if err := checkEscaped(list); err != nil {
		return err
	}
	return checkEscaped(elseList)
}

// escape is the template's x: the value as XML text. Characters no input may carry (controls,
// bidirectional marks) are dropped; xml.EscapeText turns any other character XML cannot hold
// into U+FFFD.
func escape(v any) string {
	s := strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return ' ' // a line break inside a value would be lost in Word anyway
		case textsafe.Unsafe(r):
			return -1
		}
		return r
	}, fmt.Sprint(v))
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) // writes to a Builder: no error
	return b.String()
}

// textWidth is the width of the text area in twentieths of a point (156 mm).
const textWidth = 8844

type blockView struct {
	Kind string
	Text string
	Rows [][]string
	Grid []int // the table's column widths
}

type view struct {
	Document
	Blocks []blockView
}

// modified is the time stamped on every part: a document is a function of what it says, so the
// same letter makes the same bytes (and one stored file).
var modified = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Render writes d as a .docx file.
func Render(w io.Writer, d Document) error {
	v := view{Document: d}
	for _, b := range d.Blocks {
		switch b.Kind {
		case Table:
			cols := 0
			for _, r := range b.Rows {
				cols = max(cols, len(r))
			}
			if cols == 0 {
				continue
			}
			bv := blockView{Kind: Table}
			for _, r := range b.Rows {
				row := make([]string, cols) // every row as wide as the widest
				copy(row, r)
				bv.Rows = append(bv.Rows, row)
			}
			for range cols {
				bv.Grid = append(bv.Grid, textWidth/cols)
			}
			v.Blocks = append(v.Blocks, bv)
		default:
			for line := range strings.SplitSeq(b.Text, "\n") {
				if line = strings.TrimSpace(line); line != "" {
					v.Blocks = append(v.Blocks, blockView{Kind: b.Kind, Text: line})
				}
			}
		}
	}
	var doc bytes.Buffer
	if err := body.Execute(&doc, v); err != nil {
		return fmt.Errorf("docx body: %w", err)
	}
	zw := zip.NewWriter(w)
	// [Content_Types].xml first, as Office writes it; then the other parts in a fixed order.
	names := []string{"[Content_Types].xml"}
	err := fs.WalkDir(parts, "template", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if name := strings.TrimPrefix(path, "template/"); name != names[0] {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("docx parts: %w", err)
	}
	for _, name := range names {
		data := doc.Bytes()
		if name != documentPart {
			if data, err = parts.ReadFile("template/" + name); err != nil {
				return fmt.Errorf("docx part %s: %w", name, err)
			}
		}
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
		if err != nil {
			return fmt.Errorf("docx part %s: %w", name, err)
		}
		if _, err := f.Write(data); err != nil {
			return fmt.Errorf("docx part %s: %w", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("docx: %w", err)
	}
	return nil
}

// Bytes returns d as a .docx file.
func Bytes(d Document) ([]byte, error) {
	var b bytes.Buffer
	if err := Render(&b, d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
