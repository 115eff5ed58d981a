package report

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// runData is one run with what its panels draw: its points and the
// artifacts it saved, each with why it could not be read.
type runData struct {
	run    *store.Run
	points []store.Point

	preds    *predictions
	predsErr error
	conf     *runner.Confusion
	confErr  error
}

func loadRun(ctx context.Context, st *store.Store, r *store.Run) (*runData, error) {
	pts, err := st.Points(ctx, r.ID, "", "")
	if err != nil {
		return nil, err
	}
	rd := &runData{run: r}
	for _, p := range pts {
		if p.Split != store.SplitSystem {
			rd.points = append(rd.points, p)
		}
	}
	dir := st.ArtifactDir(r)
	rd.preds, rd.predsErr = readPredictions(filepath.Join(dir, runner.TestPredictionsFile))
	rd.predsErr = artifactError(r, runner.TestPredictionsFile, rd.predsErr)
	rd.conf, rd.confErr = runner.ReadConfusion(dir)
	rd.confErr = artifactError(r, runner.ConfusionFile, rd.confErr)
	return rd, nil
}

// artifactError says why a run's artifact could not be read, in the words
// a report shows.
func artifactError(r *store.Run, file string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist) && r.Remote != "":
		return skip("%s is not here: the run was pulled from %s without its artifacts (xp pull --artifacts fetches them)", file, r.Remote)
	case errors.Is(err, fs.ErrNotExist) && r.Status != store.StatusSucceeded:
		return skip("the run %s, so it saved no %s", r.Status, file)
	case errors.Is(err, fs.ErrNotExist):
		return skip("the run saved no %s (an older run, or a model without a test split)", file)
	}
	return skip("%s: %v", file, err)
}

// kind is what the run predicts, from its test predictions when it has
// them, else from its metrics' names.
func (rd *runData) kind() string {
	if rd.preds != nil {
		return rd.preds.kind()
	}
	for _, split := range rd.run.Summary {
		for name := range split {
			switch name {
			case "accuracy", "auc", "log_loss", "f1", "precision", "recall":
				return kindClassification
			case "rmse", "mae", "r2", "mse":
				return kindRegression
			}
		}
	}
	return ""
}

// curve is the points of one split and metric of a run, in order.
func (rd *runData) curve(split, name string) []store.Point {
	var out []store.Point
	for _, p := range rd.points {
		if p.Split == split && p.Name == name {
			out = append(out, p)
		}
	}
	return out
}

// metricNames lists the metrics with points in the train or validation
// split, in the order they were first recorded.
func (rd *runData) metricNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range rd.points {
		if (p.Split == store.SplitTrain || p.Split == store.SplitValidation) && !seen[p.Name] {
			seen[p.Name] = true
			out = append(out, p.Name)
		}
	}
	return out
}

func (rd *runData) label() string {
	return fmt.Sprintf("%s #%d", rd.run.Short(), rd.run.ID)
}
