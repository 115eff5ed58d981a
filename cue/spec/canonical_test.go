package spec

import (
	"bytes"
	"encoding/json"
	stderrors "errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"keys sorted, whitespace gone", `{ "b": 1, "a": [ true, false, null ] }`, `{"a":[true,false,null],"b":1}`},
		{"nested keys sorted", `{"z": {"y": 1, "x": {"b": 2, "a": 1}}}`, `{"z":{"x":{"a":1,"b":2},"y":1}}`},
		{"metadata dropped at the top only", `{"name": "a", "description": "d", "tags": ["t"], "data": {"name": "kept"}}`, `{"data":{"name":"kept"}}`},
		{"empty containers", `{"a": {}, "b": []}`, `{"a":{},"b":[]}`},
		{"top-level array untouched by metadata", `["name", {"tags": 1}]`, `["name",{"tags":1}]`},
		{"small float, three spellings", `[1e-3, 0.001, 1.0E-3, 10e-4, 0.0010]`, `[0.001,0.001,0.001,0.001,0.001]`},
		{"integers, four spellings", `[64, 64.0, 6.4e1, 640e-1]`, `[64,64,64,64]`},
		{"zero and negative zero", `[0, -0, 0.0, -0.0e5, 0e-9]`, `[0,0,0,0,0]`},
		{"exponent thresholds as JavaScript", `[1e-7, 1.5e-7, 1e-6, 1e20, 1e21, 1.25e21, 123456789012345678901234]`,
			`[1e-7,1.5e-7,0.000001,100000000000000000000,1e+21,1.25e+21,1.2345678901234569e+23]`},
		{"shortest round trip", `[0.1, 0.30000000000000004, 3.141592653589793238, 1e-8, 0.999]`, `[0.1,0.30000000000000004,3.141592653589793,1e-8,0.999]`},
		{"int64 keeps every digit", `[9007199254740993, 9223372036854775807, -9223372036854775808]`, `[9007199254740993,9223372036854775807,-9223372036854775808]`},
		{"beyond int64 becomes a float", `[9223372036854775808, 1e19]`, `[9223372036854776000,10000000000000000000]`},
		{"negative numbers", `[-1.5, -2e-9, -42]`, `[-1.5,-2e-9,-42]`},
		{"underflow is zero", `[1e-400]`, `[0]`},
		{"strings escape only what JSON needs", `["a\"b\\c\/d", "\u00e9\u2028<>&", "\t\n\r\b\f\u0001\u001f\u007f"]`,
			"[\"a\\\"b\\\\c/d\",\"é\u2028<>&\",\"\\t\\n\\r\\b\\f\\u0001\\u001f\u007f\"]"},
		{"keys escaped like strings", `{"\u0041\n": 1}`, `{"A\n":1}`},
		{"keys sorted by bytes", `{"b": 1, "B": 2, "é": 3, "a": 4}`, `{"B":2,"a":4,"b":1,"é":3}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonical([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Canonical(%s)\n got %s\nwant %s", tt.in, got, tt.want)
			}
			again, err := Canonical(got)
			if err != nil || !bytes.Equal(again, got) {
				t.Errorf("not idempotent: %s -> %s (%v)", got, again, err)
			}
		})
	}
}

func TestCanonicalErrors(t *testing.T) {
	tests := []struct{ name, in string }{
		{"duplicate key", `{"a": 1, "a": 2}`},
		{"trailing data", `{"a": 1} {}`},
		{"not json", `{a: 1}`},
		{"truncated", `{"a": [1, 2`},
		{"empty", ``},
		{"beyond float64", `[1e400]`},
		{"exponent beyond int", `[1e99999999999999999999]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := Canonical([]byte(tt.in)); err == nil {
				t.Errorf("Canonical(%s) = %s, want an error", tt.in, got)
			}
		})
	}
}

func TestHash(t *testing.T) {
	a := Hash([]byte(`{"a":1}`))
	if len(a) != 64 {
		t.Fatalf("Hash is %d characters, want 64", len(a))
	}
	if a == Hash([]byte(`{"a":2}`)) {
		t.Error("different specs hash equal")
	}
	if a != Hash([]byte(`{"a":1}`)) {
		t.Error("Hash is not deterministic")
	}
	// The version tag is part of the hash: sha256("xp-spec-v1\n{}").
	if got, want := Hash([]byte(`{}`)), "c80d8e89d34cbe182e118916393d1eb5279c432fa39705bd07470b783cfd9eb1"; got != want {
		t.Errorf(`Hash("{}") = %s, want %s`, got, want)
	}
}

// TestHashOfExperiment: what does not change training leaves the hash
// alone; any training value changes it.
func TestHashOfExperiment(t *testing.T) {
	const base = `credit: #Experiment & {
	description: "credit scoring"
	data: {
		source: file: "credit.csv"
		target: "Status"
		clean: [{drop_na: {}}, {filter: {column: "Age", op: ">=", value: 18}}]
		split: seed: 42
	}
	model: layers: [{dense: 64}, {dropout: 0.2}, {dense: 32}]
	train: optimizer: adam: lr: 1e-3
}
`
	same := map[string]string{
		"reformatted and commented": `// The credit experiment.
credit: #Experiment & {description: "credit scoring", data: {source: {file: "credit.csv"}, target: "Status",
	clean: [{drop_na: {}}, {filter: {value: 18, op: ">=", column: "Age"}}], // keep adults
	split: {seed: 42}},
	model: {layers: [{dense: 64}, {dropout: 0.2}, {dense: 32}]}
	train: {optimizer: {adam: {lr: 0.001}}}}
`,
		"fields in another order": `credit: #Experiment & {
	train: optimizer: adam: lr: 1.0e-3
	model: layers: [{dense: 64}, {dropout: 0.2}, {dense: 32}]
	data: {
		split: seed: 42
		clean: [{drop_na: {}}, {filter: {column: "Age", op: ">=", value: 18}}]
		target: "Status"
		source: file: "credit.csv"
	}
	description: "credit scoring"
}
`,
		"metadata changed":            strings.Replace(base, `description: "credit scoring"`, `description: "v2", tags: ["x"], name: "credit"`, 1),
		"defaults written out":        strings.Replace(base, `train: optimizer: adam: lr: 1e-3`, "train: {epochs: 20, batch_size: 32, optimizer: adam: {lr: 1e-3, beta1: 0.9, eps: 1e-8}}\n\tdevice: \"auto\"\n\tmetrics: [\"accuracy\", \"log_loss\"]", 1),
		"without #Experiment":         strings.Replace(base, "credit: #Experiment & {", "credit: {", 1),
		"an empty prepare":            strings.Replace(base, "clean: [", "prepare: []\n\t\tclean: [", 1),
		"through a shared definition": "#Base: #Experiment & {data: split: seed: 42}\n" + strings.Replace(base, "credit: #Experiment & {", "credit: #Base & {", 1),
	}
	different := map[string]string{
		"learning rate":   strings.Replace(base, "lr: 1e-3", "lr: 2e-3", 1),
		"a layer's width": strings.Replace(base, "{dense: 32}", "{dense: 33}", 1),
		"split seed":      strings.Replace(base, "split: seed: 42", "split: seed: 43", 1),
		"a rule's value":  strings.Replace(base, "value: 18", "value: 21", 1),
		"a rule run before the split": strings.Replace(base, `clean: [{drop_na: {}}, `, `prepare: [{drop_na: {}}]
		clean: [`, 1),
		"rule order": strings.Replace(base, `[{drop_na: {}}, {filter: {column: "Age", op: ">=", value: 18}}]`, `[{filter: {column: "Age", op: ">=", value: 18}}, {drop_na: {}}]`, 1),
		"a default":  strings.Replace(base, "adam: lr: 1e-3", "adam: {lr: 1e-3, beta2: 0.99}", 1),
		"data file":  strings.Replace(base, "credit.csv", "credit2.csv", 1),
		"device":     strings.Replace(base, "model:", "device: \"cpu\"\n\tmodel:", 1),
	}
	hashOf := func(t *testing.T, src string) string {
		t.Helper()
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"credit.cue": src})
		exps, err := Load(dir)
		if err != nil {
			var b bytes.Buffer
			PrintError(&b, err, dir)
			t.Fatalf("Load: %v\n%s", err, b.String())
		}
		return exps[0].Hash
	}
	want := hashOf(t, base)
	for name, src := range same {
		t.Run("same/"+name, func(t *testing.T) {
			if got := hashOf(t, src); got != want {
				t.Errorf("hash changed: %s, base %s", got, want)
			}
		})
	}
	for name, src := range different {
		t.Run("different/"+name, func(t *testing.T) {
			if src == base {
				t.Fatal("the variant did not change the source")
			}
			if got := hashOf(t, src); got == want {
				t.Errorf("hash unchanged: %s", got)
			}
		})
	}
}

// FuzzCanonical: a value re-encoded with its keys shuffled, its numbers
// spelt differently, its strings escaped differently and whitespace
// added canonicalises to the same bytes; canonical output is a fixed
// point.
func FuzzCanonical(f *testing.F) {
	seeds := []string{
		`{"data":{"source":{"file":"credit.csv"},"target":"Status"},"train":{"optimizer":{"adam":{"lr":1e-3,"eps":1E-8}}}}`,
		`{"name":"x","tags":["a"],"description":"d","metrics":["auc"]}`,
		`[0, -0.0, 1e21, 1e-7, 123.456e-2, 9007199254740993, 18446744073709551616]`,
		`{"s":"\u00e9\n\t\"\\\/ \ud83d\ude00","e":{},"a":[],"n":null,"b":[true,false]}`,
		`{"value":[1,"CA",2.50],"op":"in"}`,
		`"just a string"`,
		`3.0000000000000001`,
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint64(i))
	}
	f.Fuzz(func(t *testing.T, js []byte, seed uint64) {
		want, err := Canonical(js)
		if err != nil {
			return // not JSON, or not canonicalisable: nothing to compare
		}
		again, err := Canonical(want)
		if err != nil || !bytes.Equal(again, want) {
			t.Fatalf("not idempotent: %s -> %s (%v)", want, again, err)
		}
		v, err := parseJSON(js)
		if err != nil {
			t.Fatalf("Canonical accepted what parseJSON rejects: %v", err)
		}
		rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
		var b bytes.Buffer
		respell(&b, v, rng)
		got, err := Canonical(b.Bytes())
		if err != nil {
			t.Fatalf("respelt %s: %v", b.Bytes(), err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("respelling changed the canonical form\n in: %s\nout: %s\nwas: %s\nnow: %s", js, b.Bytes(), want, got)
		}
		if Hash(got) != Hash(want) {
			t.Fatal("equal canonical bytes, different hashes")
		}
	})
}

// respell writes v as different but equal JSON: members shuffled, numbers
// in another exact spelling, some characters \u-escaped, spaces between
// tokens.
func respell(b *bytes.Buffer, v any, rng *rand.Rand) {
	space := func() {
		b.WriteString([]string{"", " ", "\n\t", "  "}[rng.IntN(4)])
	}
	space()
	switch v := v.(type) {
	case object:
		b.WriteByte('{')
		for i, j := range rng.Perm(len(v)) {
			if i > 0 {
				b.WriteByte(',')
			}
			space()
			respellString(b, v[j].key, rng)
			space()
			b.WriteByte(':')
			respell(b, v[j].val, rng)
		}
		space()
		b.WriteByte('}')
	case array:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			respell(b, x, rng)
		}
		space()
		b.WriteByte(']')
	case string:
		respellString(b, v, rng)
	case json.Number:
		b.WriteString(respellNumber(string(v), rng))
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case nil:
		b.WriteString("null")
	}
	space()
}

func respellString(b *bytes.Buffer, s string, rng *rand.Rand) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r < 0x20 || (r < 0x10000 && rng.IntN(4) == 0):
			fmt.Fprintf(b, `\u%04X`, r)
		case r >= 0x10000 && rng.IntN(2) == 0:
			r -= 0x10000
			fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// respellNumber writes the exact decimal value of lit another way: with
// padding zeros moved between mantissa and exponent.
func respellNumber(lit string, rng *rand.Rand) string {
	neg, digits, exp, err := decimal(lit)
	if err != nil || digits == "" {
		return []string{"0", "-0", "0.0", "0e5", "-0.000E-2"}[rng.IntN(5)]
	}
	sign := ""
	if neg {
		sign = "-"
	}
	pad := rng.IntN(4)
	digits += strings.Repeat("0", pad)
	exp -= pad
	switch rng.IntN(3) {
	case 0: // d.ddd E±x
		e := exp + len(digits) - 1
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		return sign + m + []string{"e", "E"}[rng.IntN(2)] + strconv.Itoa(e)
	case 1: // ddd e x, with an explicit + sometimes
		e := strconv.Itoa(exp)
		if exp >= 0 && rng.IntN(2) == 0 {
			e = "+" + e
		}
		return sign + digits + "e" + e
	}
	// Plain notation where it stays short.
	switch {
	case exp >= 0 && exp < 30:
		return sign + digits + strings.Repeat("0", exp)
	case exp < 0 && -exp < len(digits):
		return sign + digits[:len(digits)+exp] + "." + digits[len(digits)+exp:]
	case exp < 0 && -exp < 30:
		return sign + "0." + strings.Repeat("0", -exp-len(digits)) + digits
	}
	return sign + digits + "e" + strconv.Itoa(exp)
}

// FuzzParseJSON holds parseJSON to parseJSONDecoder, encoding/json's
// Decoder with UseNumber, token by token (what parseJSON was): both accept
// the same inputs and read them into the same tree, so no run key changes.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"data":{"source":{"file":"credit.csv"},"target":"Status"},"train":{"optimizer":{"adam":{"lr":1e-3,"eps":1E-8}}}}`,
		`[0, -0.0, 1e21, 1e-7, 123.456e-2, 9007199254740993, 18446744073709551616, -0, 0.5E+3]`,
		`{"s":"\u00e9\n\t\"\\\/ \ud83d\ude00","e":{},"a":[],"n":null,"b":[true,false]}`,
		`{"lone":"\ud83d x \udc00 \ud83d\u0041","nul":"\u0000"}`,
		"{\"bad\":\"\xff\xfe\xc3(\", \"ok\":\"\xe2\x82\xac \xf0\x9f\x98\x80\"}",
		`{"a":1,"a":2}`, `[1,]`, `{"a"}`, `01`, `1 2`, `-`, `1.`, `1e`, `tru`, `nulll`, `"\q"`, `"\u12"`, "\"a\x01\"", ` `, ``,
		`  {"x" : [ 1 , { "y" : null } ] }  `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, js []byte) {
		want, werr := parseJSONDecoder(js)
		got, gerr := parseJSON(js)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: encoding/json says %v, parseJSON %v", js, werr, gerr)
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: encoding/json reads\n%#v\nparseJSON\n%#v", js, want, got)
		}
	})
}

func parseJSONDecoder(js []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	v, err := parseValueDecoder(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, stderrors.New("data after the top-level value")
	}
	return v, nil
}

func parseValueDecoder(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		var obj object
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("object key %v is not a string", k)
			}
			if seen[key] {
				return nil, fmt.Errorf("duplicate key %q", key)
			}
			seen[key] = true
			val, err := parseValueDecoder(dec)
			if err != nil {
				return nil, err
			}
			obj = append(obj, member{key, val})
		}
		if _, err := dec.Token(); err != nil { // '}'
			return nil, err
		}
		if obj == nil {
			obj = object{}
		}
		return obj, nil
	case json.Delim('['):
		arr := array{}
		for dec.More() {
			val, err := parseValueDecoder(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, val)
		}
		if _, err := dec.Token(); err != nil { // ']'
			return nil, err
		}
		return arr, nil
	case json.Delim('}'), json.Delim(']'):
		return nil, fmt.Errorf("unexpected %v", tok)
	}
	return tok, nil // nil, bool, json.Number or string
}

// BenchmarkCanonical is Canonical of the shipped credit experiment's
// resolved spec, as every run and every sweep point computes it, and its
// parse alone by parseJSON and by encoding/json's Decoder, which parseJSON
// replaced (measured: 31-32 µs and 631 allocs by the Decoder, 11-12 µs
// and 223 by parseJSON).
func BenchmarkCanonical(b *testing.B) {
	exps, err := Load("../../experiments/credit.cue")
	if err != nil {
		b.Fatal(err)
	}
	js := exps[0].Resolved
	b.Run("canonical", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Canonical(js); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decoder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parseJSONDecoder(js); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parseJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parseJSON(js); err != nil {
				b.Fatal(err)
			}
		}
	})
}
