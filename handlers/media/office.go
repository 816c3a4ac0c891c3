package media

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
)

// Limits on an Office document when it is opened: a 20 MB upload can unpack to gigabytes.
const (
	maxOfficeParts = 4000
	maxOfficeBytes = 128 << 20 // uncompressed, all parts together
)

// officeKind tells a Word or Excel document (Office Open XML, a zip package) from any other
// zip, which is refused.
func officeKind(data []byte) string {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "application/zip"
	}
	has := map[string]bool{}
	for _, f := range zr.File {
		has[strings.ToLower(f.Name)] = true
	}
	switch {
	case !has["[content_types].xml"]:
		return "application/zip"
	case has["word/document.xml"] && !has["xl/workbook.xml"]:
		return MIMEDOCX
	case has["xl/workbook.xml"] && !has["word/document.xml"]:
		return MIMEXLSX
	}
	return "application/zip"
}

// scrubOffice rebuilds a Word or Excel document without what names or places its makers:
//
//   - docProps/ (core.xml: creator, last modified by, dates; app.xml: company, manager,
//     template; custom.xml; the thumbnail) and customXml/ (document-management properties)
//     are dropped, with their relationships and content-type entries;
//   - in every XML part, the attributes that name a person (w:author and w:initials of
//     comments and tracked changes, the people and persons parts' user ids and display
//     names, Excel's fileSharing userName) and Excel comments' <author> are emptied, and so
//     is Excel's absPath, the folder the file was last saved in (C:\Users\<name>\...);
//   - an external relationship to anything but a web or mail address (an attached template
//     or a linked picture at file:///C:/Users/<name>/...) loses its target;
//   - pictures (*/media/*) are cleaned as uploads are; a part of any other kind (an embedded
//     object, a macro project, a printer's settings, a video) cannot be checked, so the
//     document is refused.
//
// Entries keep their order and names but get fresh headers: the zip's own timestamps, extra
// fields and comment are dropped. The output of a clean document is the same document, byte
// for byte, so Scrub stays idempotent.
func scrubOffice(data []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, malformed("office: %v", err)
	}
	if len(zr.File) > maxOfficeParts {
		return nil, malformed("office: %d parts", len(zr.File))
	}
	props, err := propertyParts(zr)
	if err != nil {
		return nil, err
	}
	// dropped says whether a part (lower-case name) is left out: the property parts by their
	// usual folder, or by the root relationships' types wherever they are kept.
	dropped := func(low string) bool { return officeDropped(low) || props[low] }
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	seen := map[string]bool{}
	budget := int64(maxOfficeBytes)
	for _, f := range zr.File {
		name := f.Name
		low := strings.ToLower(name)
		if seen[low] {
			// Two parts of one name: which one an office suite opens is anyone's guess.
			return nil, malformed("office: part %q twice", name)
		}
		seen[low] = true
		if strings.HasSuffix(name, "/") {
			continue // a folder entry: nothing in it
		}
		if strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || strings.Contains("/"+name+"/", "/../") {
			return nil, malformed("office: bad part name %q", name)
		}
		if dropped(low) {
			continue
		}
		part, err := readPart(f, budget)
		if err != nil {
			return nil, err
		}
		budget -= int64(len(part))
		switch {
		case low == "[content_types].xml":
			part = cleanContentTypes(part, dropped)
		case strings.HasSuffix(low, ".rels"):
			part = cleanRels(low, part, dropped)
		case strings.HasSuffix(low, ".xml"), strings.HasSuffix(low, ".vml"):
			part = blankNames(part, strings.Contains(low, "person"))
		case strings.Contains(low, "/media/"):
			m := detect(part)
			if part, err = scrubImage(m, part); err != nil {
				return nil, fmt.Errorf("media: office picture %q: %w", path.Base(name), err)
			}
		default:
			return nil, fmt.Errorf("media: office part %q: %w", path.Ext(name), ErrNotAccepted)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			return nil, fmt.Errorf("media: office: %w", err)
		}
		if _, err := w.Write(part); err != nil {
			return nil, fmt.Errorf("media: office: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("media: office: %w", err)
	}
	return out.Bytes(), nil
}

// readPart reads one part of the package, at most budget bytes of it.
func readPart(f *zip.File, budget int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, malformed("office: part %q: %v", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, budget+1))
	if err != nil {
		return nil, malformed("office: part %q: %v", f.Name, err)
	}
	if int64(len(b)) > budget {
		return nil, malformed("office: more than %d bytes unpacked", maxOfficeBytes)
	}
	return b, nil
}

// officeDropped says whether a part (lower-case name) is left out of the clean package by its
// folder.
func officeDropped(low string) bool {
	return strings.HasPrefix(low, "docprops/") || strings.HasPrefix(low, "customxml/")
}

// propertyTypes are the package relationships whose targets hold the document's properties
// (creator, dates, company, template, custom fields) or its thumbnail.
var propertyTypes = regexp.MustCompile(`(?i)\bType\s*=\s*["'][^"']*/(?:metadata/core-properties|extended-properties|custom-properties|metadata/thumbnail)["']`)

// propertyParts returns the lower-case names of the parts the root relationships (_rels/.rels)
// name as properties or thumbnail. Office keeps them under docProps/, but a package may put
// them anywhere, and an office suite finds them by the relationship's type, not the folder.
func propertyParts(zr *zip.Reader) (map[string]bool, error) {
	out := map[string]bool{}
	for _, f := range zr.File {
		if strings.ToLower(f.Name) != "_rels/.rels" {
			continue
		}
		b, err := readPart(f, maxOfficeBytes)
		if err != nil {
			return nil, err
		}
		for _, elem := range relElem.FindAll(b, -1) {
			if !propertyTypes.Match(elem) || externalMode.Match(elem) {
				continue
			}
			if target, ok := attrValue(targetAttr, elem); ok {
				out[strings.ToLower(path.Clean(strings.TrimPrefix(target, "/")))] = true
			}
		}
	}
	return out, nil
}

var (
	overrideElem = regexp.MustCompile(`<Override\b[^>]*>`)
	partNameAttr = regexp.MustCompile(`\bPartName\s*=\s*("[^"]*"|'[^']*')`)
	relElem      = regexp.MustCompile(`<Relationship\b[^>]*?(?:/>|>[^<]*</Relationship>)`)
	targetAttr   = regexp.MustCompile(`\bTarget\s*=\s*("[^"]*"|'[^']*')`)
	externalMode = regexp.MustCompile(`\bTargetMode\s*=\s*["']External["']`)
	webTarget    = regexp.MustCompile(`(?i)^(https?:|mailto:)`)

	// personAttr matches, with any namespace prefix, the attributes that name a person.
	personAttr = regexp.MustCompile(`(\s(?:[A-Za-z_][\w.-]*:)?(?:author|initials|userId|providerId|userName)\s*=\s*)(?:"[^"]*"|'[^']*')`)
	// displayNameAttr names a person in the persons part only; elsewhere (an Excel table) it
	// is a name formulas refer to.
	displayNameAttr = regexp.MustCompile(`(\s(?:[A-Za-z_][\w.-]*:)?displayName\s*=\s*)(?:"[^"]*"|'[^']*')`)
	// absPathURL is the folder an Excel file was last saved in.
	absPathURL = regexp.MustCompile(`(<(?:[A-Za-z_][\w.-]*:)?absPath\b[^>]*?\surl\s*=\s*)(?:"[^"]*"|'[^']*')`)
	// personElems are elements whose text is a person's name (Excel comments' authors; the
	// others live in docProps and are caught here too should they appear elsewhere).
	personElems = func() []*regexp.Regexp {
		var rs []*regexp.Regexp
		for _, n := range []string{"author", "creator", "lastModifiedBy", "Company", "Manager"} {
			rs = append(rs, regexp.MustCompile(`(<(?:[A-Za-z_][\w.-]*:)?`+n+`(?:\s[^>]*)?>)[^<]*(</(?:[A-Za-z_][\w.-]*:)?`+n+`>)`))
		}
		return rs
	}()
)

// attrValue returns the unquoted value of the attribute re matched in elem.
func attrValue(re *regexp.Regexp, elem []byte) (string, bool) {
	m := re.FindSubmatch(elem)
	if m == nil {
		return "", false
	}
	return string(m[1][1 : len(m[1])-1]), true
}

// cleanContentTypes drops the content-type overrides of the parts left out.
func cleanContentTypes(b []byte, dropped func(string) bool) []byte {
	return overrideElem.ReplaceAllFunc(b, func(elem []byte) []byte {
		if p, ok := attrValue(partNameAttr, elem); ok && dropped(strings.ToLower(strings.TrimPrefix(p, "/"))) {
			return nil
		}
		return elem
	})
}

// cleanRels drops the relationships to parts left out and empties the target of an
// external relationship that is not a web or mail address. rels is the lower-case name of
// the relationships part, e.g. word/_rels/document.xml.rels, whose targets are relative to
// the folder of word/document.xml.
func cleanRels(rels string, b []byte, dropped func(string) bool) []byte {
	base := path.Dir(path.Dir(rels)) // word/_rels/document.xml.rels -> word
	if base == "." {
		base = ""
	}
	b = relElem.ReplaceAllFunc(b, func(elem []byte) []byte {
		target, ok := attrValue(targetAttr, elem)
		if !ok {
			return elem
		}
		if externalMode.Match(elem) {
			if webTarget.MatchString(strings.TrimSpace(target)) {
				return elem
			}
			return targetAttr.ReplaceAll(elem, []byte(`Target=""`))
		}
		p := target
		if strings.HasPrefix(p, "/") {
			p = p[1:]
		} else {
			p = path.Join(base, p)
		}
		if dropped(strings.ToLower(p)) {
			return nil
		}
		return elem
	})
	return blankNames(b, false)
}

// blankNames empties the attributes and elements that name a person.
func blankNames(b []byte, persons bool) []byte {
	b = personAttr.ReplaceAll(b, []byte(`$1""`))
	if persons {
		b = displayNameAttr.ReplaceAll(b, []byte(`$1""`))
	}
	b = absPathURL.ReplaceAll(b, []byte(`$1""`))
	for _, re := range personElems {
		b = re.ReplaceAll(b, []byte(`$1$2`))
	}
	return b
}
