package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunSynthetic(t *testing.T) {
	var out bytes.Buffer
	o := options{job: "t", synthetic: "600x5", hidden: "16", backend: "cpu", epochs: 5, batch: 32, threads: 1, lr: 1e-2, test: 0.2, seed: 1}
	if err := run(context.Background(), &out, o); err != nil {
		t.Fatal(err)
	}
	var r result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	if r.Job != "t" || r.Side != "xp" || r.Rows != 600 || r.Features != 5 || r.Classes != 2 || r.SamplesPerSec <= 0 {
		t.Fatalf("result %+v", r)
	}
	if r.Accuracy < 0.8 {
		t.Fatalf("accuracy %v on a linear problem", r.Accuracy)
	}
	if !strings.HasPrefix(r.BackendVersion, "engine/") {
		t.Fatalf("backend version %q", r.BackendVersion)
	}
}

func TestReadSplit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.split")
	var b bytes.Buffer
	b.WriteString("XPB1")
	for _, v := range []any{
		[]int32{2, 1, 3, 4},              // train rows, test rows, features, classes
		[]float32{1, 2, 3, 4, 5, 6},      // train X
		[]int32{0, 3},                    // train y
		[]float32{7, 8, 9}, []int32{2}} { // test X, y
		if err := binary.Write(&b, binary.LittleEndian, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sp, err := readSplit(path)
	if err != nil {
		t.Fatal(err)
	}
	if sp.classes != 4 || sp.train.N != 2 || sp.train.D != 3 || sp.train.X[5] != 6 || sp.train.Y[1] != 3 || sp.test.X[2] != 9 || sp.test.Y[0] != 2 {
		t.Fatalf("split %+v train %+v test %+v", sp, sp.train, sp.test)
	}
	if err := os.WriteFile(path, []byte("XPB2\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readSplit(path); err == nil {
		t.Fatal("read a file that is not a split")
	}
}

func TestCSVSplit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.csv")
	csv := "a,kind,label\n1,x,yes\n2,y,no\nNA,x,yes\n1,x,yes\n3,z,no\n4,y,yes\n"
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	sp, err := csvSplit(path, "label", 1, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	// 4 rows survive (NA dropped, one duplicate dropped): 1 test, 3 train;
	// features: a, then kind one-hot x, y, z.
	if sp.train.N != 3 || sp.test.N != 1 || sp.train.D != 4 || sp.classes != 2 {
		t.Fatalf("train %d×%d, test %d, classes %d", sp.train.N, sp.train.D, sp.test.N, sp.classes)
	}
	if _, err := csvSplit(path, "nope", 1, 0.25); err == nil {
		t.Fatal("no error for a missing target column")
	}
}

func TestTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	lines := strings.Join([]string{
		`{"job":"a","side":"xp","threads":1,"accuracy":0.9,"samples_per_sec":400}`,
		`{"job":"a","side":"torch","threads":1,"accuracy":0.91,"samples_per_sec":100}`,
		`a warning, not a result`,
		`{"job":"a","side":"xp","threads":1,"accuracy":0.9,"samples_per_sec":300}`,
		`{"job":"a","side":"torch","threads":1,"accuracy":0.91,"samples_per_sec":200}`,
		`{"job":"b","side":"xp","threads":2,"accuracy":0.5,"samples_per_sec":10}`,
	}, "\n")
	if err := os.WriteFile(path, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := printTable(&out, path); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(got) != 3 {
		t.Fatalf("table:\n%s", out.String())
	}
	// Best of each side: 400 against 200.
	if f := strings.Fields(got[1]); strings.Join(f, " ") != "a 1 400 200 2.00 0.9000 0.9100" {
		t.Fatalf("row a: %q", got[1])
	}
	if f := strings.Fields(got[2]); strings.Join(f, " ") != "b 2 10 - - 0.5000 -" {
		t.Fatalf("row b: %q", got[2])
	}
}
