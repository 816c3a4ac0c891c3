package media

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"xuncha/internal/docx/docxtest"
)

// zipOf builds a zip with the given entries (in name order), stamped with a time and a
// comment as an office suite's would be.
func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { // [Content_Types].xml first, as Word writes it
		return (names[i] == "[Content_Types].xml") || (names[j] != "[Content_Types].xml" && names[i] < names[j])
	})
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, files[n])
	}
	if err := zw.SetComment("saved by " + serialMarker); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const contentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="jpeg" ContentType="image/jpeg"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/><Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/><Override PartName="/customXml/itemProps1.xml" ContentType="application/vnd.openxmlformats-officedocument.customXmlProperties+xml"/></Types>`

// dirtyDOCX is a Word document whose author, company, reviewer, template folder and
// embedded photo's GPS position all carry the test markers.
func dirtyDOCX(t testing.TB) []byte {
	jpg, _ := dirtyJPEG(t)
	return zipOf(t, map[string]string{
		"[Content_Types].xml": contentTypes,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="/docProps/custom.xml"/></Relationships>`,
		"docProps/core.xml":        `<cp:coreProperties xmlns:cp="x" xmlns:dc="y"><dc:creator>` + xmpMarker + `</dc:creator><cp:lastModifiedBy>` + xmpMarker + `</cp:lastModifiedBy></cp:coreProperties>`,
		"docProps/app.xml":         `<Properties><Company>` + serialMarker + `</Company><Template>Normal.dotm</Template></Properties>`,
		"docProps/custom.xml":      `<Properties><property name="GPS"><vt:lpwstr>` + gpsMarker + `</vt:lpwstr></property></Properties>`,
		"customXml/item1.xml":      `<root>` + xmpMarker + `</root>`,
		"customXml/itemProps1.xml": `<ds:datastoreItem/>`,
		"word/document.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>村里的账目有问题</w:t></w:r><w:ins w:id="1" w:author="` + xmpMarker + `" w:date="2026-01-01T00:00:00Z"><w:r><w:t>补充</w:t></w:r></w:ins></w:p></w:body></w:document>`,
		"word/comments.xml": `<w:comments xmlns:w="x"><w:comment w:id="0" w:author='` + xmpMarker + `' w:initials="XA"><w:p/></w:comment></w:comments>`,
		"word/people.xml":   `<w15:people xmlns:w15="x"><w15:person w15:author="` + xmpMarker + `"><w15:presenceInfo w15:providerId="AD" w15:userId="` + commentMarker + `@example.com"/></w15:person></w15:people>`,
		"word/_rels/document.xml.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml" Target="../customXml/item1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.jpeg"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://example.org/" TargetMode="External"/></Relationships>`,
		"word/_rels/settings.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="file:///C:\Users\` + serialMarker + `\Templates\Normal.dotm" TargetMode="External"/></Relationships>`,
		"word/settings.xml":            `<w:settings xmlns:w="x"><w:attachedTemplate r:id="rId1"/></w:settings>`,
		"word/media/image1.jpeg":       string(jpg),
	})
}

func TestScrubOfficeDOCX(t *testing.T) {
	dirty := dirtyDOCX(t)
	clean := scrubOK(t, dirty, MIMEDOCX)
	assertNoMarkers(t, clean)
	parts := docxtest.Parts(t, clean)
	for _, p := range parts {
		assertNoMarkers(t, []byte(p))
	}
	for name := range parts {
		if strings.HasPrefix(name, "docProps/") || strings.HasPrefix(name, "customXml/") {
			t.Errorf("part %s kept", name)
		}
	}
	if !strings.Contains(parts["word/document.xml"], "村里的账目有问题") || !strings.Contains(parts["word/document.xml"], `w:author=""`) {
		t.Errorf("document.xml: %s", parts["word/document.xml"])
	}
	if strings.Contains(parts["[Content_Types].xml"], "docProps") || strings.Contains(parts["[Content_Types].xml"], "customXml") ||
		!strings.Contains(parts["[Content_Types].xml"], `PartName="/word/document.xml"`) {
		t.Errorf("content types: %s", parts["[Content_Types].xml"])
	}
	if r := parts["_rels/.rels"]; strings.Contains(r, "docProps") || !strings.Contains(r, `Target="word/document.xml"`) {
		t.Errorf(".rels: %s", r)
	}
	if r := parts["word/_rels/document.xml.rels"]; strings.Contains(r, "customXml") || !strings.Contains(r, "https://example.org/") || !strings.Contains(r, "media/image1.jpeg") {
		t.Errorf("document.xml.rels: %s", r)
	}
	if _, _, err := Scrub([]byte(parts["word/media/image1.jpeg"])); err != nil || bytes.Contains([]byte(parts["word/media/image1.jpeg"]), []byte("Exif")) {
		t.Errorf("embedded photo not clean: %v", err)
	}
	// The zip's own stamps are gone too.
	zr, _ := zip.NewReader(bytes.NewReader(clean), int64(len(clean)))
	if zr.Comment != "" || !zr.File[0].Modified.Before(time.Date(1981, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("zip comment %q, time %v", zr.Comment, zr.File[0].Modified)
	}
}

func TestScrubOfficeXLSX(t *testing.T) {
	dirty := zipOf(t, map[string]string{
		"[Content_Types].xml":      strings.ReplaceAll(contentTypes, "/word/document.xml", "/xl/workbook.xml"),
		"_rels/.rels":              `<Relationships><Relationship Id="rId1" Type="t" Target="xl/workbook.xml"/><Relationship Id="rId2" Type="t" Target="docProps/core.xml"/></Relationships>`,
		"docProps/core.xml":        `<cp:coreProperties><dc:creator>` + xmpMarker + `</dc:creator></cp:coreProperties>`,
		"xl/workbook.xml":          `<workbook><fileSharing userName="` + xmpMarker + `"/><mc:AlternateContent><mc:Choice Requires="x15"><x15ac:absPath url="C:\Users\` + serialMarker + `\Desktop\" xmlns:x15ac="x"/></mc:Choice></mc:AlternateContent></workbook>`,
		"xl/comments1.xml":         `<comments><authors><author>` + xmpMarker + `</author></authors></comments>`,
		"xl/persons/person.xml":    `<personList><person displayName="` + commentMarker + `" id="{1}" userId="` + commentMarker + `" providerId="None"/></personList>`,
		"xl/tables/table1.xml":     `<table id="1" name="账目" displayName="账目"/>`,
		"xl/worksheets/sheet1.xml": `<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>收入</t></is></c></row></sheetData></worksheet>`,
	})
	clean := scrubOK(t, dirty, MIMEXLSX)
	parts := docxtest.Parts(t, clean)
	for _, p := range parts {
		assertNoMarkers(t, []byte(p))
	}
	if !strings.Contains(parts["xl/tables/table1.xml"], `displayName="账目"`) {
		t.Errorf("a table's name was emptied: %s", parts["xl/tables/table1.xml"])
	}
	if !strings.Contains(parts["xl/worksheets/sheet1.xml"], "收入") {
		t.Error("sheet content lost")
	}
}

func TestScrubOfficeRefusesWhatItCannotCheck(t *testing.T) {
	base := map[string]string{
		"[Content_Types].xml": contentTypes,
		"word/document.xml":   `<w:document/>`,
	}
	for name, part := range map[string]string{
		"word/embeddings/oleObject1.bin": "\xd0\xcf\x11\xe0" + gpsMarker,
		"word/vbaProject.bin":            "macros",
		"word/media/video1.mp4":          "\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41" + gpsMarker,
		"word/media/image2.tiff":         "II*\x00\x08\x00\x00\x00" + gpsMarker,
	} {
		files := map[string]string{name: part}
		for k, v := range base {
			files[k] = v
		}
		if _, _, err := Scrub(zipOf(t, files)); !errors.Is(err, ErrNotAccepted) {
			t.Errorf("%s: err = %v, want ErrNotAccepted", name, err)
		}
	}
	// Both a document and a workbook, or neither: not an Office document we know.
	files := map[string]string{"xl/workbook.xml": "<workbook/>"}
	for k, v := range base {
		files[k] = v
	}
	if _, mime, err := Scrub(zipOf(t, files)); !errors.Is(err, ErrNotAccepted) || mime != "application/zip" {
		t.Errorf("docx and xlsx at once: %q %v", mime, err)
	}
}

// TestScrubOfficePropertiesElsewhere: a package's property parts are found through the root
// relationships by their type, not by the folder name docProps/: custom properties (a GPS
// position) and core properties kept under another name are dropped all the same.
func TestScrubOfficePropertiesElsewhere(t *testing.T) {
	dirty := zipOf(t, map[string]string{
		"[Content_Types].xml": `<Types xmlns="x"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="a"/><Override PartName="/Meta/Core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/meta/extra.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>`,
		"_rels/.rels":         `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="Meta/Core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="/meta/extra.xml"/></Relationships>`,
		"Meta/Core.xml":       `<cp:coreProperties xmlns:cp="x" xmlns:dc="y"><dc:title>` + commentMarker + `</dc:title></cp:coreProperties>`,
		"meta/extra.xml":      `<Properties><property name="GPS"><vt:lpwstr>` + gpsMarker + `</vt:lpwstr></property></Properties>`,
		"word/document.xml":   `<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>村里的账目有问题</w:t></w:r></w:p></w:body></w:document>`,
	})
	clean := scrubOK(t, dirty, MIMEDOCX)
	parts := docxtest.Parts(t, clean)
	for name, p := range parts {
		assertNoMarkers(t, []byte(p))
		if strings.HasPrefix(strings.ToLower(name), "meta/") {
			t.Errorf("property part %s kept", name)
		}
	}
	if strings.Contains(strings.ToLower(parts["[Content_Types].xml"]), "meta/") || strings.Contains(strings.ToLower(parts["_rels/.rels"]), "meta/") {
		t.Errorf("references to the dropped parts kept:\n%s\n%s", parts["[Content_Types].xml"], parts["_rels/.rels"])
	}
	if !strings.Contains(parts["word/document.xml"], "村里的账目有问题") {
		t.Errorf("document.xml: %s", parts["word/document.xml"])
	}
}
