package tui

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/xp-ml/xp/store"
)

var testNames = []store.SplitMetric{
	{Split: "test", Name: "accuracy"}, {Split: "test", Name: "auc"}, {Split: "train", Name: "loss"},
	{Split: "validation", Name: "accuracy"}, {Split: "validation", Name: "loss"},
}

func TestParseFilter(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  []term
	}{
		{"credit", []term{{kind: termText, text: "credit"}}},
		{"  Credit  CPU ", []term{{kind: termText, text: "credit"}, {kind: termText, text: "cpu"}}},
		{"status:failed", []term{{kind: termStatus, statuses: []store.Status{store.StatusFailed}}}},
		{"s:fail,canc", []term{{kind: termStatus, statuses: []store.Status{store.StatusFailed, store.StatusCanceled}}}},
		{"!status:running", []term{{kind: termStatus, neg: true, statuses: []store.Status{store.StatusRunning}}}},
		{"exp:Cred", []term{{kind: termField, field: "exp", text: "cred"}}},
		{"-key:3f9a", []term{{kind: termField, field: "key", neg: true, text: "3f9a"}}},
		{"test.accuracy>0.8", []term{{kind: termMetric, metric: testNames[0], op: ">", num: 0.8}}},
		{"test.accuracy > 0.8", []term{{kind: termMetric, metric: testNames[0], op: ">", num: 0.8}}},
		{"accuracy>=.9", []term{{kind: termMetric, metric: testNames[0], op: ">=", num: 0.9}}},
		{"acc==1", []term{{kind: termMetric, metric: testNames[0], op: "=", num: 1}}},
		{"val.loss<1e-1", []term{{kind: termMetric, metric: testNames[4], op: "<", num: 0.1}}},
		{"loss!=-2", []term{{kind: termMetric, metric: testNames[4], op: "!=", num: -2}}},
		{"metric<0.5", []term{{kind: termMetric, column: true, op: "<", num: 0.5}}},
		{"a=b", []term{{kind: termText, text: "a=b"}}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			f, err := parseFilter(tc.query, testNames)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.terms) != len(tc.want) {
				t.Fatalf("%d terms, want %d: %+v", len(f.terms), len(tc.want), f.terms)
			}
			for i, w := range tc.want {
				g := f.terms[i]
				if g.kind != w.kind || g.neg != w.neg || g.field != w.field || g.text != w.text ||
					g.metric != w.metric || g.column != w.column || g.op != w.op || g.num != w.num ||
					strings.Join(statusNames(g.statuses), ",") != strings.Join(statusNames(w.statuses), ",") {
					t.Errorf("term %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func statusNames(ss []store.Status) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

func TestParseFilterErrors(t *testing.T) {
	for _, tc := range []struct{ query, want string }{
		{"status:faild", `unknown status "faild"; did you mean failed?`},
		{"status:x", `unknown status "x" (queued, running`},
		{"status:", "status: which?"},
		{"stauts:failed", `unknown field "stauts" (status, exp, key, device, sweep); did you mean status:?`},
		{"test.acuracy>0.5", `no run has a metric "test.acuracy"; did you mean test.accuracy?`},
		{"f1>0.5", `no run has a metric "f1"`},
	} {
		t.Run(tc.query, func(t *testing.T) {
			_, err := parseFilter(tc.query, testNames)
			if !errors.Is(err, errFilter) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestFilterMatch(t *testing.T) {
	runs := map[string]*row{
		"ok":   newRow(store.RunRow{ID: 1, Key: "3f9a" + strings.Repeat("0", 60), Experiment: "credit", Device: "cpu", Status: store.StatusSucceeded}),
		"bad":  newRow(store.RunRow{ID: 2, Key: "7b21" + strings.Repeat("0", 60), Experiment: "churn", Device: "cuda:1", Status: store.StatusFailed, SweepID: "lr-sweep"}),
		"live": newRow(store.RunRow{ID: 3, Key: "aaaa" + strings.Repeat("0", 60), Experiment: "Credit-v2", Device: "cpu", Status: store.StatusRunning}),
	}
	acc := map[int64]float64{1: 0.91, 2: math.NaN()}
	vals := func(m store.SplitMetric) map[int64]float64 {
		if m == testNames[0] {
			return acc
		}
		return nil
	}
	for _, tc := range []struct {
		query string
		want  string // the matching runs, sorted
	}{
		{"", "bad live ok"},
		{"credit", "live ok"},
		{"cuda", "bad"},
		{"failed", "bad"},
		{"status:failed,running", "bad live"},
		{"!status:failed", "live ok"},
		{"exp:v2", "live"},
		{"key:7b2", "bad"},
		{"sweep:lr", "bad"},
		{"device:cuda", "bad"},
		{"test.accuracy>0.9", "ok"},
		{"test.accuracy<0.9", ""}, // NaN and missing match no comparison
		{"!test.accuracy>0.9", "bad live"},
		{"metric>=0.91", "ok"},
		{"credit status:running", "live"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			f, err := parseFilter(tc.query, testNames)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, name := range []string{"bad", "live", "ok"} {
				if f.match(runs[name], testNames[0], vals) {
					got = append(got, name)
				}
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("matches %q, want %q", strings.Join(got, " "), tc.want)
			}
		})
	}
}
