package spec

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzFlatten holds Flatten's in-place walk to what decoding the document
// first gives, for every valid document.
func FuzzFlatten(f *testing.F) {
	for _, seed := range []string{
		`{"train":{"optimizer":{"adam":{"lr":1e-3}}},"model":{"layers":[{"dense":8},{"dropout":0.2}]}}`,
		`{"b":1,"a":{"x":[],"y":{}},"a":2}`,
		`{"data":{"features":{"Sepal.Length":{"numeric":{}}}}}`,
		`{"s":"a\"b\\c\u00e9\n\u0001","k\u0041y":true,"n":null,"f":false}`,
		` [1, 2.50, -0, 1E+2, {"z" : "w"} ] `,
		`"top"`, `12e-1`, `{}`, `[]`, `{"":{"":[[]]}}`,
		`{"x":123456789012345678901234567890}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, js []byte) {
		if !json.Valid(js) || !utf8.Valid(js) {
			return
		}
		want, wantErr := flattenDecoded(js)
		got := map[string]json.RawMessage{}
		gotErr := flattenValid(got, "", js)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("%s: error %v, decoded gives %v", js, gotErr, wantErr)
		}
		if wantErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got %s\nwant %s", js, show(got), show(want))
		}
	})
}

func show(m map[string]json.RawMessage) string {
	s := ""
	for _, k := range sortedKeys(m) {
		s += fmt.Sprintf("%s=%s ", k, m[k])
	}
	return s
}

func sortedKeys(m map[string]json.RawMessage) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}
