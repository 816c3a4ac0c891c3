package main

import (
	"strings"
	"testing"
	"unicode/utf8"

	"xuncha/internal/textsafe"
)

// FuzzParsePlaces: any file either is refused with an error or yields rows with a township,
// a known class, no negative figures and no control or bidi character in a name.
//
//	go test -run '^$' -fuzz FuzzParsePlaces -fuzztime 1000000x .
func FuzzParsePlaces(f *testing.F) {
	f.Add("township,village,class,collective_income,population\n新站镇,东风村,key,120000,2310\n")
	f.Add("乡镇,村,类别\n新站镇,东风村,重点村\n天岗镇,,\n")
	f.Add("\uFEFF新站镇,东风村,一般村,\"1,200\",3\n# comment\n")
	f.Add("新站镇,东风村,vip,1,1\n")
	f.Add("\"unterminated,x\n")
	f.Add(",,,\n")
	f.Add("\xd0\xc2\xd5\xbe\xd5\xf2,\xb6\xab\xb7\xe7\xb4\xe5,key\n") // 新站镇,东风村 in GBK
	f.Add("村,乡镇,人口,备注\n东风村,新站镇,7,x\n")
	f.Add("名称,村名称\n新站镇,东风村\n")
	f.Fuzz(func(t *testing.T, data string) {
		rows, _, err := parsePlaces(strings.NewReader(data))
		if err != nil {
			return
		}
		if len(rows) == 0 {
			t.Fatal("no error and no rows")
		}
		for _, r := range rows {
			if r.Township == "" || (r.Class != "key" && r.Class != "general") || r.CollectiveIncome < 0 || r.Population < 0 {
				t.Fatalf("bad row %+v from %q", r, data)
			}
			if utf8.RuneCountInString(r.Township) > 50 || utf8.RuneCountInString(r.Village) > 50 {
				t.Fatalf("overlong name in %+v", r)
			}
			if textsafe.CheckLine(r.Township) != nil || textsafe.CheckLine(r.Village) != nil {
				t.Fatalf("a control or bidi character in %+v", r)
			}
		}
	})
}
