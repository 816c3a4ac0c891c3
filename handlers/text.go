package handlers

import "xuncha/i18n"

// Languages a chat can use. Simplified Chinese is the default.
const (
	LangZH = "zh"
	LangEN = "en"
)

// NormalizeLang maps a platform language hint ("zh-hans", "en-US") to a supported language,
// or "" when the hint names neither.
func NormalizeLang(hint string) string {
	if len(hint) >= 2 {
		switch hint[:2] {
		case "zh", "ZH":
			return LangZH
		case "en", "EN":
			return LangEN
		}
	}
	return ""
}

// T returns the text of key in lang, formatted with args: the one catalog, in package i18n.
func T(lang, key string, args ...any) string { return i18n.T(lang, key, args...) }
