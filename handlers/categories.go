package handlers

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// Category is one kind of report a resident can choose. Out-of-scope kinds are listed too, so
// that a resident who picks one is told where to go instead of filing into the wrong place.
type Category struct {
	Key        string `json:"key"`
	ZH         string `json:"zh"`
	EN         string `json:"en"`
	OutOfScope bool   `json:"out_of_scope,omitempty"`
	RedirectZH string `json:"redirect_zh,omitempty"`
	RedirectEN string `json:"redirect_en,omitempty"`
}

// Name returns the category's name in a language.
func (c Category) Name(lang string) string {
	if lang == LangEN {
		return c.EN
	}
	return c.ZH
}

// Redirect returns where an out-of-scope matter should go, in a language.
func (c Category) Redirect(lang string) string {
	if lang == LangEN {
		return c.RedirectEN
	}
	return c.RedirectZH
}

//go:embed categories.json
var defaultCategories []byte

// loadJSON decodes the JSON file at path into v, or builtin when path is empty; what names
// the data in the errors.
func loadJSON(path string, builtin []byte, what string, v any) error {
	data := builtin
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		data = b
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("parse %s: %w", what, err)
	}
	return nil
}

// LoadCategories reads a category list from a JSON file, or the built-in list when path is empty.
func LoadCategories(path string) ([]Category, error) {
	var cats []Category
	if err := loadJSON(path, defaultCategories, "categories", &cats); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	inScope := 0
	for _, c := range cats {
		switch {
		case c.Key == "" || c.ZH == "" || c.EN == "":
			return nil, errors.New("parse categories: every category needs key, zh and en")
		case len(c.Key) > 32:
			return nil, fmt.Errorf("parse categories: key %q longer than 32 bytes (it travels in button data)", c.Key)
		case seen[c.Key]:
			return nil, fmt.Errorf("parse categories: duplicate key %q", c.Key)
		case c.OutOfScope && (c.RedirectZH == "" || c.RedirectEN == ""):
			return nil, fmt.Errorf("parse categories: out-of-scope %q needs redirect_zh and redirect_en", c.Key)
		}
		seen[c.Key] = true
		if !c.OutOfScope {
			inScope++
		}
	}
	if inScope == 0 {
		return nil, errors.New("parse categories: no category in scope")
	}
	return cats, nil
}
