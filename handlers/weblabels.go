package handlers

// WebLabels is the web chat page's label set in lang, by the names its script uses. The
// counter's text keeps "{n}" for the script to fill in.
func WebLabels(lang string) map[string]string {
	return map[string]string{
		"lang":         lang,
		"title":        T(lang, "web.title"),
		"subtitle":     T(lang, "web.subtitle"),
		"placeholder":  T(lang, "web.placeholder"),
		"send":         T(lang, "web.send"),
		"attach":       T(lang, "web.attach"),
		"noscript":     T(lang, "web.noscript"),
		"counter":      T(lang, "web.counter", "{n}", MaxTextRunes),
		"pasteCut":     T(lang, "web.paste.cut", MaxTextRunes),
		"retrying":     T(lang, "web.retrying"),
		"sendFail":     T(lang, "web.send.fail"),
		"uploadFail":   T(lang, "web.upload.fail"),
		"notSent":      T(lang, "web.not.sent"),
		"codeLabel":    T(lang, "web.code.label"),
		"codeCopy":     T(lang, "web.code.copy"),
		"codeCopied":   T(lang, "web.code.copied"),
		"codeCopyFail": T(lang, "web.code.copy.fail"),
		"codeSaved":    T(lang, "web.code.saved"),
		"codeHold":     T(lang, "web.code.hold"),
		"codeHidden":   T(lang, "web.code.hidden"),
	}
}
