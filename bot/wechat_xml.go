package bot

import (
	"bytes"
	"encoding/xml"
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
func decodeWeChat(data []byte, m *wxMsg) error {
	if scanFlatXML(data, m.set) {
		return nil
	}
	*m = wxMsg{}
	return xml.Unmarshal(data, m)
}

// set stores one element of a flat callback; it reports false for a value encoding/xml would
// refuse (then the whole document is left to encoding/xml, which says why).
func (m *wxMsg) set(name, value []byte) bool {
	switch string(name) {
	case "ToUserName":
		m.ToUserName = string(value)
	case "FromUserName":
		m.FromUserName = string(value)
	case "CreateTime":
		// As encoding/xml reads an int: empty is 0, spaces around the digits are allowed.
		m.CreateTime = 0
		if len(value) > 0 {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(value)), 10, 64)
			if err != nil {
				return false
			}
			m.CreateTime = n
		}
	case "MsgType":
		m.MsgType = string(value)
	case "Content":
		m.Content = string(value)
	case "MsgId":
		m.MsgID = string(value)
	case "MediaId":
		m.MediaID = string(value)
	case "Recognition":
		m.Recognition = string(value)
	case "Location_X":
		m.LocationX = string(value)
	case "Location_Y":
		m.LocationY = string(value)
	case "Label":
		m.Label = string(value)
	case "Event":
		m.Event = string(value)
	case "EventKey":
		m.EventKey = string(value)
	}
	return true
}

// wxEnvelope is a safe-mode callback before decryption.
type wxEnvelope struct {
	Encrypt string `xml:"Encrypt"`
}

// decodeEnvelope reads the Encrypt element of a safe-mode callback.
func decodeEnvelope(data []byte, env *wxEnvelope) error {
	if scanFlatXML(data, func(name, value []byte) bool {
		if string(name) == "Encrypt" {
			env.Encrypt = string(value)
		}
		return true
	}) {
		return nil
	}
	*env = wxEnvelope{}
	return xml.Unmarshal(data, env)
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
