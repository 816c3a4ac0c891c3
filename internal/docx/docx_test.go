package docx

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"xuncha/internal/docx/docxtest"
)

// wellFormed decodes every token of an XML part.
func wellFormed(t *testing.T, name, part string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(part))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v\n%s", name, err, part)
		}
	}
}

// texts returns the w:t texts of document.xml in order, one string per paragraph.
func paragraphs(t *testing.T, doc string) []string {
	t.Helper()
	var out []string
	d := xml.NewDecoder(strings.NewReader(doc))
	var cur strings.Builder
	inText := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			inText = e.Name.Local == "t"
		case xml.EndElement:
			if e.Name.Local == "p" {
				out = append(out, cur.String())
				cur.Reset()
			}
			inText = false
		case xml.CharData:
			if inText {
				cur.Write(e)
			}
		}
	}
}

// TestRenderLetter writes a letter and checks that it is a package Word opens: the content
// types, the relationships, well-formed parts, and the text in its place, escaped.
func TestRenderLetter(t *testing.T) {
	d := Document{
		Number:    "提醒〔2026〕1号",
		Title:     "关于督促办理问题线索的提醒函",
		Addressee: "市纪委监委第一纪检监察室：",
		Blocks: []Block{
			{Kind: Paragraph, Text: "你单位承办的问题线索 XC-2026-0001（<w:t>优亲厚友</w:t> & \"低保\"）已逾期。\n特此提醒。"},
			{Kind: Table, Rows: [][]string{{"序号", "问题"}, {"1"}}},
		},
		Office: "县委巡察工作领导小组办公室",
		Date:   "2026年12月7日",
	}
	data, err := Bytes(d)
	if err != nil {
		t.Fatal(err)
	}
	parts := docxtest.Parts(t, data)
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/_rels/document.xml.rels",
		"word/styles.xml", "word/fontTable.xml", "word/footer1.xml", "word/settings.xml"} {
		p, ok := parts[name]
		if !ok {
			t.Fatalf("no part %s; parts: %v", name, parts)
		}
		wellFormed(t, name, p)
	}
	if !strings.Contains(parts["[Content_Types].xml"], `PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"`) {
		t.Error("the content types do not declare the main document")
	}
	if !strings.Contains(parts["_rels/.rels"], `Target="word/document.xml"`) {
		t.Error("the package relationships do not point at the document")
	}
	doc := parts["word/document.xml"]
	got := paragraphs(t, doc)
	want := []string{"提醒〔2026〕1号", "", "关于督促办理问题线索的提醒函", "", "市纪委监委第一纪检监察室：",
		"你单位承办的问题线索 XC-2026-0001（<w:t>优亲厚友</w:t> & \"低保\"）已逾期。", "特此提醒。",
		"序号", "问题", "1", "", "", "", "县委巡察工作领导小组办公室", "2026年12月7日"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("paragraphs:\n got %q\nwant %q", got, want)
	}
	if strings.Contains(doc, "<w:t>优亲厚友") {
		t.Error("a value's markup reached the XML unescaped")
	}
	for _, font := range []string{"方正小标宋简体", "仿宋_GB2312"} {
		if !strings.Contains(parts["word/styles.xml"], font) || !strings.Contains(parts["word/fontTable.xml"], font) {
			t.Errorf("font %s is not named", font)
		}
	}
	again, _ := Bytes(d)
	if !bytes.Equal(data, again) {
		t.Error("the same document made different bytes")
	}
}

// TestTemplateEscapes: a body template with an action that skips x is refused.
func TestTemplateEscapes(t *testing.T) {
	for _, src := range []string{`<w:t>{{.Title}}</w:t>`, `{{range .Blocks}}{{.Text}}{{end}}`, `{{if .Title}}{{x .Title | printf "%s"}}{{end}}`} {
		if _, err := parseDocument(src); err == nil {
			t.Errorf("%s was accepted", src)
		}
	}
	if _, err := parseDocument(`{{range .Blocks}}<w:t>{{x .Text}}</w:t>{{end}}`); err != nil {
		t.Error(err)
	}
}

// TestFromMarkdown reads the templates' Markdown.
func TestFromMarkdown(t *testing.T) {
	d := FromMarkdown("# 整改方案\n\n（模板）\n\n## 一、总体要求\n\n- 组长：\n\n| 序号 | 问题 |\n|---|---|\n| 1 |  |\n\n结尾")
	if d.Title != "整改方案" {
		t.Errorf("title %q", d.Title)
	}
	kinds := []string{}
	for _, b := range d.Blocks {
		kinds = append(kinds, b.Kind)
	}
	if got := strings.Join(kinds, ","); got != "paragraph,heading,paragraph,table,paragraph" {
		t.Errorf("blocks %s", got)
	}
	if rows := d.Blocks[3].Rows; len(rows) != 2 || rows[0][1] != "问题" || rows[1][0] != "1" {
		t.Errorf("table %q", rows)
	}
}
