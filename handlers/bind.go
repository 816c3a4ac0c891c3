// Binding an invitation code: the only way a chat gets a role.

package handlers

import (
	"errors"
	"fmt"
	"strings"

	"xuncha/store"
)

// codeLimited reports whether the chat has guessed wrong codes too often; guessing query codes
// would let someone read other people's reports.
func (t *turn) codeLimited() (bool, error) {
	n, err := t.tx.CountCodeFailures(t.chat.ID, t.tx.Now().Add(-codeWindow))
	if err != nil {
		return false, err
	}
	return n >= codeMaxFailures, nil
}

func (t *turn) bind(code string) error {
	if limited, err := t.codeLimited(); err != nil || limited {
		if err == nil {
			t.say(t.tr("query.limited"))
		}
		return err
	}
	if !t.e.guessOpen(guessInvitation, t.tx.Now()) {
		return t.guessBusy(guessInvitation)
	}
	p, err := t.tx.RedeemInvitation(code, t.chat.ID)
	var key string
	switch {
	case err == nil:
	case errors.Is(err, store.ErrInvitationInvalid):
		key = "bind.invalid"
	case errors.Is(err, store.ErrInvitationUsed):
		key = "bind.used"
	case errors.Is(err, store.ErrInvitationExpired):
		key = "bind.expired"
	case errors.Is(err, store.ErrInvitationRevoked):
		key = "bind.revoked"
	case errors.Is(err, store.ErrAlreadyBound):
		key = "bind.already"
	default:
		return err
	}
	if key != "" {
		if key != "bind.already" {
			if err := t.codeFailed(guessInvitation); err != nil {
				return err
			}
			if err := t.auditRefusal("invitation.refused", "", key); err != nil {
				return err
			}
		}
		t.say(t.tr(key))
		return nil
	}
	t.person = p
	t.bound = true
	t.reset()
	if err := t.tx.Audit(p.ID, t.chat.Platform, "invitation.bound", fmt.Sprintf("person:%d", p.ID), string(p.Role)); err != nil {
		return err
	}
	where, err := t.jurisdiction(p)
	if err != nil {
		return err
	}
	t.say(t.tr("bind.ok", t.tr("role."+string(p.Role)), where), t.menu()...)
	return nil
}

// jurisdiction describes where a person works, e.g. "（新站镇 东风村）".
func (t *turn) jurisdiction(p *store.Person) (string, error) {
	var parts []string
	if p.TownshipID != 0 {
		tw, err := t.tx.FindTownship(p.TownshipID)
		if err != nil {
			return "", err
		}
		parts = append(parts, tw.Name)
	}
	if p.VillageID != 0 {
		v, err := t.tx.FindVillage(p.VillageID)
		if err != nil {
			return "", err
		}
		parts = append(parts, v.Name)
	}
	if p.Unit != "" {
		parts = append(parts, p.Unit)
	}
	if len(parts) == 0 {
		return "", nil
	}
	if t.lang == LangEN {
		return " (" + strings.Join(parts, ", ") + ")", nil
	}
	return "（" + strings.Join(parts, " ") + "）", nil
}
