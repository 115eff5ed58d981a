package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	// Two keys share "3f9a2c"; a third key has two runs.
	a := createTest(t, s, "3f9a2c41d0e7"+strings.Repeat("0", 52), "credit")
	b := createTest(t, s, "3f9a2c99aaaa"+strings.Repeat("1", 52), "churn")
	keyC := "7b21" + strings.Repeat("c", 60)
	createTest(t, s, keyC, "fraud") // older
	newerC := createTest(t, s, keyC, "fraud")
	// A fourth key succeeded, then a newer attempt of it was lost: the
	// key's prefix names the success, KEY#N any run of it.
	keyD := "d00d" + strings.Repeat("d", 60)
	okD := createTest(t, s, keyD, "credit")
	if err := s.FinishRun(ctx, okD.ID, StatusSucceeded, "", "", nil); err != nil {
		t.Fatal(err)
	}
	lostD := createTest(t, s, keyD, "credit")
	if err := s.FinishRun(ctx, lostD.ID, StatusFailed, "boom", "", nil); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		prefix    string
		want      int64 // run id, 0 when an error is expected
		wantErr   error
		wantInErr []string
	}{
		{name: "exact key", prefix: a.Key, want: a.ID},
		{name: "unique prefix", prefix: "3f9a2c4", want: a.ID},
		{name: "uppercase and spaces", prefix: "  3F9A2C99 ", want: b.ID},
		{name: "newest of one key", prefix: "7b21", want: newerC.ID},
		{name: "newest succeeded of one key", prefix: "d00d", want: okD.ID},
		{name: "run number", prefix: "d00d#" + strconv.FormatInt(lostD.ID, 10), want: lostD.ID},
		{name: "run number of another key", prefix: "7b21#" + strconv.FormatInt(lostD.ID, 10), wantErr: ErrNotFound,
			wantInErr: []string{"is a run of key d00ddddddddd"}},
		{name: "no such run number", prefix: "d00d#999", wantErr: ErrNotFound},
		{name: "run number not a number", prefix: "d00d#x", wantErr: ErrInvalid},
		{name: "unknown", prefix: "0000", wantErr: ErrNotFound, wantInErr: []string{`"0000"`}},
		{name: "ambiguous", prefix: "3f9a", wantErr: ErrAmbiguous,
			wantInErr: []string{"3f9a2c41d0e7 (credit)", "3f9a2c99aaaa (churn)"}},
		{name: "too short", prefix: "3f9", wantErr: ErrInvalid},
		{name: "not hex", prefix: "3f9z", wantErr: ErrInvalid},
		{name: "too long", prefix: a.Key + "0", wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := s.Resolve(ctx, tt.prefix)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Resolve(%q) = %v, want %v", tt.prefix, err, tt.wantErr)
				}
				for _, w := range tt.wantInErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tt.prefix, err)
			}
			if r.ID != tt.want {
				t.Errorf("Resolve(%q) = run %d, want %d", tt.prefix, r.ID, tt.want)
			}
		})
	}

	t.Run("newest whatever its status", func(t *testing.T) {
		r, err := s.ResolveNewest(ctx, "d00d")
		if err != nil || r.ID != lostD.ID {
			t.Fatalf("ResolveNewest(d00d) = %v, %v; want run %d", r, err, lostD.ID)
		}
	})
	t.Run("ambiguous error lists candidates", func(t *testing.T) {
		_, err := s.Resolve(ctx, "3f9a")
		var amb *AmbiguousError
		if !errors.As(err, &amb) {
			t.Fatalf("error %T, want *AmbiguousError", err)
		}
		if len(amb.Candidates) != 2 || amb.Candidates[0].ID != a.ID || amb.Candidates[1].ID != b.ID || amb.More != 0 {
			t.Errorf("candidates %+v, more %d", amb.Candidates, amb.More)
		}
		if amb.Candidates[0].Experiment != "credit" || amb.Candidates[0].CreatedAt.IsZero() {
			t.Errorf("candidate lacks experiment or creation time: %+v", amb.Candidates[0])
		}
	})
	t.Run("keys equal in their first 12 characters are shown longer", func(t *testing.T) {
		x := createTest(t, s, "aaaabbbbcccc1"+strings.Repeat("0", 51), "x")
		y := createTest(t, s, "aaaabbbbcccc2"+strings.Repeat("0", 51), "y")
		_, err := s.Resolve(ctx, "aaaabbbbcccc")
		if !errors.Is(err, ErrAmbiguous) {
			t.Fatalf("Resolve = %v, want ambiguous", err)
		}
		for _, k := range []string{x.Key[:13], y.Key[:13]} {
			if !strings.Contains(err.Error(), k) {
				t.Errorf("error %q does not tell %s apart", err, k)
			}
		}
	})
	t.Run("many candidates are cut short", func(t *testing.T) {
		for i := range maxCandidates + 3 {
			createTest(t, s, testKey("dead", i), "many")
		}
		_, err := s.Resolve(ctx, "dead")
		var amb *AmbiguousError
		if !errors.As(err, &amb) {
			t.Fatalf("Resolve = %v, want ambiguous", err)
		}
		if len(amb.Candidates) != maxCandidates || amb.More != 3 || !strings.Contains(err.Error(), "and 3 more") {
			t.Errorf("%d candidates, %d more, %q", len(amb.Candidates), amb.More, err)
		}
	})
}
