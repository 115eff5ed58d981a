package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cuelang.org/go/cue"
)

// sweepBase is an experiment whose sweep block is %s.
const sweepBase = `iris: #Experiment & {
	data: {
		source: file: "iris.csv"
		target: "Species"
	}
	model: layers: [{dense: 16}, {dropout: 0.1}]
	train: {epochs: 4, optimizer: adam: lr: 0.01}
	sweep: {
%s
	}
}
`

func loadSweep(t *testing.T, sweep string) *Experiment {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"exp.cue": strings.Replace(sweepBase, "%s", sweep, 1)})
	exps, err := Load(filepath.Join(dir, "exp.cue"))
	if err != nil {
		var b bytes.Buffer
		PrintError(&b, err, dir)
		t.Fatalf("load: %s", b.String())
	}
	return exps[0]
}

func TestSweepGridPoints(t *testing.T) {
	e := loadSweep(t, `		params: {
			"train.optimizer.adam.lr": [1e-3, 3e-3, 1e-2]
			"model.layers[0].dense":   [32, 64]
		}`)
	points, err := e.Points()
	if err != nil {
		t.Fatal(err)
	}
	// Paths sorted, the last varying fastest.
	want := []string{
		"model.layers[0].dense=32 train.optimizer.adam.lr=0.001",
		"model.layers[0].dense=32 train.optimizer.adam.lr=0.003",
		"model.layers[0].dense=32 train.optimizer.adam.lr=0.01",
		"model.layers[0].dense=64 train.optimizer.adam.lr=0.001",
		"model.layers[0].dense=64 train.optimizer.adam.lr=0.003",
		"model.layers[0].dense=64 train.optimizer.adam.lr=0.01",
	}
	if len(points) != len(want) {
		t.Fatalf("%d points, want %d", len(points), len(want))
	}
	hashes := map[string]bool{}
	for i, p := range points {
		if p.Index != i || p.Label() != want[i] {
			t.Errorf("point %d: index %d, %q; want %q", i, p.Index, p.Label(), want[i])
		}
		s := p.Exp.Spec
		dense, _ := strconv.Atoi(string(p.Params[0].Value))
		lr, _ := strconv.ParseFloat(string(p.Params[1].Value), 64)
		if s.Model.Layers[0].Dense != dense || s.Train.Optimizer.Adam.LR != lr || s.Model.Layers[1].Dropout != 0.1 {
			t.Errorf("point %d: spec has dense %d lr %v dropout %v", i, s.Model.Layers[0].Dense, s.Train.Optimizer.Adam.LR, s.Model.Layers[1].Dropout)
		}
		if s.Sweep != nil || bytes.Contains(p.Exp.Resolved, []byte(`"sweep"`)) {
			t.Errorf("point %d keeps the sweep block", i)
		}
		if p.Exp.Name != "iris" || p.Exp.File != e.File {
			t.Errorf("point %d: name %q, file %q", i, p.Exp.Name, p.Exp.File)
		}
		hashes[p.Exp.Hash] = true
	}
	if len(hashes) != len(points) || hashes[e.Hash] {
		t.Errorf("%d distinct hashes for %d points (the base's among them: %v)", len(hashes), len(points), hashes[e.Hash])
	}
}

// A point is the experiment it stands for: written out without a sweep,
// that experiment has the point's hash. So a value added to a sweep leaves
// the hashes (and run keys) of the points it had.
func TestSweepPointHashIsTheWrittenOutHash(t *testing.T) {
	plain := func(lr, dense string) string {
		dir := t.TempDir()
		src := strings.Replace(sweepBase, "%s", "", 1)
		src = strings.Replace(src, "\tsweep: {\n\n\t}\n", "", 1)
		src = strings.Replace(src, "lr: 0.01", "lr: "+lr, 1)
		src = strings.Replace(src, "dense: 16", "dense: "+dense, 1)
		writeFiles(t, dir, map[string]string{"exp.cue": src})
		exps, err := Load(filepath.Join(dir, "exp.cue"))
		if err != nil {
			t.Fatal(err)
		}
		return exps[0].Hash
	}
	small := loadSweep(t, `		params: "train.optimizer.adam.lr": [1e-3, 3e-3]`)
	big := loadSweep(t, `		params: "train.optimizer.adam.lr": [1e-3, 3e-3, 1e-2]
		parallel: 4`)
	sp, err := small.Points()
	if err != nil {
		t.Fatal(err)
	}
	bp, err := big.Points()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sp[1].Exp.Hash, plain("0.003", "16"); got != want {
		t.Errorf("point lr=0.003 has hash %.12s, the experiment written out %.12s", got, want)
	}
	for i := range sp {
		if sp[i].Exp.Hash != bp[i].Exp.Hash {
			t.Errorf("point %d changed hash when a value was added", i)
		}
	}
	if small.SweepID() == big.SweepID() {
		t.Errorf("sweeps with other values share the id %s", small.SweepID())
	}
	p, err := big.PointByHash(sp[1].Exp.Hash)
	if err != nil || p.Index != 1 {
		t.Errorf("PointByHash = %v, %v; want point 1", p, err)
	}
	if _, err := big.PointByHash(big.Hash); !errors.Is(err, ErrNoPoint) {
		t.Errorf("PointByHash of the base's hash: %v, want ErrNoPoint", err)
	}
}

// Where the points run is not what they compute: a sweep moved to Slurm,
// with any sbatch options, keeps the spec hash of every point (so their run
// keys) and its sweep id.
func TestSweepExecutorKeepsKeys(t *testing.T) {
	const params = `		params: "train.optimizer.adam.lr": [1e-3, 3e-3]`
	local := loadSweep(t, params)
	tests := []struct{ name, sweep string }{
		{"executor local written", params + "\nexecutor: \"local\""},
		{"executor slurm", params + "\nexecutor: \"slurm\""},
		{"slurm options", params + `
		executor: "slurm"
		resources: {cpus: 4, gpus: 1}
		slurm: {partition: "gpu", account: "ml", time: "2:00:00", mem: "8G", extra: ["--qos=high", "--exclusive"]}`},
		{"slurm options, local executor", params + "\nslurm: partition: \"cpu\""},
		{"kubernetes options", params + `
		executor: "kubernetes"
		resources: {cpus: 2, gpus: 1, memory: "8Gi"}
		kubernetes: {namespace: "ml", image: "registry.example/xp:1", service_account: "xp", claim: "xp-shared"
			report: "remote", remote: "team", secret: "xp-remote", workdir: "/project"
			node_selector: "nvidia.com/gpu.product": "A100"
			tolerations: [{key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule"}]
			extra: spec: template: spec: priorityClassName: "batch"}`},
	}
	lp, err := local.Points()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := loadSweep(t, tt.sweep)
			if e.SweepID() != local.SweepID() {
				t.Errorf("sweep id %s, %s without the executor", e.SweepID(), local.SweepID())
			}
			ep, err := e.Points()
			if err != nil {
				t.Fatal(err)
			}
			if len(ep) != len(lp) {
				t.Fatalf("%d points, want %d", len(ep), len(lp))
			}
			for i := range ep {
				if ep[i].Exp.Hash != lp[i].Exp.Hash {
					t.Errorf("point %d: hash %.12s, %.12s without the executor", i, ep[i].Exp.Hash, lp[i].Exp.Hash)
				}
			}
		})
	}
	e := loadSweep(t, tests[2].sweep)
	want := Slurm{Partition: "gpu", Account: "ml", Time: "2:00:00", Mem: "8G", Extra: []string{"--qos=high", "--exclusive"}}
	if sw := e.Spec.Sweep; sw.Executor != ExecutorSlurm || sw.Slurm == nil || !slices.Equal(sw.Slurm.Extra, want.Extra) ||
		sw.Slurm.Partition != want.Partition || sw.Slurm.Account != want.Account || sw.Slurm.Time != want.Time || sw.Slurm.Mem != want.Mem {
		t.Errorf("decoded executor %q, slurm %+v; want slurm, %+v", sw.Executor, sw.Slurm, want)
	}
	k := loadSweep(t, tests[len(tests)-1].sweep).Spec.Sweep
	if k.Executor != ExecutorKubernetes || k.Kubernetes == nil || k.Resources.Memory != "8Gi" {
		t.Fatalf("decoded executor %q, kubernetes %+v, resources %+v", k.Executor, k.Kubernetes, k.Resources)
	}
	kw := Kubernetes{Namespace: "ml", Image: "registry.example/xp:1", ServiceAccount: "xp", Claim: "xp-shared",
		Report: ReportRemote, Remote: "team", Secret: "xp-remote", Workdir: "/project",
		NodeSelector: map[string]string{"nvidia.com/gpu.product": "A100"},
		Tolerations:  []Toleration{{Key: "nvidia.com/gpu", Operator: "Exists", Effect: "NoSchedule"}},
		Extra:        map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"priorityClassName": "batch"}}}}}
	if !reflect.DeepEqual(*k.Kubernetes, kw) {
		t.Errorf("decoded kubernetes %+v, want %+v", *k.Kubernetes, kw)
	}
	if local.Spec.Sweep.Executor != ExecutorLocal {
		t.Errorf("default executor %q, want local", local.Spec.Sweep.Executor)
	}
}

func TestSweepID(t *testing.T) {
	const params = `		params: "train.optimizer.adam.lr": [1e-3, 3e-3]`
	a := loadSweep(t, params)
	tests := []struct {
		name  string
		sweep string
		same  bool
	}{
		{"reloaded", params, true},
		{"reformatted", "params: {\n\"train.optimizer.adam.lr\": [0.001, 0.003]}", true},
		{"other parallel and resources", params + "\nparallel: 3\nresources: cpus: 2", true},
		{"on kubernetes", params + "\nexecutor: \"kubernetes\"\nresources: memory: \"1Gi\"\nkubernetes: {namespace: \"ml\", image: \"xp:1\", extra: metadata: labels: team: \"ml\"}", true},
		{"on slurm", params + "\nexecutor: \"slurm\"\nslurm: {partition: \"gpu\", time: \"1:00:00\", mem: \"4G\", extra: [\"--qos=high\"]}", true},
		{"other values", `params: "train.optimizer.adam.lr": [1e-3]`, false},
		{"other metric", params + "\nmetric: \"validation.accuracy\"", false},
		{"pruned", params + "\nprune: {}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := loadSweep(t, tt.sweep)
			if (a.SweepID() == b.SweepID()) != tt.same {
				t.Errorf("ids %s and %s: same = %v, want %v", a.SweepID(), b.SweepID(), !tt.same, tt.same)
			}
			if !regexp.MustCompile(`^iris-[0-9a-f]{12}$`).MatchString(b.SweepID()) {
				t.Errorf("id %q", b.SweepID())
			}
		})
	}
	plain := loadSweep(t, params)
	plain.Spec.Sweep = nil
	if id := plain.SweepID(); id != "" {
		t.Errorf("an experiment without a sweep has sweep id %q", id)
	}
}

func TestSweepRandom(t *testing.T) {
	sweep := func(trials, seed int) string {
		return `		method: "random"
		trials: ` + strconv.Itoa(trials) + `
		seed: ` + strconv.Itoa(seed) + `
		params: {
			"train.optimizer.adam.lr": {log_uniform: [1e-4, 1e-1]}
			"model.layers[1].dropout": {uniform: [0, 0.5]}
			"model.layers[0].dense":   {int_uniform: [8, 64]}
			"train.batch_size":        [16, 32, 64]
		}`
	}
	values := func(e *Experiment) [][4]float64 {
		points, err := e.Points()
		if err != nil {
			t.Fatal(err)
		}
		out := make([][4]float64, len(points))
		for i, p := range points {
			s := p.Exp.Spec
			out[i] = [4]float64{float64(s.Model.Layers[0].Dense), s.Model.Layers[1].Dropout,
				float64(s.Train.BatchSize), s.Train.Optimizer.Adam.LR}
		}
		return out
	}
	five := values(loadSweep(t, sweep(5, 7)))
	if len(five) != 5 {
		t.Fatalf("%d points, want 5", len(five))
	}
	for i, v := range five {
		dense, dropout, batch, lr := v[0], v[1], v[2], v[3]
		if dense < 8 || dense > 64 || dense != math.Trunc(dense) || dropout < 0 || dropout >= 0.5 ||
			(batch != 16 && batch != 32 && batch != 64) || lr < 1e-4 || lr > 1e-1 {
			t.Errorf("point %d out of its distributions: %v", i, v)
		}
	}
	if again := values(loadSweep(t, sweep(5, 7))); !equalValues(again, five) {
		t.Errorf("the same seed drew %v, then %v", five, again)
	}
	if eight := values(loadSweep(t, sweep(8, 7))); !equalValues(eight[:5], five) {
		t.Errorf("more trials changed the first ones: %v, then %v", five, eight[:5])
	}
	if other := values(loadSweep(t, sweep(5, 8))); equalValues(other, five) {
		t.Errorf("seeds 7 and 8 drew the same points")
	}
}

// A random sweep of a discrete space yields trials distinct points, drawing
// on past the repeats; a space smaller than trials is an error at
// sweep.trials, which says how many points the space holds.
func TestSweepRandomDistinct(t *testing.T) {
	small := loadSweep(t, `		method: "random"
		trials: 6
		params: {
			"train.optimizer.adam.lr": [0.1, 0.2, 0.3]
			"train.batch_size":        {int_uniform: [16, 17]}
		}`)
	points, err := small.Points()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range points {
		seen[p.Label()] = true
	}
	if len(points) != 6 || len(seen) != 6 {
		t.Errorf("%d points, %d distinct, want 6 of 6: %v", len(points), len(seen), seen)
	}

	// A continuous param makes the space as large as any number of trials.
	if points, err := loadSweep(t, `		method: "random"
		trials: 50
		params: {
			"train.optimizer.adam.lr": {uniform: [0.01, 0.1]}
			"train.batch_size":        [16, 32]
		}`).Points(); err != nil || len(points) != 50 {
		t.Errorf("a continuous space: %d points, %v", len(points), err)
	}
}

func equalValues(a, b [][4]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSweepErrors(t *testing.T) {
	// The sweep block starts at line 9 of sweepBase; each case's first
	// line is line 9.
	tests := []struct {
		name, sweep string
		want        []string
	}{
		{"missing field", `		params: "train.optimizer.adam.lrr": [1e-3]`, []string{
			`sweep.params."train.optimizer.adam.lrr": train.optimizer.adam has no field "lrr" (did you mean "lr"?)`,
			"exp.cue:9:11"}},
		{"index out of range", `		params: "model.layers[2].dense": [8]`, []string{
			`sweep.params."model.layers[2].dense": model.layers has 2 elements: index 2 does not exist (indexes count from 0)`}},
		{"value out of bounds", `		params: "model.layers[0].dense": [8, -16]`, []string{
			`sweep.params."model.layers[0].dense"[1]: value -16 does not fit model.layers[0].dense: invalid value -16 (out of bound >0)`,
			"exp.cue:9:40"}},
		{"enum value", `		params: device: ["cpu", "gpu"]`, []string{
			`sweep.params.device[1]: value "gpu" does not fit device: "gpu" is not one of "auto", "cpu", "cuda"`,
			"exp.cue:9:27"}},
		{"float for an int", `		method: "random", trials: 3
		params: "model.layers[0].dense": {uniform: [8, 64]}`, []string{
			`does not fit model.layers[0].dense: conflicting values`, `(mismatched types float and int)`}},
		{"distribution in a grid", `		params: "train.optimizer.adam.lr": {uniform: [0.1, 0.2]}`, []string{
			`uniform needs method: "random", "tpe", or "asha" with trials`}},
		{"unknown distribution", `		method: "random", trials: 3
		params: "train.optimizer.adam.lr": {unifrom: [0.1, 0.2]}`, []string{
			`did you mean "uniform"?`}},
		{"bad bounds", `		method: "random", trials: 3
		params: "train.optimizer.adam.lr": {log_uniform: [0, 0.2]}`, []string{
			`log_uniform: bounds must be above 0`}},
		{"random without trials", `		method: "random"
		params: "train.optimizer.adam.lr": [0.1]`, []string{`sweep.trials: field is required but not present`}},
		{"more trials than points", `		method: "random", trials: 7
		params: {
			"train.optimizer.adam.lr": [0.1, 0.2, 0.3, 0.3]
			"train.batch_size":        {int_uniform: [16, 17]}
		}`, []string{`sweep.trials: 7 trials, but the space holds only 6 distinct points (train.batch_size: 2 × train.optimizer.adam.lr: 3 values): random draws would repeat; lower trials to 6, or use method: "grid" to train every point`,
			"exp.cue:9:21"}},
		{"trials in a grid", `		trials: 3
		params: "train.optimizer.adam.lr": [0.1]`, []string{`sweep.trials: trials goes with method: "random", "tpe" or "asha"`, "exp.cue:9:3"}},
		{"startup in a random sweep", `		method: "random", trials: 3, startup: 2
		params: "train.optimizer.adam.lr": [0.1, 0.2, 0.3]`, []string{`sweep.startup: startup goes with method: "tpe"`, "exp.cue:9:32"}},
		{"tpe without trials", `		method: "tpe"
		params: "train.optimizer.adam.lr": {log_uniform: [1e-4, 1e-1]}`, []string{`sweep.trials: field is required but not present`}},
		{"tpe startup not positive", `		method: "tpe", trials: 8, startup: 0
		params: "train.optimizer.adam.lr": {log_uniform: [1e-4, 1e-1]}`, []string{`sweep.startup: 0 is not one of >0`, "exp.cue:9:38"}},
		{"tpe more trials than points", `		method: "tpe", trials: 7
		params: "train.optimizer.adam.lr": [0.1, 0.2, 0.3]`, []string{`sweep.trials: 7 trials, but the space holds only 3 distinct points (train.optimizer.adam.lr: 3 values): tpe draws would repeat`, "exp.cue:9:18"}},
		{"tpe bad bounds", `		method: "tpe", trials: 3
		params: "train.optimizer.adam.lr": {log_uniform: [0, 0.2]}`, []string{
			`log_uniform: bounds must be above 0`, "exp.cue:10:11"}},
		{"asha min_epochs not below epochs", `		method: "asha", min_epochs: 4
		params: "train.optimizer.adam.lr": [0.1, 0.2, 0.3]`, []string{
			`sweep.min_epochs: min_epochs 4 is not below train.epochs 4`, "exp.cue:9:19"}},
		{"asha reduction factor", `		method: "asha", reduction_factor: 1
		params: "train.optimizer.adam.lr": [0.1, 0.2, 0.3]`, []string{
			`sweep.reduction_factor: 1 is not one of >=2`, "exp.cue:9:37"}},
		{"asha test metric", `		method: "asha"
		params: "train.optimizer.adam.lr": [0.1, 0.2, 0.3]
		metric: "test.accuracy"`, []string{
			`sweep.metric: asha ranks points at every rung by metric, but test.accuracy is measured only when a run ends`, "exp.cue:11:3"}},
		{"asha with prune", `		method: "asha"
		params: "train.optimizer.adam.lr": [0.1, 0.2, 0.3]
		prune: grace: 1`, []string{`sweep.prune: prune goes with method: "grid", "random" or "tpe"`}},
		{"asha with stop", `		method: "asha"
		params: "train.optimizer.adam.lr": [0.1, 0.2, 0.3]
		stop: no_improvement_in: 2`, []string{`sweep.stop: stop goes with method: "grid", "random" or "tpe"`}},
		{"asha distribution without trials", `		method: "asha"
		params: "train.optimizer.adam.lr": {log_uniform: [1e-4, 1e-1]}`, []string{
			`log_uniform needs method: "random", "tpe", or "asha" with trials`, "exp.cue:10:11"}},
		{"min_epochs in a grid", `		min_epochs: 2
		params: "train.optimizer.adam.lr": [0.1]`, []string{`sweep.min_epochs: min_epochs goes with method: "asha"`, "exp.cue:9:3"}},
		{"metadata", `		params: description: ["a", "b"]`, []string{`description cannot be swept`}},
		{"metric not measured", `		params: "train.optimizer.adam.lr": [0.1]
		metric: "validation.auc"`, []string{
			`sweep.metric: the experiment does not measure auc on validation (it has loss, accuracy, log_loss)`,
			"exp.cue:10:3"}},
		{"metric misspelt", `		params: "train.optimizer.adam.lr": [0.1]
		metric: "validation.acuracy"`, []string{`did you mean "accuracy"?`}},
		{"no params", `		params: {}`, []string{`sweep.params: invalid value {} (does not satisfy struct.MinFields(1))`}},
		{"unknown executor", `		params: "train.optimizer.adam.lr": [0.1]
		executor: "slrum"`, []string{`sweep.executor: "slrum" is not one of "local", "slurm", "kubernetes"`, "exp.cue:10:13"}},
		{"slurm time", `		params: "train.optimizer.adam.lr": [0.1]
		slurm: time: "1h"`, []string{`sweep.slurm.time: invalid value "1h"`, "exp.cue:10:16"}},
		{"slurm mem", `		params: "train.optimizer.adam.lr": [0.1]
		slurm: mem: "4 GB"`, []string{`sweep.slurm.mem: invalid value "4 GB"`, "exp.cue:10:15"}},
		{"slurm requeue negative", `		params: "train.optimizer.adam.lr": [0.1]
		slurm: requeue: -1`, []string{`sweep.slurm.requeue: invalid value -1 (out of bound >=0)`, "exp.cue:10:19"}},
		{"slurm requeue not a count", `		params: "train.optimizer.adam.lr": [0.1]
		slurm: requeue: 1.5`, []string{`sweep.slurm.requeue:`, "exp.cue:10:"}},
		{"slurm extra not a flag", `		params: "train.optimizer.adam.lr": [0.1]
		slurm: extra: ["qos=high"]`, []string{`sweep.slurm.extra[0]: invalid value "qos=high"`, "exp.cue:10:18"}},
		{"slurm unknown option", `		params: "train.optimizer.adam.lr": [0.1]
		slurm: partiton: "gpu"`, []string{`sweep.slurm.partiton: field not allowed`, "exp.cue:10:10"}},
		{"kubernetes namespace", `		params: "train.optimizer.adam.lr": [0.1]
		kubernetes: namespace: "ML_team"`, []string{`sweep.kubernetes.namespace: invalid value "ML_team"`, "exp.cue:10:26"}},
		{"kubernetes unknown option", `		params: "train.optimizer.adam.lr": [0.1]
		kubernetes: nodeSelector: disk: "ssd"`, []string{`sweep.kubernetes.nodeSelector: field not allowed`, "exp.cue:10:15"}},
		{"kubernetes toleration effect", `		params: "train.optimizer.adam.lr": [0.1]
		kubernetes: tolerations: [{key: "gpu", effect: "NoSchedul"}]`, []string{`sweep.kubernetes.tolerations[0].effect: "NoSchedul" is not one of`, "exp.cue:10:50"}},
		{"kubernetes report", `		params: "train.optimizer.adam.lr": [0.1]
		kubernetes: report: "s3"`, []string{`sweep.kubernetes.report: "s3" is not one of "volume", "remote"`, "exp.cue:10:23"}},
		{"kubernetes workdir relative", `		params: "train.optimizer.adam.lr": [0.1]
		kubernetes: workdir: "project"`, []string{`sweep.kubernetes.workdir: invalid value "project"`, "exp.cue:10:24"}},
		{"memory quantity", `		params: "train.optimizer.adam.lr": [0.1]
		resources: memory: "8 GB"`, []string{`sweep.resources.memory: invalid value "8 GB"`, "exp.cue:10:22"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"exp.cue": strings.Replace(sweepBase, "%s", tt.sweep, 1)})
			_, err := Load(filepath.Join(dir, "exp.cue"))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			var b bytes.Buffer
			PrintError(&b, err, dir)
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("PrintError printed\n%s\nwant it to contain\n%s", b.String(), w)
				}
			}
		})
	}
}

// A combination of values can break the schema where each value alone
// does not: Points names the point, at the positions of its values.
func TestSweepPointThatDoesNotFit(t *testing.T) {
	src := strings.Replace(sweepBase, "%s", `		params: {
			"data.split.test":       [0.2, 0.5]
			"data.split.validation": [0.1, 0.5]
		}`, 1)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"exp.cue": src})
	exps, err := Load(filepath.Join(dir, "exp.cue"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = exps[0].Points()
	if err == nil {
		t.Fatal("Points succeeded")
	}
	var b bytes.Buffer
	PrintError(&b, err, dir)
	for _, w := range []string{`point 3 (data.split.test=0.5 data.split.validation=0.5) does not fit the schema`,
		"test + validation must be below 1", "exp.cue:9:3: sweep.params: "} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("PrintError printed\n%s\nwant it to contain %q", b.String(), w)
		}
	}
}

func TestSweepParamJSON(t *testing.T) {
	tests := []struct {
		in, out string
		dist    string
	}{
		{`[1, "a", {"dense": 4}]`, `[1,"a",{"dense":4}]`, DistChoice},
		{`{"uniform": [0, 0.5]}`, `{"uniform":[0,0.5]}`, DistUniform},
		{`{"log_uniform": [1e-4, 0.1]}`, `{"log_uniform":[0.0001,0.1]}`, DistLogUniform},
		{`{"int_uniform": [8, 64]}`, `{"int_uniform":[8,64]}`, DistIntUniform},
		{`{"unifrom": [0, 1]}`, `[]`, ""},
		{`{"uniform": [0, 1], "int_uniform": [0, 1]}`, `[]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var p SweepParam
			if err := json.Unmarshal([]byte(tt.in), &p); err != nil {
				t.Fatal(err)
			}
			if p.Dist != tt.dist {
				t.Errorf("dist %q, want %q", p.Dist, tt.dist)
			}
			out, err := json.Marshal(p)
			if err != nil || string(out) != tt.out {
				t.Errorf("Marshal = %s, %v; want %s", out, err, tt.out)
			}
		})
	}
}

// Validating only the changed top-level fields gives the points that
// validating the whole experiment gives, defaults filled in the same.
func TestSweepFieldwiseIsWhole(t *testing.T) {
	if !fieldsIndependent() {
		t.Fatal("#Experiment's fields refer to each other: sweeps fall back to validating whole experiments, " +
			"several times slower; if that is meant, drop this check")
	}
	e := loadSweep(t, `		params: {
			"train.optimizer.adam.lr": [1e-3, 3e-2]
			"model.layers":            [[{dense: 8}], [{dense: 4, activation: "tanh"}, {dropout: 0.5}]]
			"data.split":              [{test: 0.3}, {test: 0.1, validation: 0.2, seed: 3}]
			"device":                  ["cpu", "auto"]
		}`)
	fieldwise, points := partsAreWhole(t, e)
	if len(fieldwise.fields) != 8 {
		t.Errorf("%d fields validated for %d points, want 8 (2 values of 4 fields)", len(fieldwise.fields), points)
	}
}

// partsAreWhole checks that every point of e's grid validated by parts
// (the fieldwise validator) is the point validated whole, byte for byte,
// and returns the first validator and how many points there were.
func partsAreWhole(t *testing.T, e *Experiment) (*validator, int) {
	t.Helper()
	base, sels, combos := sweepCombos(t, e)
	parts, _ := newValidator()
	whole, _ := newValidator()
	whole.fieldwise = false
	for i, values := range combos {
		a, aerr := parts.point(e, base, sels, values)
		b, berr := whole.point(e, base, sels, values)
		if aerr != nil || berr != nil {
			t.Fatalf("point %d: %v, %v", i, aerr, berr)
		}
		if !bytes.Equal(a.Canonical, b.Canonical) || a.Hash != b.Hash {
			t.Errorf("point %d:\n%s\nby parts, whole:\n%s", i, a.Canonical, b.Canonical)
		}
	}
	return parts, len(combos)
}

// sweepCombos is what validator.point takes for each point of e's grid:
// the base tree, the swept paths' selectors and every combination of
// values.
func sweepCombos(t *testing.T, e *Experiment) (map[string]any, [][]cue.Selector, [][]json.RawMessage) {
	t.Helper()
	base, err := baseTree(e.Resolved)
	if err != nil {
		t.Fatal(err)
	}
	paths := sweepPaths(e.Spec.Sweep)
	sels := make([][]cue.Selector, len(paths))
	for i, p := range paths {
		if sels[i], err = parseSweepPath(p); err != nil {
			t.Fatal(err)
		}
	}
	next, n, err := combinations(e.Spec.Sweep, paths)
	if err != nil {
		t.Fatal(err)
	}
	var combos [][]json.RawMessage
	for i := range n {
		values, _ := next(i)
		combos = append(combos, values)
	}
	return base, sels, combos
}

func TestSlurmRequeues(t *testing.T) {
	zero, three := 0, 3
	tests := []struct {
		name  string
		slurm *Slurm
		want  int
	}{
		{"no slurm block", nil, DefaultRequeue},
		{"left out", &Slurm{Time: "30"}, DefaultRequeue},
		{"none", &Slurm{Requeue: &zero}, 0},
		{"three", &Slurm{Requeue: &three}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.slurm.Requeues(); got != tt.want {
				t.Errorf("Requeues() = %d, want %d", got, tt.want)
			}
		})
	}
}

// A swept value is validated on its own where its enclosing structs are
// plain structs of independent fields (unitLen), and the points are those
// that validating the whole experiment gives, byte for byte: so a sweep of
// 20,000 seeds validates 20,000 integers, and the run keys do not change.
func TestSweepUnitsAreWhole(t *testing.T) {
	for _, tc := range []struct{ path, unit string }{
		{"train.seed", "train.seed"},
		{"train.epochs", "train.epochs"},
		{"train.optimizer.adam.lr", "train.optimizer"},
		// #Model and #Data are not plain structs of independent fields.
		{"model.layers[0].dense", "model"},
		{"data.split.seed", "data"},
		{"device", "device"},
	} {
		sels, err := parseSweepPath(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := pathString(sels[:unitLen(sels)]); got != tc.unit {
			t.Errorf("the unit of %s is %s, want %s", tc.path, got, tc.unit)
		}
	}
	for _, params := range []string{
		`"train.seed": [7, 8, 9]`,
		`"train.epochs": [1, 3], "train.batch_size": [8, 64]`,
		`"train.optimizer.adam.lr": [1e-3, 0.3], "train.seed": [2, 3]`,
		`"train.optimizer": [{sgd: {lr: 0.1, momentum: 0.9}}, {adam: {}}], "train.epochs": [2, 5]`,
		`"train.loss": [{cross_entropy: {label_smoothing: 0.1}}, {cross_entropy: {}}], "train.seed": [4, 5]`,
		`"model.layers[0].dense": [4, 32], "model.layers[1].dropout": [0, 0.5]`,
		`"data.split.seed": [1, 2], "data.split.test": [0.1, 0.3]`,
		`"device": ["cpu", "auto"], "train.seed": [1, 2]`,
	} {
		t.Run(params, func(t *testing.T) {
			units, _ := partsAreWhole(t, loadSweep(t, "\t\tparams: {"+params+"}"))
			if len(units.fields) == 0 {
				t.Error("nothing was validated by unit")
			}
		})
	}
}
