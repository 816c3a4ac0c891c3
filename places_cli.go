package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"xuncha/internal/textsafe"
	"xuncha/store"
)

// The places (townships and villages) from the command line: import them from the file a
// county keeps in Excel, list them, put a misspelt name right, remove one imported by mistake.

// maxPlacesFile bounds what places import reads: a county's places are a few hundred lines.
const maxPlacesFile = 16 << 20

// importFile declares a command that imports the one file it names into the store (places
// import, calendar import). read parses the file before the store is opened, so that a file it
// refuses changes nothing, and returns write, which stores what it read and says so on stdout.
func importFile(read func(f *os.File) (write importWrite, err error)) func(*flag.FlagSet) runFunc {
	return fileCommand("FILE.csv", func(ctx context.Context, e *env, c *common, name string) error {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
		defer f.Close()
		write, err := read(f)
		if err != nil {
			return fmt.Errorf("%s %s: %w", e.name, name, err)
		}
		db, err := c.openDB(ctx, e)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := write(ctx, db, e.stdout); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
		return nil
	})
}

// importWrite stores what an import read.
type importWrite func(ctx context.Context, db *store.DB, stdout io.Writer) error

// readPlaces reads a places file for places import.
func readPlaces(f *os.File) (importWrite, error) {
	data, err := io.ReadAll(io.LimitReader(f, maxPlacesFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxPlacesFile {
		return nil, fmt.Errorf("larger than %d MiB", maxPlacesFile>>20)
	}
	rows, ignored, err := parsePlaces(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, db *store.DB, stdout io.Writer) error {
		res, err := db.ImportPlaces(ctx, rows)
		if err != nil {
			return err
		}
		if len(ignored) > 0 {
			fmt.Fprintf(stdout, "columns ignored: %s\n", strings.Join(ignored, ", "))
		}
		fmt.Fprintf(stdout, "%d rows read: %d townships added, %d villages added, %d villages updated\n",
			len(rows), res.TownshipsAdded, res.VillagesAdded, res.VillagesUpdated)
		return nil
	}, nil
}

// placeColumns are the columns of a places file, in the order of a file without a header row,
// each with the header names it is known by, normalised (see headerKey).
func placeColumns() [][]string {
	return [][]string{
		{"township", "town", "乡镇", "乡镇街道", "街道", "乡镇名称", "所属乡镇", "镇", "乡"},
		{"village", "村", "村社区", "社区", "村名", "村名称", "村庄", "行政村", "村居"},
		{"class", "type", "category", "类别", "村类别", "分类", "村分类", "村级分类", "类型"},
		{"collectiveincome", "income", "集体经济收入", "村集体经济收入", "集体收入", "收入"},
		{"population", "人口", "户籍人口", "人口数", "总人口"},
	}
}

// headerWords mark a line as a header even when none of its names is known: they are not
// found in a place's name, a class or a number.
func headerWords() []string {
	return []string{"名称", "名字", "类别", "类型", "分类", "收入", "人口", "序号", "编号", "备注", "说明"}
}

// headerKey normalises a header cell: lower case, without a bracketed note such as （元/年）
// and without spaces, underscores, hyphens and slashes: "乡镇（街道）" is "乡镇", "Collective
// Income" is "collectiveincome".
func headerKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(' || r == '（' || r == '[' || r == '【':
			depth++
		case r == ')' || r == '）' || r == ']' || r == '】':
			depth = max(0, depth-1)
		case depth > 0, unicode.IsSpace(r), strings.ContainsRune("_-/／、·.", r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// columnOf returns the column a header cell names, or -1.
func columnOf(cell string) int {
	k := headerKey(cell)
	for i, names := range placeColumns() {
		for _, n := range names {
			if k == n {
				return i
			}
		}
	}
	return -1
}

// looksLikeHeader: a line that names no known column but is still a header ("名称,村名称" or
// "Name,Remarks"), which must not be imported as a township.
func looksLikeHeader(rec []string) bool {
	for _, cell := range rec {
		k := headerKey(cell)
		for _, w := range headerWords() {
			if strings.Contains(k, w) {
				return true
			}
		}
		switch k {
		case "name", "names", "remark", "remarks", "note", "notes", "id", "no", "number", "code", "region", "area", "county", "city":
			return true
		}
	}
	return false
}

// decodePlaces returns the text of a places file as UTF-8: a UTF-8 byte-order mark (Excel's
// "CSV UTF-8") is dropped, and a file that is not UTF-8 is read as GB18030, of which GBK (what
// Excel on Chinese Windows saves as "CSV") is a subset.
func decodePlaces(data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if utf8.Valid(data) {
		return data, nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return nil, fmt.Errorf("the file is neither UTF-8 nor GBK/GB18030: %w", err)
	}
	return out, nil
}

// parsePlaces reads the places CSV: township, village, class, collective_income, population.
// The encoding is UTF-8 (with or without a byte-order mark) or GBK. A header row, in Chinese
// or English, may name the columns in any order; columns it does not know are ignored and
// returned. Lines starting with # are comments, empty lines are skipped. Class accepts
// key/general or 重点村/一般村; numbers may be empty.
func parsePlaces(r io.Reader) (rows []store.PlaceRow, ignored []string, err error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, err
	}
	data, err := decodePlaces(raw)
	if err != nil {
		return nil, nil, err
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cols := []int{0, 1, 2, 3, 4} // the cell of each column; -1 when the header has no such column
	first := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err // a csv.ParseError names the line
		}
		line, _ := cr.FieldPos(0)
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // an empty row, as spreadsheets export them
		}
		if first {
			first = false
			if hdr, extra, isHeader, err := readHeader(rec); err != nil {
				return nil, nil, fmt.Errorf("line %d: %w", line, err)
			} else if isHeader {
				cols, ignored = hdr, extra
				continue
			}
		}
		cell := func(i int) string {
			if cols[i] < 0 || cols[i] >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[cols[i]])
		}
		row := store.PlaceRow{Township: cell(0), Village: cell(1)}
		if row.Township == "" {
			return nil, nil, fmt.Errorf("line %d: township is empty", line)
		}
		// A name with an invisible character would look like another and read otherwise in
		// every menu, notice and export: refused, with where it is.
		if err := textsafe.CheckLine(row.Township); err != nil {
			return nil, nil, fmt.Errorf("line %d: the township name %w", line, err)
		}
		if err := textsafe.CheckLine(row.Village); err != nil {
			return nil, nil, fmt.Errorf("line %d: the village name %w", line, err)
		}
		if utf8.RuneCountInString(row.Township) > 50 || utf8.RuneCountInString(row.Village) > 50 {
			return nil, nil, fmt.Errorf("line %d: name longer than 50 characters", line)
		}
		switch cell(2) {
		case "key", "重点", "重点村":
			row.Class = "key"
		case "general", "一般", "一般村", "":
			row.Class = "general"
		default:
			return nil, nil, fmt.Errorf("line %d: class %q is not key/general (重点村/一般村)", line, cell(2))
		}
		for i, dst := range []*int64{&row.CollectiveIncome, &row.Population} {
			v := strings.ReplaceAll(cell(3+i), ",", "")
			if v == "" {
				continue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, nil, fmt.Errorf("line %d: %q is not a whole number ≥ 0", line, cell(3+i))
			}
			*dst = n
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, nil, errors.New("no rows")
	}
	return rows, ignored, nil
}

// readHeader tells whether rec, the first line, is a header, and if so where each column is.
func readHeader(rec []string) (cols []int, ignored []string, isHeader bool, err error) {
	cols = []int{-1, -1, -1, -1, -1}
	known := 0
	for i, cell := range rec {
		c := columnOf(cell)
		switch {
		case c < 0:
			if strings.TrimSpace(cell) != "" {
				ignored = append(ignored, strings.TrimSpace(cell))
			}
		case cols[c] >= 0:
			return nil, nil, true, fmt.Errorf("header names column %q twice", strings.TrimSpace(cell))
		default:
			cols[c] = i
			known++
		}
	}
	if known == 0 {
		if looksLikeHeader(rec) {
			return nil, nil, true, fmt.Errorf("this looks like a header row, but names none of the columns: write township,village,class,collective_income,population (or 乡镇,村,类别,集体经济收入,人口), or remove the row")
		}
		return nil, nil, false, nil
	}
	if cols[0] < 0 {
		return nil, nil, true, errors.New("the header row has no township (乡镇) column")
	}
	return cols, ignored, true, nil
}

func placesList(fs *flag.FlagSet) runFunc {
	var c common
	c.register(fs, useDB)
	return func(ctx context.Context, e *env) error {
		db, err := c.openDB(ctx, e)
		if err != nil {
			return err
		}
		defer db.Close()
		var t table
		t.row("township", "village", "class", "collective_income", "population")
		err = db.Update(ctx, func(tx *store.Tx) error {
			tws, err := tx.Townships()
			if err != nil {
				return err
			}
			for _, tw := range tws {
				vs, err := tx.Villages(tw.ID)
				if err != nil {
					return err
				}
				if len(vs) == 0 {
					t.row(tw.Name, "", "", "", "")
				}
				for _, v := range vs {
					t.row(tw.Name, v.Name, v.Class, strconv.FormatInt(v.CollectiveIncome, 10), strconv.FormatInt(v.Population, 10))
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("places list: %w", err)
		}
		return t.write(e.stdout)
	}
}

// placeFlags are the flags that name one place, a township or a village of it, by name: the
// place to rename or remove, or the one a task, a clue or an announcement is about.
type placeFlags struct{ township, village string }

// register declares the flags; what says what the place is to the command ("to rename", "of
// the task").
func (p *placeFlags) register(fs *flag.FlagSet, what string) {
	fs.StringVar(&p.township, "township", "", "the township (乡镇) "+what+", or the township of the village")
	fs.StringVar(&p.village, "village", "", "the village (村) "+what+"; empty: the township itself")
}

// find opens the store and finds the place, for places rename and remove; the caller closes
// the store.
func (p *placeFlags) find(ctx context.Context, c *common, e *env) (db *store.DB, tw, v int64, err error) {
	db, err = c.openDB(ctx, e)
	if err != nil {
		return nil, 0, 0, err
	}
	tw, v, err = db.FindPlaceByName(ctx, p.township, p.village)
	if err != nil {
		db.Close()
		return nil, 0, 0, fmt.Errorf("%s: %w (see xuncha places list)", e.name, err)
	}
	return db, tw, v, nil
}

func (p *placeFlags) String() string {
	if p.village == "" {
		return "township " + p.township
	}
	return "village " + p.township + " / " + p.village
}

func placesRename(fs *flag.FlagSet) runFunc {
	var c common
	var p placeFlags
	var to string
	c.register(fs, useDB)
	p.register(fs, "to rename")
	fs.StringVar(&to, "to", "", "the new name")
	return func(ctx context.Context, e *env) error {
		to = strings.TrimSpace(to)
		if p.township == "" || to == "" {
			e.usage(e.stderr)
			return errors.New("places rename: --township and --to are required")
		}
		if utf8.RuneCountInString(to) > 50 {
			return errors.New("places rename: --to is longer than 50 characters")
		}
		db, tw, v, err := p.find(ctx, &c, e)
		if err != nil {
			return err
		}
		defer db.Close()
		switch err := db.RenamePlace(ctx, tw, v, to); {
		case errors.Is(err, store.ErrPlaceExists):
			return fmt.Errorf("places rename: %s: there is already one named %q", p.String(), to)
		case err != nil:
			return fmt.Errorf("places rename: %w", err)
		}
		fmt.Fprintf(e.stdout, "%s renamed to %s; its reports, clues and people keep it\n", p.String(), to)
		return nil
	}
}

func placesRemove(fs *flag.FlagSet) runFunc {
	var c common
	var p placeFlags
	c.register(fs, useDB)
	p.register(fs, "to remove")
	return func(ctx context.Context, e *env) error {
		if p.township == "" {
			e.usage(e.stderr)
			return errors.New("places remove: --township is required")
		}
		db, tw, v, err := p.find(ctx, &c, e)
		if err != nil {
			return err
		}
		defer db.Close()
		refs, err := db.RemovePlace(ctx, tw, v)
		if errors.Is(err, store.ErrPlaceInUse) {
			var parts []string
			for _, r := range refs {
				parts = append(parts, fmt.Sprintf("%d %s", r.Count, r.What))
			}
			return fmt.Errorf("places remove: %s is not removed: %s refer to it; their history keeps its place (to correct its name: xuncha places rename)",
				p.String(), strings.Join(parts, ", "))
		}
		if err != nil {
			return fmt.Errorf("places remove: %w", err)
		}
		fmt.Fprintf(e.stdout, "%s removed\n", p.String())
		return nil
	}
}
