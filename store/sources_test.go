package store

import (
	"bytes"
	"context"
	"testing"
)

func TestSources(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	r := createTest(t, s, testKey("a1", 1), "credit")
	other := createTest(t, s, testKey("a1", 2), "credit")
	files := []Source{
		{Path: "experiments/credit.cue", Content: []byte("credit: {}\n\x00binary too\n")},
		{Path: "experiments/base.cue", Content: nil},
	}
	if err := s.SaveSources(ctx, r.ID, files); err != nil {
		t.Fatal(err)
	}

	t.Run("round trip, by path", func(t *testing.T) {
		got, err := s.Sources(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Path != "experiments/base.cue" || got[1].Path != "experiments/credit.cue" {
			t.Fatalf("sources %+v", got)
		}
		if len(got[0].Content) != 0 || !bytes.Equal(got[1].Content, files[0].Content) {
			t.Errorf("contents %q, %q", got[0].Content, got[1].Content)
		}
	})
	t.Run("a run without sources has none", func(t *testing.T) {
		got, err := s.Sources(ctx, other.ID)
		if err != nil || len(got) != 0 {
			t.Errorf("sources %+v, %v; want none", got, err)
		}
	})
	t.Run("saving again replaces", func(t *testing.T) {
		if err := s.SaveSources(ctx, other.ID, files[:1]); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveSources(ctx, other.ID, []Source{{Path: "x.cue", Content: []byte("x")}}); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Sources(ctx, other.ID)
		if len(got) != 1 || got[0].Path != "x.cue" {
			t.Errorf("sources %+v, want only x.cue", got)
		}
	})
	t.Run("unknown run", func(t *testing.T) {
		if err := s.SaveSources(ctx, 999, files); err == nil {
			t.Error("sources saved for a run that does not exist")
		}
	})
	t.Run("empty path", func(t *testing.T) {
		if err := s.SaveSources(ctx, r.ID, []Source{{Content: []byte("x")}}); err == nil {
			t.Error("a source without a path was saved")
		}
		if got, _ := s.Sources(ctx, r.ID); len(got) != 2 {
			t.Errorf("a failed save changed the sources: %+v", got)
		}
	})
	t.Run("deleted with the run", func(t *testing.T) {
		if err := s.FinishRun(ctx, r.ID, StatusFailed, "x", "", nil); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteRun(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM run_sources WHERE run_id = ?`, r.ID).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d sources left after delete (%v)", n, err)
		}
	})
}
