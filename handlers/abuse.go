package handlers

// codeFailed records a wrong query or invitation code (kind "query" or "invitation"). The
// failure that reaches the limit is also audit-logged (code.limited): guessing codes is an
// attempt on reports or roles. Only the first is logged per window, so that a guesser cannot
// fill the append-only audit log; the entry names no chat.
func (t *turn) codeFailed(kind string) error {
	if err := t.tx.RecordCodeFailure(t.chat.ID); err != nil {
		return err
	}
	n, err := t.tx.CountCodeFailures(t.chat.ID, t.tx.Now().Add(-codeWindow))
	if err != nil {
		return err
	}
	if n != codeMaxFailures {
		return nil
	}
	return t.tx.Audit(0, t.chat.Platform, "code.limited", "", kind)
}
