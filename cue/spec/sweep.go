package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	stderrors "errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/xp-ml/xp/internal/suggest"
)

// Sweep methods and distributions, as the schema spells them.
const (
	MethodGrid   = "grid"
	MethodRandom = "random"
	MethodTPE    = "tpe"
	MethodASHA   = "asha"

	DistChoice     = "choice"
	DistUniform    = "uniform"
	DistLogUniform = "log_uniform"
	DistIntUniform = "int_uniform"
)

var distributions = []string{DistUniform, DistLogUniform, DistIntUniform}

// sweepHashTag versions SweepID.
const sweepHashTag = "xp-sweep-v1\n"

// Param is one swept field of a sweep point: its path in the spec, as the
// sweep names it, and the value the point gives it (JSON).
type Param struct {
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

// Point is one concrete experiment of a sweep.
type Point struct {
	// Index is the point's place in the sweep, from 0.
	Index int
	// Params are the point's values, sorted by path.
	Params []Param
	// Exp is the experiment with the values substituted, validated
	// against #Experiment, without the sweep block: its Hash is what the
	// same experiment written out without a sweep would have, so points
	// that two sweeps share are one run key.
	Exp *Experiment
}

// Label is the point's values as one line: "path=value path=value".
func (p *Point) Label() string { return ParamsLabel(p.Params) }

// ParamsLabel writes params as "path=value path=value".
func ParamsLabel(params []Param) string {
	parts := make([]string, len(params))
	for i, p := range params {
		parts[i] = p.Path + "=" + string(p.Value)
	}
	return strings.Join(parts, " ")
}

// UnmarshalJSON reads a list of values or a distribution object. It
// accepts any object, leaving Dist empty when it is not exactly one known
// distribution over two numbers: Load reports that with its position.
func (p *SweepParam) UnmarshalJSON(b []byte) error {
	*p = SweepParam{}
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		p.Dist = DistChoice
		return json.Unmarshal(b, &p.Choices)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("sweep param: want a list of values or a distribution: %w", err)
	}
	if len(obj) != 1 {
		return nil
	}
	for name, raw := range obj {
		var bounds []float64
		if !slices.Contains(distributions, name) || json.Unmarshal(raw, &bounds) != nil || len(bounds) != 2 {
			return nil
		}
		p.Dist, p.Low, p.High = name, bounds[0], bounds[1]
	}
	return nil
}

// MarshalJSON writes the form UnmarshalJSON reads.
func (p SweepParam) MarshalJSON() ([]byte, error) {
	if p.Dist == DistChoice || p.Dist == "" {
		if p.Choices == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(p.Choices)
	}
	return json.Marshal(map[string][2]float64{p.Dist: {p.Low, p.High}})
}

// howFields are the fields of a sweep that say how and where its points
// run, not what they compute: left out of the sweep's id.
var howFields = []string{"parallel", "resources", "executor", "slurm", "kubernetes", "max_points"}

// DefaultMaxPoints is the most points a sweep may have when it does not
// set max_points.
const DefaultMaxPoints = 10000

// maxPoints is the sweep's bound on its points.
func (sw *Sweep) maxPoints() int {
	if sw.MaxPoints > 0 {
		return sw.MaxPoints
	}
	return DefaultMaxPoints
}

// gridSize is how many points a grid sweep expands to before equal ones
// are merged, and false when that is beyond any int.
func gridSize(sw *Sweep, paths []string) (int, []string, bool) {
	size, parts := 1, []string(nil)
	for _, p := range paths {
		n := len(sw.Params[p].Choices)
		if n == 0 {
			return 0, nil, true // no values: reported on its own
		}
		parts = append(parts, strconv.Itoa(n))
		if size > math.MaxInt/n {
			return 0, parts, false
		}
		size *= n
	}
	return size, parts, true
}

// SweepID names the sweep of the experiment: its name and the first 12 hex
// digits of the hash of its canonical spec with the sweep, leaving out
// the sweep's howFields (parallel, resources, executor, slurm,
// kubernetes, max_points), which say how and where the points run and not
// what they compute (but parallel stays for method tpe, whose points
// depend on it). The same sweep has the same id in every process, so a
// second `xp run` finds its queue; a sweep with other values is another
// sweep (whose points the first already trained are cached). "" for an
// experiment without a sweep.
func (e *Experiment) SweepID() string {
	if e.Spec.Sweep == nil {
		return ""
	}
	var tree map[string]any
	dec := json.NewDecoder(bytes.NewReader(e.Canonical))
	dec.UseNumber()
	canonical := e.Canonical
	if dec.Decode(&tree) == nil {
		if sw, ok := tree["sweep"].(map[string]any); ok {
			for _, how := range howFields {
				if how == "parallel" && e.Spec.Sweep.Method == MethodTPE {
					continue // tpe proposes point i from points 0..i-parallel
				}
				delete(sw, how)
			}
		}
		if js, err := json.Marshal(tree); err == nil {
			if c, err := Canonical(js); err == nil {
				canonical = c
			}
		}
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s%s\n", sweepHashTag, e.Name)
	h.Write(canonical)
	return e.Name + "-" + hex.EncodeToString(h.Sum(nil))[:12]
}

// Points expands the experiment's sweep into its points, each validated
// against #Experiment. Grid: every combination of the lists, the last
// path (in sorted order) varying fastest. Random: Trials distinct points,
// draw i taken from an RNG seeded with (Seed, i), drawing on past a draw
// that repeats an earlier point, so more trials keep the first ones (and
// checkSweep has made sure, at load, that the space holds Trials points).
// TPE: its first min(Startup, Trials) points, which it draws as random
// does; the others it proposes from results as they come (package sweep).
// Points that come out equal (by spec hash) are kept once. A point that
// does not fit the schema is an error at the positions of its values. An
// experiment without a sweep has no points.
func (e *Experiment) Points() ([]Point, error) {
	sw := e.Spec.Sweep
	if sw == nil {
		return nil, nil
	}
	b, err := e.PointBuilder()
	if err != nil {
		return nil, err
	}
	values, want, err := combinations(sw, b.paths)
	if err != nil {
		return nil, fmt.Errorf("%s: sweep: %w", e.Name, err)
	}
	var (
		points []Point
		errs   errors.Error
		seen   = map[string]bool{}
	)
	for i := 0; len(points) < want; i++ {
		vals, ok := values(i)
		if !ok {
			break
		}
		p, verrs := b.point(i, vals)
		if verrs != nil {
			errs = errors.Append(errs, verrs)
			if sw.drawn() && len(errors.Errors(errs)) >= 10 {
				break // every draw may fail alike: enough to say why
			}
			continue
		}
		if seen[p.Exp.Hash] {
			continue
		}
		seen[p.Exp.Hash] = true
		p.Index = len(points)
		points = append(points, *p)
	}
	if errs != nil {
		return nil, fmt.Errorf("sweep of %s: %w", e.Name, errs)
	}
	if sw.drawn() && len(points) < want {
		return nil, fmt.Errorf("sweep of %s: %w", e.Name, e.newError([]cue.Selector{cue.Str("sweep"), cue.Str("trials")},
			"%d draws gave %d distinct points of the %d trials: the space holds fewer distinct experiments than its values suggest (equal values written differently?); lower trials, or use method: %q",
			maxDraws(want), len(points), want, MethodGrid))
	}
	return points, nil
}

// PointBuilder makes points of a sweep from values: how a method that
// chooses its points as it goes (tpe) turns its choices into experiments.
// It is not safe for concurrent use.
type PointBuilder struct {
	e     *Experiment
	v     *validator
	base  map[string]any
	paths []string
	sels  [][]cue.Selector
}

// PointBuilder returns the builder of the points of e's sweep.
func (e *Experiment) PointBuilder() (*PointBuilder, error) {
	sw := e.Spec.Sweep
	if sw == nil {
		return nil, fmt.Errorf("experiment %s has no sweep", e.Name)
	}
	v, err := e.pointValidator()
	if err != nil {
		return nil, err
	}
	base, err := baseTree(e.Resolved)
	if err != nil {
		return nil, err
	}
	b := &PointBuilder{e: e, v: v, base: base, paths: sweepPaths(sw)}
	b.sels = make([][]cue.Selector, len(b.paths))
	for i, p := range b.paths {
		if b.sels[i], err = parseSweepPath(p); err != nil {
			return nil, fmt.Errorf("%s: sweep.params[%q]: %w", e.Name, p, err)
		}
	}
	return b, nil
}

// Paths are the sweep's paths, sorted: the order of a point's values.
func (b *PointBuilder) Paths() []string { return b.paths }

// Point is point index of the sweep with values (one per path, in the
// order of Paths), validated against the schema; an error at the
// positions of the sweep's params when it does not fit.
func (b *PointBuilder) Point(index int, values []json.RawMessage) (*Point, error) {
	if len(values) != len(b.paths) {
		return nil, fmt.Errorf("sweep of %s: point %d has %d values for %d params", b.e.Name, index, len(values), len(b.paths))
	}
	p, errs := b.point(index, values)
	if errs != nil {
		return nil, fmt.Errorf("sweep of %s: %w", b.e.Name, errs)
	}
	return p, nil
}

// PointOf is point index of the sweep with params as a point records
// them (Point.Params: one per path, in the order of Paths): how a point
// proposed earlier is rebuilt from its queue's record or a run's.
func (b *PointBuilder) PointOf(index int, params []Param) (*Point, error) {
	values := make([]json.RawMessage, len(params))
	for j, p := range params {
		if j >= len(b.paths) || p.Path != b.paths[j] {
			return nil, fmt.Errorf("sweep of %s: point %d has param %s, not the sweep's %s", b.e.Name, index, p.Path, strings.Join(b.paths, ", "))
		}
		values[j] = p.Value
	}
	return b.Point(index, values)
}

func (b *PointBuilder) point(index int, values []json.RawMessage) (*Point, errors.Error) {
	params := make([]Param, len(b.paths))
	for j, p := range b.paths {
		params[j] = Param{Path: p, Value: values[j]}
	}
	exp, verrs := b.v.point(b.e, b.base, b.sels, values)
	if verrs != nil {
		return nil, b.e.pointError(index, params, verrs)
	}
	return &Point{Index: index, Params: params, Exp: exp}, nil
}

// ErrNoPoint is wrapped by PointByHash's error when no point has the hash.
var ErrNoPoint = stderrors.New("no sweep point has this spec hash")

// PointByHash finds the point of the sweep whose spec hash is hash: how a
// run of a sweep is rebuilt from the experiment's files.
func (e *Experiment) PointByHash(hash string) (*Point, error) {
	points, err := e.Points()
	if err != nil {
		return nil, err
	}
	for i := range points {
		if points[i].Exp.Hash == hash {
			return &points[i], nil
		}
	}
	return nil, fmt.Errorf("%s: %w %.12s", e.Name, ErrNoPoint, hash)
}

// drawn reports whether the sweep's points are random draws (random, tpe's
// startup points, asha with trials) rather than the grid of its lists.
func (sw *Sweep) drawn() bool {
	return sw.Method == MethodRandom || sw.Method == MethodTPE || (sw.Method == MethodASHA && sw.Trials > 0)
}

// Rungs are the epoch budgets of an asha sweep's rungs for a point that
// trains epochs epochs: MinEpochs, times ReductionFactor rung after rung
// while below epochs, then epochs itself, the last. Just [epochs] for
// another method, or when MinEpochs is not below epochs.
func (sw *Sweep) Rungs(epochs int) []int {
	if sw.Method != MethodASHA || sw.MinEpochs <= 0 || sw.ReductionFactor < 2 {
		return []int{epochs}
	}
	var out []int
	for b := sw.MinEpochs; b < epochs; b *= sw.ReductionFactor {
		out = append(out, b)
	}
	return append(out, epochs)
}

// checkASHA checks what an asha sweep needs of the experiment: a first
// rung below train.epochs, and a metric known at every rung (not a test
// metric, which only a finished run has).
func checkASHA(sw *Sweep, epochs int, add func([]cue.Selector, string, ...any)) {
	if sw.MinEpochs >= epochs {
		add([]cue.Selector{cue.Str("sweep"), cue.Str("min_epochs")},
			"min_epochs %d is not below train.epochs %d: every point would train to the end, with nothing to halve; lower min_epochs or use method: %q",
			sw.MinEpochs, epochs, MethodRandom)
	}
	if split, _, _ := strings.Cut(sw.Metric, "."); split == "test" {
		add([]cue.Selector{cue.Str("sweep"), cue.Str("metric")},
			"asha ranks points at every rung by metric, but %s is measured only when a run ends; use a validation or train metric", sw.Metric)
	}
}

// sweepPaths are the sweep's paths, sorted, so the order they are written
// in changes neither the points nor their order.
func sweepPaths(sw *Sweep) []string {
	paths := make([]string, 0, len(sw.Params))
	for p := range sw.Params {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

// combinations gives the values of the i-th candidate point, in the order
// of paths, false past the last, and how many points the sweep wants. A
// grid's candidates are its combinations; a random sweep's are draws, as
// many as maxDraws, of which it wants Trials distinct (tpe: its first
// Startup, the points it draws before it learns).
func combinations(sw *Sweep, paths []string) (func(i int) ([]json.RawMessage, bool), int, error) {
	if sw.drawn() {
		want := sw.Trials
		if sw.Method == MethodTPE {
			want = min(sw.Startup, sw.Trials)
		}
		limit := maxDraws(want)
		return func(i int) ([]json.RawMessage, bool) {
			if i >= limit {
				return nil, false
			}
			rng := rand.New(rand.NewPCG(uint64(sw.Seed), uint64(i)))
			out := make([]json.RawMessage, len(paths))
			for j, p := range paths {
				out[j] = draw(sw.Params[p], rng)
			}
			return out, true
		}, want, nil
	}
	out := [][]json.RawMessage{{}}
	for _, p := range paths {
		param := sw.Params[p]
		if param.Dist != DistChoice {
			return nil, 0, fmt.Errorf("params[%q]: method %q needs a list of values", p, sw.Method)
		}
		next := make([][]json.RawMessage, 0, len(out)*len(param.Choices))
		for _, prefix := range out {
			for _, c := range param.Choices {
				next = append(next, append(slices.Clip(prefix), c))
			}
		}
		out = next
	}
	return func(i int) ([]json.RawMessage, bool) {
		if i >= len(out) {
			return nil, false
		}
		return out[i], true
	}, len(out), nil
}

// maxDraws bounds the draws of a random sweep of trials points: enough to
// collect every point of a discrete space holding exactly trials of them
// (n·ln n draws on average, the coupon collector's), with a wide margin.
func maxDraws(trials int) int { return 100*trials + 1000 }

// spaceSize is how many distinct points a random sweep can draw, and
// the sizes of its params, for a message; ok is false when some param is
// continuous (uniform or log_uniform between two different bounds).
func spaceSize(sw *Sweep, paths []string) (size int, parts []string, ok bool) {
	size = 1
	for _, p := range paths {
		param := sw.Params[p]
		n := 0
		switch param.Dist {
		case DistChoice:
			distinct := map[string]bool{}
			for _, c := range param.Choices {
				distinct[string(canonicalValue(c))] = true
			}
			n = len(distinct)
		case DistIntUniform:
			if param.High-param.Low >= math.MaxInt32 {
				return 0, nil, false
			}
			n = int(param.High-param.Low) + 1
		default:
			if param.Low != param.High {
				return 0, nil, false
			}
			n = 1
		}
		if n <= 0 {
			return 0, nil, false // bounds the checks report
		}
		parts = append(parts, fmt.Sprintf("%s: %d", p, n))
		if size > math.MaxInt32/n {
			return 0, nil, false // beyond any number of trials
		}
		size *= n
	}
	return size, parts, true
}

// canonicalValue is a JSON value in a form that equal values share.
func canonicalValue(v json.RawMessage) []byte {
	if c, err := Canonical(v); err == nil {
		return c
	}
	return v
}

// ValueAt is the param's value at coordinate x: the choice of index x, the
// number x, or, for int_uniform, x rounded to an integer. Coord is its
// inverse.
func (p SweepParam) ValueAt(x float64) json.RawMessage {
	switch p.Dist {
	case DistChoice:
		return p.Choices[min(max(int(x), 0), len(p.Choices)-1)]
	case DistIntUniform:
		return json.RawMessage(strconv.FormatInt(int64(math.Round(x)), 10))
	}
	return number(x)
}

// Coord is value v of the param as a number: the index of the first
// choice equal to v, or the number v; false when v is not a value the
// param can take.
func (p SweepParam) Coord(v json.RawMessage) (float64, bool) {
	if p.Dist == DistChoice {
		want := canonicalValue(v)
		for i, c := range p.Choices {
			if bytes.Equal(canonicalValue(c), want) {
				return float64(i), true
			}
		}
		return 0, false
	}
	var x float64
	if json.Unmarshal(v, &x) != nil || x < p.Low || x > p.High {
		return 0, false
	}
	return x, true
}

// Draw takes one value of the param with rng, as a random sweep does.
func (p SweepParam) Draw(rng *rand.Rand) json.RawMessage { return draw(p, rng) }

// draw takes one value of param with rng.
func draw(param SweepParam, rng *rand.Rand) json.RawMessage {
	switch param.Dist {
	case DistChoice:
		return param.Choices[rng.IntN(len(param.Choices))]
	case DistUniform:
		return number(param.Low + (param.High-param.Low)*rng.Float64())
	case DistLogUniform:
		lo, hi := math.Log(param.Low), math.Log(param.High)
		return number(math.Exp(lo + (hi-lo)*rng.Float64()))
	case DistIntUniform:
		lo, hi := int64(param.Low), int64(param.High)
		return json.RawMessage(strconv.FormatInt(lo+rng.Int64N(hi-lo+1), 10))
	}
	return json.RawMessage("null")
}

func number(f float64) json.RawMessage {
	return json.RawMessage(strconv.FormatFloat(f, 'g', -1, 64))
}

// validator checks substituted experiments against #Experiment, in a CUE
// context of its own.
//
// When #Experiment's top-level fields constrain each other in no way (the
// schema's #Experiment is a struct of fields whose values name no sibling,
// which fieldsIndependent checks), a point is valid when each of its
// top-level fields is valid against its own schema: the validator then
// checks only the fields the sweep changes, each distinct value of a field
// once. A grid of 10 learning rates by 10 widths checks 20 subtrees, not
// 100 experiments, and gives the same resolved values (a test keeps the two
// ways equal).
type validator struct {
	// mu serialises its users: ctx is not safe for concurrent use, and an
	// experiment's checkSweep and PointBuilders share one validator.
	mu        sync.Mutex
	ctx       *cue.Context // def's
	def       cue.Value
	fieldwise bool
	// fields caches the resolved JSON of a top-level field by its name and
	// substituted value.
	fields map[string]json.RawMessage
}

// pointValidator is the validator of e's sweep, made once: checkSweep and
// every PointBuilder of e share its cache, so that the values checked when
// the experiment was looked up are not validated again (each costs about a
// millisecond; a sweep may have 20,000).
func (e *Experiment) pointValidator() (*validator, error) {
	if e.mu != nil {
		e.mu.Lock()
		defer e.mu.Unlock()
	}
	if e.validator == nil {
		v, err := newValidator()
		if err != nil {
			return nil, err
		}
		e.validator = v
	}
	return e.validator, nil
}

func newValidator() (*validator, error) {
	ctx := cuecontext.New()
	schema, err := compileSchema(ctx)
	if err != nil {
		return nil, err
	}
	return &validator{ctx: ctx, def: schema.LookupPath(experimentPath), fieldwise: fieldsIndependent(),
		fields: map[string]json.RawMessage{}}, nil
}

// fieldsIndependent reports whether #Experiment in the embedded schema is
// a plain struct of fields none of whose values refers to another of its
// fields: no comprehension, no embedding, no reference from train to data.
func fieldsIndependent() bool {
	s := schemaStructs()
	return s.experiment != nil && independent(s.experiment)
}

// schemaSyntax is the embedded schema's syntax: #Experiment's body and the
// top-level declarations by label.
type schemaSyntax struct {
	experiment *ast.StructLit
	decls      map[string]ast.Expr
}

var schemaStructs = sync.OnceValue(func() schemaSyntax {
	out := schemaSyntax{decls: map[string]ast.Expr{}}
	f, err := parser.ParseFile(SchemaFile, schemaSource)
	if err != nil {
		return out
	}
	for _, d := range f.Decls {
		if field, ok := d.(*ast.Field); ok {
			if name, _, err := ast.LabelName(field.Label); err == nil {
				out.decls[name] = field.Value
			}
		}
	}
	out.experiment, _ = out.decls["#Experiment"].(*ast.StructLit)
	return out
})

// structBody is the struct literal x is, or names: `{...}` or `#Train`;
// nil for anything else (`#Data & {...}`, a list, a disjunction).
func (s schemaSyntax) structBody(x ast.Expr) *ast.StructLit {
	for range 4 { // a definition naming a definition, not a cycle
		switch v := x.(type) {
		case *ast.StructLit:
			return v
		case *ast.Ident:
			if !strings.HasPrefix(v.Name, "#") || s.decls[v.Name] == nil {
				return nil
			}
			x = s.decls[v.Name]
		default:
			return nil
		}
	}
	return nil
}

// independent reports whether body is a plain struct of fields none of
// whose values refers to another of them, at any depth: each field's
// value is then valid, and resolves, on its own.
func independent(body *ast.StructLit) bool {
	labels := map[string]bool{}
	var values []ast.Expr
	for _, d := range body.Elts {
		switch d := d.(type) {
		case *ast.Field:
			name, _, err := ast.LabelName(d.Label)
			if err != nil {
				return false
			}
			labels[name] = true
			values = append(values, d.Value)
		case *ast.CommentGroup, *ast.Attribute:
		default:
			return false
		}
	}
	ok := true
	for _, v := range values {
		ast.Walk(v, func(n ast.Node) bool {
			if id, isID := n.(*ast.Ident); isID && labels[id.Name] {
				ok = false
			}
			return ok
		}, nil)
	}
	return ok
}

// field is the value of the field name in body, nil when it has none.
func field(body *ast.StructLit, name string) ast.Expr {
	for _, d := range body.Elts {
		if f, ok := d.(*ast.Field); ok {
			if n, _, err := ast.LabelName(f.Label); err == nil && n == name {
				return f.Value
			}
		}
	}
	return nil
}

// unitLen is how many of a swept path's selectors name the part of the
// experiment that is validated when the value at the path changes: the
// deepest field whose every enclosing struct, from #Experiment down, is
// plainly a struct of independent fields. "train.seed" is its own unit
// (#Experiment and #Train are such structs), so a sweep of 20,000 seeds
// validates 20,000 integers, not 20,000 train blocks; "model.layers[0].dense"
// is validated with the whole of model, whose schema ties its fields
// together; 0 when #Experiment itself is not such a struct. The schema is
// fixed, so a path's answer is worked out once (every point asks).
func unitLen(sels []cue.Selector) int {
	key := pathString(sels)
	if n, ok := unitLens.Load(key); ok {
		return n.(int)
	}
	s := schemaStructs()
	body := s.experiment
	n := 0
	for n < len(sels) && body != nil && independent(body) && sels[n].LabelType() == cue.StringLabel {
		v := field(body, sels[n].Unquoted())
		if v == nil {
			break
		}
		n++
		body = s.structBody(v)
	}
	unitLens.Store(key, n)
	return n
}

// unitLens holds unitLen's answers by path.
var unitLens sync.Map

// baseTree is the resolved experiment as a JSON tree, without its sweep.
func baseTree(resolved []byte) (map[string]any, error) {
	tree, err := decodeTree(resolved)
	if err != nil {
		return nil, fmt.Errorf("read resolved spec: %w", err)
	}
	obj, ok := tree.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("read resolved spec: not an object")
	}
	delete(obj, "sweep")
	return obj, nil
}

func decodeTree(js []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// point is the experiment at one point: base with values at sels,
// validated (resolve), decoded, made canonical and hashed.
func (v *validator) point(e *Experiment, base map[string]any, sels [][]cue.Selector, values []json.RawMessage) (*Experiment, errors.Error) {
	resolved, verr := v.resolve(base, sels, values)
	if verr != nil {
		return nil, verr
	}
	p := &Experiment{Name: e.Name, File: e.File, Dir: e.Dir, Files: e.Files, Resolved: resolved,
		value: e.value, label: e.label, pos: e.pos, mu: e.mu}
	dec := json.NewDecoder(bytes.NewReader(resolved))
	dec.DisallowUnknownFields()
	var withName struct {
		Name string `json:"name"`
		*Spec
	}
	withName.Spec = &p.Spec
	if err := dec.Decode(&withName); err != nil {
		return nil, errors.Promote(fmt.Errorf("decode sweep point (schema and types.go disagree): %w", err), "")
	}
	var err error
	if p.Canonical, err = Canonical(resolved); err != nil {
		return nil, errors.Promote(err, "")
	}
	p.Hash = Hash(p.Canonical)
	return p, nil
}

// resolve substitutes values at sels in a copy of base and validates the
// result, returning the point's resolved JSON. Its errors are CUE's, with
// paths inside the point.
func (v *validator) resolve(base map[string]any, sels [][]cue.Selector, values []json.RawMessage) ([]byte, errors.Error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	tree := make(map[string]any, len(base))
	for k, x := range base {
		tree[k] = x // copied below where a value is substituted
	}
	touched := map[string]bool{}
	for i, s := range sels {
		top := s[0].Unquoted()
		if !touched[top] {
			touched[top] = true
			tree[top] = deepCopy(tree[top])
		}
		val, err := decodeTree(values[i])
		if err != nil {
			return nil, errors.Promote(fmt.Errorf("value %s: %w", values[i], err), "")
		}
		if _, err := setAt(tree, s, val); err != nil {
			return nil, errors.Promote(err, "")
		}
	}
	var resolved []byte
	if v.fieldwise {
		resolved = v.byUnit(tree, sels)
	}
	if resolved == nil {
		js, err := json.Marshal(tree)
		if err != nil {
			return nil, errors.Promote(err, "")
		}
		x := v.def.Unify(v.ctx.CompileBytes(js))
		// MarshalJSON fails on any error or incomplete value: it
		// validates, and is half the cost of Validate then MarshalJSON.
		if resolved, err = x.MarshalJSON(); err != nil {
			return nil, explain(x, sels)
		}
	}
	return resolved, nil
}

// byUnit validates the parts of tree the swept values changed, each
// against its own schema (unitLen: the smallest part that is valid on its
// own), each distinct value once, and returns the resolved point; nil
// when a part does not fit (the whole experiment is then validated, for
// errors with their paths). tree's touched top-level fields are the
// point's own copies: the resolved parts are set in them.
func (v *validator) byUnit(tree map[string]any, sels [][]cue.Selector) []byte {
	var units [][]cue.Selector
	for _, s := range sels {
		n := unitLen(s)
		if n == 0 {
			return nil
		}
		units = append(units, s[:n])
	}
	// A unit inside another is validated with it.
	slices.SortFunc(units, func(a, b []cue.Selector) int { return len(a) - len(b) })
	var outer [][]cue.Selector
	for _, u := range units {
		if !slices.ContainsFunc(outer, func(o []cue.Selector) bool { return slices.Equal(o, u[:len(o)]) }) {
			outer = append(outer, u)
		}
	}
	for _, u := range outer {
		parent, ok := subtree(tree, u[:len(u)-1])
		if !ok {
			return nil
		}
		last := u[len(u)-1].Unquoted()
		js, err := json.Marshal(parent[last])
		if err != nil {
			return nil
		}
		key := pathString(u) + "\x00" + string(js)
		resolved, ok := v.fields[key]
		if !ok {
			path := make([]cue.Selector, len(u))
			for i, s := range u {
				path[i] = cue.Str(s.Unquoted()).Optional()
			}
			schema := v.def.LookupPath(cue.MakePath(path...))
			if !schema.Exists() {
				return nil
			}
			x := schema.Unify(v.ctx.CompileBytes(js))
			if resolved, err = x.MarshalJSON(); err != nil {
				return nil
			}
			v.fields[key] = resolved
		}
		parent[last] = json.RawMessage(resolved)
	}
	js, err := json.Marshal(tree)
	if err != nil {
		return nil
	}
	return js
}

// subtree is the object at the string selectors path of tree.
func subtree(tree map[string]any, path []cue.Selector) (map[string]any, bool) {
	for _, s := range path {
		next, ok := tree[s.Unquoted()].(map[string]any)
		if !ok {
			return nil, false
		}
		tree = next
	}
	return tree, true
}

// explain gives the errors of an invalid point x: those of the swept
// fields themselves when they have some, as they are the direct cause
// (CUE reports a dense: -16 only as the error of the activation that
// depends on it), else all of them.
func explain(x cue.Value, sels [][]cue.Selector) errors.Error {
	var own errors.Error
	for _, s := range sels {
		if err := x.LookupPath(cue.MakePath(s...)).Validate(cue.Concrete(true)); err != nil {
			own = errors.Append(own, errors.Promote(err, ""))
		}
	}
	if own != nil {
		return errors.Sanitize(own)
	}
	if err := x.Validate(cue.Concrete(true)); err != nil {
		return errors.Sanitize(errors.Promote(err, ""))
	}
	return errors.Promote(stderrors.New("invalid experiment"), "")
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}

// parseSweepPath reads a sweep path, CUE path syntax: fields and list
// indices ("model.layers[0].dense", `data.features."Sepal.Length"`).
func parseSweepPath(path string) ([]cue.Selector, error) {
	p := cue.ParsePath(path)
	if err := p.Err(); err != nil {
		return nil, fmt.Errorf("not a path (like train.optimizer.adam.lr or model.layers[0].dense): %w", err)
	}
	sels := p.Selectors()
	if len(sels) == 0 {
		return nil, stderrors.New("empty path")
	}
	for _, s := range sels {
		if s.IsConstraint() || (s.Type() != cue.StringLabel && s.Type() != cue.IndexLabel) {
			return nil, fmt.Errorf("%s is not a field name or a list index", s)
		}
	}
	if first := sels[0].Unquoted(); sels[0].Type() == cue.StringLabel &&
		(first == "sweep" || slices.Contains(MetadataFields, first)) {
		return nil, fmt.Errorf("%s cannot be swept: it does not reach training", first)
	}
	if len(sels) > 1 && sels[0].Unquoted() == "data" && sels[1].Type() == cue.StringLabel &&
		slices.Contains(DataMetadataFields, sels[1].Unquoted()) {
		return nil, fmt.Errorf("data.%s cannot be swept: it does not reach training", sels[1].Unquoted())
	}
	return sels, nil
}

// setAt replaces the value at sels in tree, which must exist there, and
// returns the value it replaced. The error names the first step that does
// not exist, with the fields there are.
func setAt(tree any, sels []cue.Selector, val any) (any, error) {
	cur := tree
	for i, s := range sels {
		last := i == len(sels)-1
		at := pathString(sels[:i])
		switch s.Type() {
		case cue.StringLabel:
			obj, ok := cur.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s is %s, not a struct with field %s", at, kindOf(cur), s)
			}
			next, ok := obj[s.Unquoted()]
			if !ok {
				return nil, missingField(at, s.Unquoted(), obj)
			}
			if last {
				obj[s.Unquoted()] = val
				return next, nil
			}
			cur = next
		case cue.IndexLabel:
			list, ok := cur.([]any)
			if !ok {
				return nil, fmt.Errorf("%s is %s, not a list", at, kindOf(cur))
			}
			n := s.Index()
			if n < 0 || n >= len(list) {
				elements := "elements"
				if len(list) == 1 {
					elements = "element"
				}
				return nil, fmt.Errorf("%s has %d %s: index %d does not exist (indexes count from 0)", at, len(list), elements, n)
			}
			if last {
				old := list[n]
				list[n] = val
				return old, nil
			}
			cur = list[n]
		}
	}
	return nil, stderrors.New("empty path")
}

func missingField(at, name string, obj map[string]any) error {
	fields := make([]string, 0, len(obj))
	for k := range obj {
		fields = append(fields, k)
	}
	slices.Sort(fields)
	where := at
	if where == "" {
		where = "the experiment"
	}
	hint := ""
	if s, ok := suggest.Closest(name, fields); ok {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	return fmt.Errorf("%s has no field %q%s; it has %s: a path must name a field the experiment sets",
		where, name, hint, strings.Join(fields, ", "))
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a struct"
	case []any:
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a bool"
	}
	return "null"
}

// pathString writes selectors as a sweep path.
func pathString(sels []cue.Selector) string {
	var b strings.Builder
	for _, s := range sels {
		if s.Type() == cue.IndexLabel {
			fmt.Fprintf(&b, "[%d]", s.Index())
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.String())
	}
	return b.String()
}

// errorPath writes a CUE error path ("model", "layers", "0", "dense") as a
// sweep path ("model.layers[0].dense").
func errorPath(path []string) string {
	if len(path) > 0 && strings.HasPrefix(path[0], "#") {
		path = path[1:] // the schema's #Experiment the point was unified with
	}
	return pathString(selectors(path))
}

// checkMaxPoints refuses a sweep of more points than its max_points, at
// max_points when it is set, else at params (or trials).
func checkMaxPoints(e *Experiment, sw *Sweep) errors.Error {
	limit, at := sw.maxPoints(), []cue.Selector{cue.Str("sweep"), cue.Str("max_points")}
	if sw.MaxPoints == 0 {
		at = []cue.Selector{cue.Str("sweep"), cue.Str("params")}
	}
	if sw.Method != MethodGrid { // random, tpe: trials points
		if sw.Trials > limit {
			if sw.MaxPoints == 0 {
				at = []cue.Selector{cue.Str("sweep"), cue.Str("trials")}
			}
			return e.newError(at, "%d trials, more than max_points %d: lower trials, or raise sweep.max_points", sw.Trials, limit)
		}
		return nil
	}
	size, parts, ok := gridSize(sw, sweepPaths(sw))
	switch {
	case !ok:
		return e.newError(at, "the grid has more points than any machine could run (%s values), more than max_points %d: sweep fewer values", strings.Join(parts, " × "), limit)
	case size > limit:
		return e.newError(at, "the grid has %d points (%s values), more than max_points %d: sweep fewer values, use method: %q with trials, or raise sweep.max_points", size, strings.Join(parts, " × "), limit, MethodRandom)
	}
	return nil
}

// sweepsChecked counts checkSweep's checks of a sweep, for the tests that
// hold a lookup by name to checking its own sweep only.
var sweepsChecked atomic.Int64

// checkSweep is what Load checks of a sweep beyond the schema: every path
// exists in the experiment, every value fits the schema at its path (each
// value substituted alone), distributions have sound bounds and go with
// method random, and the metrics name what the experiment measures. Errors
// are at the positions of the offending params.
func checkSweep(e *Experiment) errors.Error {
	sw := e.Spec.Sweep
	if sw == nil {
		return nil
	}
	sweepsChecked.Add(1)
	var errs errors.Error
	add := func(sels []cue.Selector, format string, args ...any) {
		errs = errors.Append(errs, e.newError(sels, format, args...))
	}
	// The schema has checked the form "<split>.<name>"; the name must be
	// one the experiment measures on that split.
	metricOK := func(metric string, field ...cue.Selector) {
		split, name, _ := strings.Cut(metric, ".")
		known := append([]string{"loss"}, e.Spec.Metrics...)
		if split == "train" {
			known = []string{"loss"}
		}
		if slices.Contains(known, name) {
			return
		}
		hint := ""
		if s, ok := suggest.Closest(name, known); ok {
			hint = fmt.Sprintf("; did you mean %q?", s)
		}
		add(field, "the experiment does not measure %s on %s (it has %s)%s", name, split, strings.Join(known, ", "), hint)
	}
	metricOK(sw.Metric, cue.Str("sweep"), cue.Str("metric"))
	if errs := checkMaxPoints(e, sw); errs != nil {
		return errs // before anything expands a sweep this large
	}
	if sw.drawn() {
		// Draws of a space smaller than trials repeat: say so now rather
		// than run fewer points than asked.
		if size, parts, ok := spaceSize(sw, sweepPaths(sw)); ok && size < sw.Trials {
			add([]cue.Selector{cue.Str("sweep"), cue.Str("trials")},
				"%d trials, but the space holds only %d distinct points (%s values): %s draws would repeat; lower trials to %d, or use method: %q to train every point",
				sw.Trials, size, strings.Join(parts, " × "), sw.Method, size, MethodGrid)
		}
	}
	if sw.Prune != nil && sw.Prune.Metric != "" {
		metricOK(sw.Prune.Metric, cue.Str("sweep"), cue.Str("prune"), cue.Str("metric"))
	}
	if sw.Method == MethodASHA {
		checkASHA(sw, e.Spec.Train.Epochs, add)
	}

	v, err := e.pointValidator()
	if err != nil {
		return errors.Promote(err, "")
	}
	base, err := baseTree(e.Resolved)
	if err != nil {
		return errors.Promote(err, "")
	}
	raw, _ := rawParams(e.Resolved)
	for _, path := range sweepPaths(sw) {
		at := []cue.Selector{cue.Str("sweep"), cue.Str("params"), cue.Str(path)}
		sels, err := parseSweepPath(path)
		if err != nil {
			add(at, "%s", err)
			continue
		}
		if _, err := setAt(deepCopy(base), sels, nil); err != nil {
			add(at, "%s", err)
			continue
		}
		param := sw.Params[path]
		var values []json.RawMessage
		var where [][]cue.Selector
		switch param.Dist {
		case DistChoice:
			if len(param.Choices) == 0 {
				add(at, "no values")
				continue
			}
			for i, c := range param.Choices {
				values = append(values, c)
				where = append(where, append(slices.Clip(at), cue.Index(i)))
			}
		case "":
			add(at, "want a list of values or one of {uniform: [lo, hi]}, {log_uniform: [lo, hi]}, {int_uniform: [lo, hi]}%s",
				distHint(raw[path]))
			continue
		default:
			if !sw.drawn() {
				add(at, "%s needs method: %q, %q, or %q with trials (method %q without trials takes lists of values)",
					param.Dist, MethodRandom, MethodTPE, MethodASHA, sw.Method)
				continue
			}
			if msg := boundsError(param); msg != "" {
				add(at, "%s", msg)
				continue
			}
			// The bounds, and a value drawn between them: a uniform over
			// an integer field fails on the draw, not on integral bounds.
			rng := rand.New(rand.NewPCG(uint64(sw.Seed), 0x7377656570)) // "sweep"
			for _, val := range []json.RawMessage{draw(SweepParam{Dist: param.Dist, Low: param.Low, High: param.Low}, rng),
				draw(SweepParam{Dist: param.Dist, Low: param.High, High: param.High}, rng), draw(param, rng)} {
				values = append(values, val)
				where = append(where, at)
			}
		}
		for i, val := range values {
			if _, verrs := v.resolve(base, [][]cue.Selector{sels}, []json.RawMessage{val}); verrs != nil {
				for _, ve := range simplify(errors.Errors(verrs)) {
					f, args := ve.Msg()
					add(where[i], "value %s does not fit %s: %s", val, errorPath(ve.Path()), fmt.Sprintf(f, args...))
				}
			}
		}
	}
	return errs
}

// rawParams reads the sweep's params as written, for messages about a
// malformed distribution.
func rawParams(resolved []byte) (map[string]json.RawMessage, error) {
	var x struct {
		Sweep struct {
			Params map[string]json.RawMessage `json:"params"`
		} `json:"sweep"`
	}
	err := json.Unmarshal(resolved, &x)
	return x.Sweep.Params, err
}

// distHint says what is wrong with an object that is not a distribution.
func distHint(raw json.RawMessage) string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return ""
	}
	if len(obj) != 1 {
		return fmt.Sprintf("; it has %d fields", len(obj))
	}
	for name := range obj {
		if !slices.Contains(distributions, name) {
			if s, ok := suggest.Closest(name, distributions); ok {
				return fmt.Sprintf("; did you mean %q?", s)
			}
			return fmt.Sprintf("; %q is not a distribution", name)
		}
		return fmt.Sprintf("; %s takes [lo, hi], two numbers", name)
	}
	return ""
}

func boundsError(p SweepParam) string {
	switch {
	case p.Low > p.High:
		return fmt.Sprintf("%s: low %v is above high %v", p.Dist, p.Low, p.High)
	case p.Dist == DistLogUniform && p.Low <= 0:
		return fmt.Sprintf("%s: bounds must be above 0 (got %v)", p.Dist, p.Low)
	case p.Dist == DistIntUniform && (p.Low != math.Trunc(p.Low) || p.High != math.Trunc(p.High)):
		return fmt.Sprintf("%s: bounds must be integers (got %v, %v)", p.Dist, p.Low, p.High)
	}
	return ""
}

// pointError turns the validation errors of point i into one error at
// the positions of its values.
func (e *Experiment) pointError(i int, params []Param, verrs errors.Error) errors.Error {
	var out errors.Error
	for _, ve := range simplify(errors.Errors(verrs)) {
		f, args := ve.Msg()
		se := e.newError([]cue.Selector{cue.Str("sweep"), cue.Str("params")},
			"point %d (%s) does not fit the schema: %s: %s", i, ParamsLabel(params), errorPath(ve.Path()), fmt.Sprintf(f, args...))
		if e.mu != nil {
			e.mu.Lock()
		}
		for _, p := range params {
			if pos := userPos(e.value, []cue.Selector{cue.Str("sweep"), cue.Str("params"), cue.Str(p.Path)}); pos.IsValid() {
				se.positions = append(se.positions, pos)
			}
		}
		if e.mu != nil {
			e.mu.Unlock()
		}
		out = errors.Append(out, se)
	}
	return out
}

// sweepError is an error about a sweep, at the user's positions.
type sweepError struct {
	path      []string
	positions []token.Pos
	format    string
	args      []any
}

// newError makes an error about the spec field at sels, at its position.
func (e *Experiment) newError(sels []cue.Selector, format string, args ...any) *sweepError {
	se := &sweepError{format: format, args: args, path: []string{e.Name}}
	for _, s := range sels {
		se.path = append(se.path, s.String())
	}
	if e.mu != nil {
		e.mu.Lock()
		defer e.mu.Unlock()
	}
	if pos := userPos(e.value, sels); pos.IsValid() {
		se.positions = []token.Pos{pos}
	}
	return se
}

func (s *sweepError) Position() token.Pos {
	if len(s.positions) == 0 {
		return token.NoPos
	}
	return s.positions[0]
}
func (s *sweepError) InputPositions() []token.Pos { return s.positions }
func (s *sweepError) Error() string               { return errors.String(s) }
func (s *sweepError) Path() []string              { return s.path }
func (s *sweepError) Msg() (string, []any)        { return s.format, s.args }
