package bot

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// WeChat's callback XML is flat: a root <xml> holding one level of elements, each a CDATA
// section or plain text. encoding/xml reads it a byte at a time through a general tokenizer,
// about a fifth of a callback's CPU outside the store (BENCHMARKS.md, WeChat); these read and
// write exactly that shape. Anything else — entities, comments, attributes, namespaces,
// nested or empty-tag elements, characters XML refuses, a root not named xml — is left to
// encoding/xml, so every input is decoded as encoding/xml decodes it (FuzzWeChatXML checks
// that on arbitrary input).

// decodeWeChat reads a callback message.
func decodeWeChat(data []byte, m *wxMsg) error { return decodeFlat(data, m, wxMsgFields) }

// wxEnvelope is a safe-mode callback before decryption.
type wxEnvelope struct {
	Encrypt string `xml:"Encrypt"`
}

// decodeEnvelope reads the Encrypt element of a safe-mode callback.
func decodeEnvelope(data []byte, env *wxEnvelope) error {
	return decodeFlat(data, env, wxEnvelopeFields)
}

// flatFields maps element names to the fields of a struct that xml.Unmarshal fills with them,
// as the fields' xml tags name them.
type flatFields map[string]int

var (
	wxMsgFields      = fieldsOf(reflect.TypeFor[wxMsg]())
	wxEnvelopeFields = fieldsOf(reflect.TypeFor[wxEnvelope]())
)

// fieldsOf reads the xml tags of a struct of string and int64 fields.
func fieldsOf(t reflect.Type) flatFields {
	fields := flatFields{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("xml"), ",")
		if k := f.Type.Kind(); name == "" || k != reflect.String && k != reflect.Int64 {
			panic(fmt.Sprintf("bot: %s.%s is not a flat XML field", t.Name(), f.Name))
		}
		fields[name] = i
	}
	return fields
}

// decodeFlat decodes data into v, a pointer to a struct described by fields, as xml.Unmarshal
// does: with scanFlatXML when data has WeChat's flat shape, else with xml.Unmarshal itself.
func decodeFlat(data []byte, v any, fields flatFields) error {
	rv := reflect.ValueOf(v).Elem()
	if scanFlatXML(data, func(name, value []byte) bool {
		i, ok := fields[string(name)]
		if !ok {
			return true // skipped, as by encoding/xml
		}
		f := rv.Field(i)
		if f.Kind() == reflect.String {
			f.SetString(string(value))
			return true
		}
		// As encoding/xml reads an int: empty is 0, spaces around the digits are allowed; a
		// value it refuses leaves the document to it, to say why.
		n, err := int64(0), error(nil)
		if len(value) > 0 {
			n, err = strconv.ParseInt(string(bytes.TrimSpace(value)), 10, 64)
		}
		f.SetInt(n)
		return err == nil
	}) {
		return nil
	}
	rv.SetZero()
	return xml.Unmarshal(data, v)
}

// scanFlatXML calls field for each element of a flat <xml> document, in order, and reports
// whether the document had that shape and every field took its value. On false the caller
// starts again with encoding/xml.
func scanFlatXML(data []byte, field func(name, value []byte) bool) bool {
	i := skipXMLSpace(data, 0)
	if !bytes.HasPrefix(data[i:], []byte("<xml>")) {
		return false
	}
	i += len("<xml>")
	for {
		i = skipXMLSpace(data, i)
		rest := data[i:]
		if bytes.HasPrefix(rest, []byte("</xml>")) {
			return true // what follows the root is not read, as by encoding/xml
		}
		// <Name>
		if len(rest) < 2 || rest[0] != '<' {
			return false
		}
		n := 1
		for n < len(rest) && isFlatNameByte(rest[n], n == 1) {
			n++
		}
		if n == 1 || n == len(rest) || rest[n] != '>' {
			return false
		}
		name := rest[1:n]
		i += n + 1
		// The value: one CDATA section, or text with nothing to unescape.
		var value []byte
		if cdata := []byte("<![CDATA["); bytes.HasPrefix(data[i:], cdata) {
			end := bytes.Index(data[i+len(cdata):], []byte("]]>"))
			if end < 0 {
				return false
			}
			value = data[i+len(cdata) : i+len(cdata)+end]
			i += len(cdata) + end + len("]]>")
		} else {
			end := bytes.IndexByte(data[i:], '<')
			if end < 0 {
				return false
			}
			value = data[i : i+end]
			if bytes.IndexByte(value, '&') >= 0 || bytes.Contains(value, []byte("]]>")) {
				return false
			}
			i += end
		}
		if !plainXMLText(value) {
			return false
		}
		// </Name>
		rest = data[i:]
		if len(rest) < len(name)+3 || rest[0] != '<' || rest[1] != '/' ||
			!bytes.Equal(rest[2:2+len(name)], name) || rest[2+len(name)] != '>' {
			return false
		}
		i += len(name) + 3
		if !field(name, value) {
			return false
		}
	}
}

// skipXMLSpace skips the white space encoding/xml ignores between elements.
func skipXMLSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// isFlatNameByte: element names of the shape WeChat uses (ASCII letters, digits, _), a
// subset of what XML allows, read the same by encoding/xml.
func isFlatNameByte(b byte, first bool) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', b == '_':
		return true
	case '0' <= b && b <= '9':
		return !first
	}
	return false
}

// plainXMLText reports whether encoding/xml returns text unchanged: valid UTF-8 of characters
// XML allows, without carriage returns (which it turns into line feeds).
func plainXMLText(b []byte) bool {
	for len(b) > 0 {
		if c := b[0]; c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' {
				return false
			}
			b = b[1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		b = b[size:]
	}
	return true
}

// appendCDATAElement appends <name>value</name> with value in a CDATA section, as
// encoding/xml writes a ",cdata" field: nothing for an empty value, and "]]>" split across
// two sections.
func appendCDATAElement(b []byte, name, value string) []byte {
	b = append(append(append(b, '<'), name...), '>')
	if value != "" {
		b = append(b, "<![CDATA["...)
		for {
			before, after, ok := strings.Cut(value, "]]>")
			if !ok {
				break
			}
			b = append(append(b, before...), "]]]]><![CDATA[>"...)
			value = after
		}
		b = append(append(b, value...), "]]>"...)
	}
	return append(append(append(b, "</"...), name...), '>')
}

// appendTextElement appends <name>value</name> for a value of digits, which encoding/xml
// writes as it is.
func appendTextElement(b []byte, name, digits string) []byte {
	b = append(append(append(b, '<'), name...), '>')
	b = append(b, digits...)
	return append(append(append(b, "</"...), name...), '>')
}
