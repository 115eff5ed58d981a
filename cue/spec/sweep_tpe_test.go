package spec

import (
	"encoding/json"
	"strconv"
	"testing"
)

const tpeParams = `		params: {
			"train.optimizer.adam.lr": {log_uniform: [1e-4, 1e-1]}
			"model.layers[1].dropout": {uniform: [0, 0.5]}
			"model.layers[0].dense":   {int_uniform: [8, 64]}
			"train.batch_size":        [16, 32, 64]
		}`

// A tpe sweep lists the points it draws before it learns: the first
// startup points of the random sweep with the same seed.
func TestSweepTPEStartupPointsAreRandomOnes(t *testing.T) {
	tpe := loadSweep(t, "method: \"tpe\", trials: 20, startup: 4, seed: 3\n"+tpeParams)
	random := loadSweep(t, "method: \"random\", trials: 20, seed: 3\n"+tpeParams)
	if tpe.Spec.Sweep.Startup != 4 {
		t.Fatalf("startup %d", tpe.Spec.Sweep.Startup)
	}
	tp, err := tpe.Points()
	if err != nil {
		t.Fatal(err)
	}
	rp, err := random.Points()
	if err != nil {
		t.Fatal(err)
	}
	if len(tp) != 4 {
		t.Fatalf("%d tpe points listed, want its 4 startup points", len(tp))
	}
	for i := range tp {
		if tp[i].Exp.Hash != rp[i].Exp.Hash {
			t.Errorf("point %d: tpe %s, random %s", i, tp[i].Label(), rp[i].Label())
		}
	}
	if d := loadSweep(t, "method: \"tpe\", trials: 20\n"+tpeParams); d.Spec.Sweep.Startup != 10 {
		t.Errorf("default startup %d, want 10", d.Spec.Sweep.Startup)
	}
}

// tpe's points depend on parallel (point i sees the results of points
// 0..i-parallel), so parallel is part of a tpe sweep's id; not of a
// random one's.
func TestSweepIDOfTPEHasParallel(t *testing.T) {
	id := func(method string, parallel int) string {
		return loadSweep(t, "method: \""+method+"\", trials: 8, parallel: "+strconv.Itoa(parallel)+"\n"+tpeParams).SweepID()
	}
	if id("tpe", 1) == id("tpe", 3) {
		t.Error("tpe sweeps with parallel 1 and 3 share an id")
	}
	if id("random", 1) != id("random", 3) {
		t.Error("random sweeps with parallel 1 and 3 have different ids")
	}
	if a, b := id("tpe", 2), id("tpe", 2); a != b {
		t.Errorf("the same tpe sweep has ids %s and %s", a, b)
	}
}

// A point built from values is the point the sweep would list with them,
// and values go to coordinates and back unchanged.
func TestPointBuilderAndCoords(t *testing.T) {
	e := loadSweep(t, "method: \"tpe\", trials: 20, startup: 2\n"+tpeParams)
	points, err := e.Points()
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.PointBuilder()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range points {
		vals := make([]json.RawMessage, len(want.Params))
		for j, p := range want.Params {
			param := e.Spec.Sweep.Params[b.Paths()[j]]
			x, ok := param.Coord(p.Value)
			if !ok {
				t.Fatalf("%s: value %s has no coordinate", p.Path, p.Value)
			}
			vals[j] = param.ValueAt(x)
			if string(vals[j]) != string(p.Value) {
				t.Errorf("%s: %s -> %v -> %s", p.Path, p.Value, x, vals[j])
			}
		}
		got, err := b.Point(want.Index, vals)
		if err != nil {
			t.Fatal(err)
		}
		if got.Exp.Hash != want.Exp.Hash || got.Label() != want.Label() {
			t.Errorf("point %d built as %s, listed as %s", want.Index, got.Label(), want.Label())
		}
	}
	if _, ok := e.Spec.Sweep.Params["train.batch_size"].Coord(json.RawMessage("48")); ok {
		t.Error("48 is a coordinate of [16, 32, 64]")
	}
	// A value the schema refuses is an error at the sweep's params.
	bad := []json.RawMessage{json.RawMessage("-3"), json.RawMessage("0.1"), json.RawMessage("0.01"), json.RawMessage("16")}
	if _, err := b.Point(5, bad); err == nil {
		t.Error("a point with dense -3 was built")
	}
}

// A choice of whole structs is a category like any other: its values go
// to their index and back, and equal structs written differently are one.
func TestCoordOfStructChoices(t *testing.T) {
	e := loadSweep(t, `method: "tpe", trials: 2, startup: 1
		params: "model.layers": [[{dense: 8}], [{dense: 16}, {dropout: 0.2}]]`)
	p := e.Spec.Sweep.Params["model.layers"]
	x, ok := p.Coord(json.RawMessage(`[{"dropout": 0.2}]`))
	if ok {
		t.Errorf("a layer list that is no choice has coordinate %v", x)
	}
	x, ok = p.Coord(json.RawMessage(`[ {"dense":16}, {"dropout":0.2} ]`))
	if !ok || x != 1 {
		t.Fatalf("coordinate %v, %v; want 1", x, ok)
	}
	b, err := e.PointBuilder()
	if err != nil {
		t.Fatal(err)
	}
	pt, err := b.Point(1, []json.RawMessage{p.ValueAt(x)})
	if err != nil {
		t.Fatal(err)
	}
	if got := pt.Exp.Spec.Model.Layers; len(got) != 2 || got[0].Dense != 16 || got[1].Dropout != 0.2 {
		t.Errorf("layers %+v", got)
	}
}
