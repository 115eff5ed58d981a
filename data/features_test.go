package data

import (
	"encoding/json"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
)

func TestFeatureEncodings(t *testing.T) {
	f := mustParse(t, "shop.csv", `y,x,home,user,review
a,1,rent,u1,Great great product
b,3,own,u2,<br/>bad
a,NA,rent,u1,NA
b,5,rent,u3,Not bad. Not great
a,2,own,u1,great
b,9,castle,u2,bad bad bad
`)
	data := func(features map[string]spec.Feature) spec.Data {
		return spec.Data{Target: "y", Features: features, Split: spec.Split{Seed: 1}}
	}
	t.Run("numeric minmax and none", func(t *testing.T) {
		for _, tt := range []struct {
			enc  string
			want []float32 // rows 0-5 of x; row 2 missing -> the mean 4
		}{
			{"minmax", []float32{0, 0.25, 0.375, 0.5, 0.125, 1}},
			{"none", []float32{1, 3, 4, 5, 2, 9}},
		} {
			p, err := Prepare(f, data(map[string]spec.Feature{"x": {Numeric: &spec.NumericFeature{Encoding: tt.enc}}}))
			if err != nil {
				t.Fatal(err)
			}
			j := slices.Index(p.Features, "x")
			for i, w := range tt.want {
				if got := p.Train.X[i*p.Train.D+j]; got != w {
					t.Errorf("%s row %d: %v, want %v", tt.enc, i, got, w)
				}
			}
		}
	})
	t.Run("categorical cap and other", func(t *testing.T) {
		p, err := Prepare(f, data(map[string]spec.Feature{"home": {Categorical: &spec.CategoricalFeature{Encoding: "onehot", MaxCategories: 1}}}))
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Features[1:3]; !slices.Equal(got, []string{"home=rent", "home=<other>"}) {
			t.Fatalf("features %q", p.Features)
		}
		// Unseen ("tent") and missing take the other input, which the rare
		// training categories trained.
		m, err := p.Pipeline.Transform(mustParse(t, "new.csv", "x,home,user,review\n1,rent,u1,x\n1,tent,u1,x\n1,,u1,x\n"))
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range [][2]float32{{1, 0}, {0, 1}, {0, 1}} {
			if got := [2]float32{m.X[i*m.D+1], m.X[i*m.D+2]}; got != want {
				t.Errorf("row %d: home inputs %v, want %v", i, got, want)
			}
		}
		if !slices.ContainsFunc(p.Report, func(r RuleReport) bool {
			return r.Kind == "other_category" && strings.Contains(r.Detail, "home 3")
		}) {
			t.Errorf("report %+v does not count the 3 training rows sent to other", p.Report)
		}
	})
	t.Run("id with a cap has a trained unknown input", func(t *testing.T) {
		p, err := Prepare(f, data(map[string]spec.Feature{"user": {ID: &spec.IDFeature{MaxIDs: 2}}}))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(p.Features, "user=<unknown>") || !slices.Contains(p.Features, "user=u1") || slices.Contains(p.Features, "user=u3") {
			t.Errorf("features %q: want u1, u2 and <unknown>", p.Features)
		}
	})
	t.Run("embeddings are index columns, last", func(t *testing.T) {
		p, err := Prepare(f, data(map[string]spec.Feature{
			"home": {Categorical: &spec.CategoricalFeature{Encoding: "embedding", Dim: 4}},
			"user": {ID: &spec.IDFeature{MaxIDs: 2, Dim: 3}},
			"x":    {Numeric: &spec.NumericFeature{Encoding: "none"}},
		}))
		if err != nil {
			t.Fatal(err)
		}
		n := len(p.Features)
		if got := p.Features[n-2:]; !slices.Equal(got, []string{"home#index", "user#index"}) || len(p.Notes) != 0 {
			t.Fatalf("features %q (want the index columns last), notes %q", p.Features, p.Notes)
		}
		// home: castle, own, rent + the shared row; user: u1, u2 (the two
		// most frequent) + the shared row, which u3 takes.
		want := []Embedding{{Name: "home", Column: n - 2, Vocab: 4, Dim: 4}, {Name: "user", Column: n - 1, Vocab: 3, Dim: 3}}
		if !slices.Equal(p.Embeddings, want) {
			t.Fatalf("embeddings %+v, want %+v", p.Embeddings, want)
		}
		index := func(m Matrix, row, col int) float32 { return m.X[row*m.D+col] }
		for i, w := range [][2]float32{{2, 0}, {1, 1}, {2, 0}, {2, 2}, {1, 0}, {0, 1}} {
			if got := [2]float32{index(p.Train, i, n-2), index(p.Train, i, n-1)}; got != w {
				t.Errorf("row %d: indices %v, want %v", i, got, w)
			}
		}
		// Through the JSON that `xp predict` reads: unseen and missing
		// values take the last row.
		raw, err := json.Marshal(p.Pipeline)
		if err != nil {
			t.Fatal(err)
		}
		var back Pipeline
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(back.Embeddings(), want) {
			t.Fatalf("read back: embeddings %+v", back.Embeddings())
		}
		m, err := back.Transform(mustParse(t, "new.csv", "x,home,user,review\n1,own,u2,x\n1,tent,u9,x\n1,,,x\n"))
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range [][2]float32{{1, 1}, {3, 2}, {3, 2}} {
			if got := [2]float32{index(m, i, n-2), index(m, i, n-1)}; got != w {
				t.Errorf("new row %d: indices %v, want %v", i, got, w)
			}
		}
	})
	t.Run("embedding dims", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			feat spec.Feature
			dim  int // 0: one-hot
		}{
			{"categorical without dim", spec.Feature{Categorical: &spec.CategoricalFeature{Encoding: "embedding"}}, DefaultEmbeddingDim},
			{"id without dim is one-hot", spec.Feature{ID: &spec.IDFeature{}}, 0},
			{"onehot ignores dim", spec.Feature{Categorical: &spec.CategoricalFeature{Encoding: "onehot", Dim: 5}}, 0},
		} {
			t.Run(tt.name, func(t *testing.T) {
				p, err := Prepare(f, data(map[string]spec.Feature{"user": tt.feat}))
				if err != nil {
					t.Fatal(err)
				}
				if tt.dim == 0 {
					if len(p.Embeddings) != 0 || !slices.Contains(p.Features, "user=u1") {
						t.Errorf("embeddings %+v, features %q: want one-hot", p.Embeddings, p.Features)
					}
					return
				}
				if len(p.Embeddings) != 1 || p.Embeddings[0].Dim != tt.dim {
					t.Errorf("embeddings %+v, want one of dim %d", p.Embeddings, tt.dim)
				}
			})
		}
	})
	t.Run("a pipeline with a plain column after an embedded one is refused", func(t *testing.T) {
		p, err := Prepare(f, data(map[string]spec.Feature{"home": {Categorical: &spec.CategoricalFeature{Encoding: "embedding", Dim: 2}}}))
		if err != nil {
			t.Fatal(err)
		}
		bad := *p.Pipeline
		bad.Columns = slices.Clone(bad.Columns)
		last := len(bad.Columns) - 1
		bad.Columns[0], bad.Columns[last] = bad.Columns[last], bad.Columns[0]
		if _, err := bad.Transform(f); err == nil || !strings.Contains(err.Error(), "index columns come last") {
			t.Errorf("transform: %v", err)
		}
	})
	t.Run("text hashing", func(t *testing.T) {
		const buckets = 32
		p, err := Prepare(f, data(map[string]spec.Feature{"review": {Text: &spec.TextFeature{Encoding: "hashing", Buckets: buckets, NGrams: 2, Norm: "l2"}}}))
		if err != nil {
			t.Fatal(err)
		}
		j := slices.Index(p.Features, "review#0")
		if j < 0 || slices.Index(p.Features, "review#31") != j+31 {
			t.Fatalf("features %q", p.Features)
		}
		// Row 3: "Not bad. Not great" -> not, bad, not, great; bigrams
		// "not bad", "bad not", "not great"; counts l2-normalised.
		bag := make([]float64, buckets)
		for _, g := range []string{"not", "bad", "not", "great", "not bad", "bad not", "not great"} {
			h := fnv.New32a()
			h.Write([]byte(g))
			bag[h.Sum32()%buckets]++
		}
		var ss float64
		for _, v := range bag {
			ss += v * v
		}
		for b := range buckets {
			want := float32(bag[b] / math.Sqrt(ss))
			if got := p.Train.X[3*p.Train.D+j+b]; got != want {
				t.Errorf("row 3 bucket %d: %v, want %v", b, got, want)
			}
		}
		// A missing review is all zeros.
		for b := range buckets {
			if p.Train.X[2*p.Train.D+j+b] != 0 {
				t.Fatalf("missing review encodes nonzero at %d", b)
			}
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tt := range []struct {
			name     string
			features map[string]spec.Feature
			field    string
			kind     error
			part     string
		}{
			{"numeric on text", map[string]spec.Feature{"home": {Numeric: &spec.NumericFeature{Encoding: "standardize"}}},
				"data.features.home.numeric", ErrType, `column "home" holds text`},
			{"unknown column", map[string]spec.Feature{"reveiw": {Text: &spec.TextFeature{Buckets: 8, NGrams: 1}}},
				"data.features.reveiw", ErrColumnNotFound, `did you mean "review"?`},
			{"the target", map[string]spec.Feature{"y": {Categorical: &spec.CategoricalFeature{}}},
				"data.features.y", ErrInvalidRule, "is the target"},
			{"no kind", map[string]spec.Feature{"x": {}},
				"data.features.x", ErrInvalidRule, "sets none of"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := Prepare(f, data(tt.features))
				wantFieldError(t, err, tt.field, tt.kind, tt.part)
			})
		}
	})
}

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Great great product", []string{"great", "great", "product"}},
		{"I'd say: NOT bad!! a 10/10 x_y", []string{"say", "not", "bad", "10", "10", "x_y"}},
		{"Café crème brûlée", []string{"café", "crème", "brûlée"}},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := tokens(tt.in, nil); !slices.Equal(got, tt.want) {
				t.Errorf("tokens(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestStripTags(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a<br />b", "a b"},
		{"<p>Hello &amp; <b>bye</b></p>", " Hello &  bye  "},
		{"x < 3 and y > 2", "x < 3 and y > 2"},
		{"unclosed <b", "unclosed <b"},
		{"no tags", "no tags"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := stripTags(tt.in); got != tt.want {
				t.Errorf("stripTags(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPrepareTestSource(t *testing.T) {
	train := mustParse(t, "train.csv", makeNumbers(100))
	test := mustParse(t, "test.csv", "extra,y,x,g,k\n1,a,5,g1,1\n2,b,NA,g9,1\n3,NA,7,g1,1\n4,c,12,g2,1\n")
	d := spec.Data{Target: "y", Split: spec.Split{Test: 0.2, Validation: 0.25, Seed: 1},
		Clean: []spec.Rule{{FillNA: &spec.FillNA{Column: "x", With: "mean"}}}}
	p, err := PrepareSources(train, test, d)
	if err != nil {
		t.Fatal(err)
	}
	// Test rows are the test file's rows with a target, indexed in it;
	// the training file is split into train and validation only.
	if !slices.Equal(p.TestRows, []int{0, 1, 3}) || p.Test.N != 3 {
		t.Errorf("test rows %v (N %d), want [0 1 3]", p.TestRows, p.Test.N)
	}
	if len(p.TrainRows)+len(p.ValRows) != 100 || len(p.ValRows) != 25 {
		t.Errorf("train %d, validation %d; want 75, 25", len(p.TrainRows), len(p.ValRows))
	}
	if !slices.Contains(p.Classes, "c") {
		t.Errorf("classes %q lack the test file's class c", p.Classes)
	}
	// The test rows encode as Transform encodes the test file.
	m, err := p.Pipeline.Transform(test.Subset([]int{0, 1, 3}))
	if err != nil {
		t.Fatal(err)
	}
	sameMatrix(t, "test", m, p.Test)

	_, err = PrepareSources(train, mustParse(t, "test.csv", "y,z,g,k\na,1,g1,1\n"), d)
	wantFieldError(t, err, "data.test_source", ErrColumnNotFound, `test.csv has no column "x", which train.csv has`)
	_, err = PrepareSources(train, mustParse(t, "test.csv", "Y,x,g,k\na,1,g1,1\n"), d)
	wantFieldError(t, err, "data.test_source", ErrColumnNotFound, `column "y" not found in test.csv; did you mean "Y"?`)
}
