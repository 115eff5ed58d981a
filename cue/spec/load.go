package spec

import (
	"bytes"
	"encoding/json"
	stderrors "errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// ErrDuplicate is wrapped by the error for two experiments with one name.
var ErrDuplicate = stderrors.New("duplicate experiment name")

// Load loads the experiments in paths: .cue files and directories (searched
// recursively). See the package documentation for what counts as an
// experiment and how instances are formed. Experiments come back sorted by
// file, then in the order they are declared in it.
//
// Invalid CUE yields an error that holds the CUE errors (cuelang.org/go/cue/
// errors) with their positions, for PrintError; all experiments are checked,
// so one call reports every broken one.
func Load(paths ...string) ([]*Experiment, error) {
	if len(paths) == 0 {
		return nil, stderrors.New("load experiments: no paths given")
	}
	l, err := load(paths, "")
	if err != nil {
		return nil, err
	}
	l.checkSweeps()
	if l.errs != nil {
		return nil, fmt.Errorf("load %s: %w", strings.Join(paths, " "), l.errs)
	}
	if err := checkDuplicates(l.exps); err != nil {
		return nil, err
	}
	return l.exps, nil
}

// LoadValid is Load for a caller that checks more than the schema (xp vet):
// it returns the experiments that are valid beside the errors of the others
// (invalid: CUE errors, or two experiments of one name), so that both are
// reported in one pass. err is for what is not about a spec: a missing
// path, an unreadable file.
func LoadValid(paths ...string) (exps []*Experiment, invalid, err error) {
	if len(paths) == 0 {
		return nil, nil, stderrors.New("load experiments: no paths given")
	}
	l, err := load(paths, "")
	if err != nil {
		return nil, nil, err
	}
	l.checkSweeps()
	if l.errs != nil {
		invalid = fmt.Errorf("load %s: %w", strings.Join(paths, " "), l.errs)
	} else if err := checkDuplicates(l.exps); err != nil {
		invalid = err
	}
	return l.exps, invalid, nil
}

// loaded is what load found: the valid experiments, and the CUE errors of
// the others, also by top-level label so that Find can report only those of
// the experiment it was asked for.
type loaded struct {
	exps    []*Experiment
	errs    errors.Error
	byLabel map[string]errors.Error
	// general holds errors that belong to no single experiment (a file
	// that does not parse, a package clause that disagrees).
	general errors.Error
	// mu guards the one cue.Context that all the experiments' values share.
	mu *sync.Mutex
	// read reads a file of an instance: os.ReadFile, or the sources of a
	// past run held in memory (LoadSources).
	read func(path string) ([]byte, error)
	// want, when set, is the one experiment name the caller looks for:
	// an instance whose files cannot define it (mayDefine) is parsed but
	// not evaluated, and skipped records that one was.
	want    string
	skipped bool
}

// request is one instance directory to load: all of its experiments, or
// only those defined in some of its files.
type request struct {
	dir   string
	all   bool
	files map[string]bool
}

// load loads every instance that paths name, or with want set, those
// that may define an experiment of that name. Its error is for what is not
// a CUE error (a missing path, an unreadable file); CUE errors are in
// loaded.errs.
func load(paths []string, want string) (*loaded, error) {
	reqs, err := requests(paths)
	if err != nil {
		return nil, err
	}
	ctx := cuecontext.New()
	schema, err := compileSchema(ctx)
	if err != nil {
		return nil, err
	}
	l := &loaded{byLabel: map[string]errors.Error{}, mu: &sync.Mutex{}, read: readSpecFile, want: want}
	for _, r := range reqs {
		if err := l.instance(ctx, schema, r); err != nil {
			return nil, err
		}
	}
	// In file order, whatever order CUE keeps its fields in.
	slices.SortStableFunc(l.exps, func(a, b *Experiment) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.pos.Compare(b.pos)
	})
	return l, nil
}

// requests turns paths into instance directories, sorted, each once.
func requests(paths []string) ([]request, error) {
	byDir := map[string]*request{}
	add := func(dir string) *request {
		r, ok := byDir[dir]
		if !ok {
			r = &request{dir: dir, files: map[string]bool{}}
			byDir[dir] = r
		}
		return r
	}
	for _, p := range paths {
		p = filepath.Clean(p)
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", p, err)
		}
		if !info.IsDir() {
			if filepath.Ext(p) != ".cue" {
				return nil, fmt.Errorf("load %s: not a .cue file", p)
			}
			add(filepath.Dir(p)).files[p] = true
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && ignored(d.Name()) {
					return filepath.SkipDir
				}
				return nil
			}
			if isCUEFile(d) {
				add(filepath.Dir(path)).all = true
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", p, err)
		}
	}
	reqs := make([]request, 0, len(byDir))
	for _, r := range byDir {
		reqs = append(reqs, *r)
	}
	slices.SortFunc(reqs, func(a, b request) int { return strings.Compare(a.dir, b.dir) })
	return reqs, nil
}

// ignored reports whether a file or directory is skipped, as the go and cue
// tools skip them (and so .xp, .git and cue.mod's siblings like _old).
func ignored(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "cue.mod"
}

func isCUEFile(d fs.DirEntry) bool {
	return !d.IsDir() && filepath.Ext(d.Name()) == ".cue" && !ignored(d.Name())
}

// instance builds the instance of r.dir and evaluates its experiments.
//
// Each experiment must be unified with #Experiment. Unifying the value of
// an evaluated instance with it afterwards evaluates every experiment twice
// (the user's `credit: #Experiment & {...}` is evaluated with the instance,
// then again with the schema), so instead a file of the form
// `credit: #Experiment` is added to the instance for every top-level field
// that is plainly a struct, and the instance's own evaluation does the
// unification once. A top-level field whose kind the syntax does not tell
// (`alias: credit`) is unified after evaluation if it turns out a struct.
func (l *loaded) instance(ctx *cue.Context, schema cue.Value, r request) error {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return fmt.Errorf("load %s: %w", r.dir, err)
	}
	var files []string
	for _, e := range entries {
		if isCUEFile(e) {
			files = append(files, filepath.Join(r.dir, e.Name()))
		}
	}
	// A file named explicitly is loaded even if its name would be skipped.
	for f := range r.files {
		if !slices.Contains(files, f) {
			files = append(files, f)
		}
	}
	slices.Sort(files)
	if len(files) == 0 {
		return nil
	}
	// Files that declare a package form one instance per package, as in
	// CUE, so they may share definitions; a file without a package clause
	// stands alone, so two such files may each define an experiment of the
	// same name (and `xp vet one.cue` checks that file only).
	srcs := make(map[string][]byte, len(files))
	for _, f := range files {
		src, err := l.read(f)
		if err != nil {
			return fmt.Errorf("load %s: %w", f, err)
		}
		srcs[f] = src
	}
	groups := packageGroups(srcs)
	for _, g := range groups {
		if !r.all && !slices.ContainsFunc(g, func(f string) bool { return r.files[f] }) {
			continue
		}
		if err := l.group(ctx, schema, r, g); err != nil {
			return err
		}
	}
	return nil
}

// group builds one instance from files and evaluates its experiments.
func (l *loaded) group(ctx *cue.Context, schema cue.Value, r request, files []string) error {
	inst := build.NewContext().NewInstance(r.dir, nil)
	var general errors.Error
	definedAt := map[string]token.Pos{} // top-level label -> its first declaration
	structs := map[string]bool{}        // top-level labels plainly holding a struct
	var variants []variant              // `name: {from: "base", ...}`, merged below
	wanted := l.want == ""
	for _, f := range files {
		src, err := l.read(f)
		if err != nil {
			return fmt.Errorf("load %s: %w", f, err)
		}
		af, err := parser.ParseFile(f, src)
		if err != nil {
			general = errors.Append(general, asCUE(err))
			continue
		}
		if err := checkBounds(af); err != nil {
			general = errors.Append(general, err)
			continue
		}
		wanted = wanted || mayDefine(af, src, l.want)
		for _, v := range takeVariants(af, f) {
			variants = append(variants, v)
			if _, seen := definedAt[v.label]; !seen {
				definedAt[v.label] = v.field.Label.Pos()
			}
		}
		for _, d := range af.Decls {
			field, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			name, isIdent, err := ast.LabelName(field.Label)
			if err != nil {
				continue
			}
			if isIdent && name == "#Experiment" {
				general = errors.Append(general, errors.Newf(field.Label.Pos(),
					"#Experiment is xp's schema and cannot be redefined; give your definition another name"))
				continue
			}
			if isIdent && (strings.HasPrefix(name, "_") || strings.HasPrefix(name, "#")) ||
				field.Constraint != token.ILLEGAL {
				continue // hidden, a definition, optional or required: not an experiment
			}
			if _, seen := definedAt[name]; !seen {
				definedAt[name] = field.Label.Pos()
			}
			if plainStruct(field.Value) && (r.all || r.files[f]) {
				structs[name] = true
			}
		}
		if err := inst.AddSyntax(af); err != nil {
			general = errors.Append(general, err)
		}
	}
	if general != nil {
		l.addGeneral(general)
		return nil
	}
	if !wanted {
		l.skipped = true
		return nil
	}
	if len(variants) > 0 {
		vf, verrs := mergeVariants(variants, files, l.read)
		for _, v := range variants {
			if err, ok := verrs[v.label]; ok && (r.all || r.files[v.file]) {
				l.errs = errors.Append(l.errs, err)
				l.byLabel[v.label] = err
			}
		}
		if err := inst.AddSyntax(vf); err != nil {
			l.addGeneral(err)
			return nil
		}
	}
	if len(structs) > 0 {
		if err := inst.AddSyntax(experimentsFile(structs)); err != nil {
			l.addGeneral(err)
			return nil
		}
	}

	v := ctx.BuildInstance(inst, cue.Scope(schema))
	it, err := v.Fields()
	if err != nil {
		l.addGeneral(asCUE(err))
		return nil
	}
	def := schema.LookupPath(experimentPath)
	mu := l.mu
	for it.Next() {
		label := it.Selector().Unquoted()
		fv := it.Value()
		pos, ok := definedAt[label]
		if !ok {
			// Made by a comprehension or an embedding: take its first
			// position in a user's file.
			pos = firstUserPos(fv)
		}
		file := files[0]
		if pos.IsValid() {
			file = pos.Filename()
		}
		if !r.all && !r.files[file] {
			continue
		}
		if !structs[label] {
			if fv.Err() == nil && fv.IncompleteKind()&cue.StructKind == 0 {
				continue // a top-level constant, not an experiment
			}
			fv = fv.Unify(def)
		}
		exp, errs := evaluate(fv, label)
		if errs != nil {
			l.errs = errors.Append(l.errs, errs)
			l.byLabel[label] = errs
			continue
		}
		exp.label = label
		exp.pos = pos
		exp.File = file
		exp.Dir = filepath.Dir(file)
		exp.Files = slices.Clone(files)
		exp.mu = mu
		l.exps = append(l.exps, exp)
	}
	return nil
}

// mayDefine reports whether the file af (parsed from src) may define an
// experiment called name: it mentions the name, or computes a top-level
// label or a name field (a comprehension, an embedding, an interpolated
// label, `name: x`). Evaluating an instance costs what its largest value
// costs (CUE takes seconds over a list of 20,000 sweep values), so a lookup
// by name evaluates only the instances for which this holds, and evaluates
// the rest only if the name is found in none of them.
func mayDefine(af *ast.File, src []byte, name string) bool {
	if bytes.Contains(src, []byte(name)) {
		return true
	}
	for _, d := range af.Decls {
		switch d := d.(type) {
		case *ast.Field:
			if _, _, err := ast.LabelName(d.Label); err != nil {
				return true
			}
		case *ast.Package, *ast.ImportDecl, *ast.CommentGroup, *ast.Attribute, *ast.LetClause:
		default:
			return true
		}
	}
	computed := false
	ast.Walk(af, func(n ast.Node) bool {
		if f, ok := n.(*ast.Field); ok {
			if label, _, err := ast.LabelName(f.Label); err == nil && label == "name" {
				if lit, ok := f.Value.(*ast.BasicLit); !ok || lit.Kind != token.STRING {
					computed = true
				}
			}
		}
		return !computed
	}, nil)
	return computed
}

// plainStruct reports whether the syntax alone shows that x is a struct:
// a struct literal, a definition, or a conjunction with one of them.
func plainStruct(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.StructLit:
		return true
	case *ast.Ident:
		return strings.HasPrefix(x.Name, "#")
	case *ast.ParenExpr:
		return plainStruct(x.X)
	case *ast.BinaryExpr:
		return x.Op == token.AND && (plainStruct(x.X) || plainStruct(x.Y))
	}
	return false
}

// experimentsFile is the synthetic file `label: #Experiment` for each label.
func experimentsFile(labels map[string]bool) *ast.File {
	names := slices.Sorted(maps.Keys(labels))
	f := &ast.File{}
	for _, n := range names {
		f.Decls = append(f.Decls, &ast.Field{Label: ast.NewString(n), Value: ast.NewIdent("#Experiment")})
	}
	return f
}

func (l *loaded) addGeneral(err errors.Error) {
	l.general = errors.Append(l.general, err)
	l.errs = errors.Append(l.errs, err)
}

// evaluate validates one experiment, already unified with #Experiment, and
// decodes it. Its errors are CUE errors, enriched for the user.
func evaluate(v cue.Value, label string) (*Experiment, errors.Error) {
	if err := v.Validate(cue.Concrete(true)); err != nil {
		return nil, enrich(err, v)
	}
	resolved, err := v.MarshalJSON()
	if err != nil {
		return nil, enrich(err, v)
	}
	if !v.LookupPath(lossPath).Exists() {
		if resolved, err = withDefaultLoss(resolved); err != nil {
			return nil, errors.Promote(fmt.Errorf("%s: %w", label, err), "")
		}
	}
	metricsMissing := !v.LookupPath(metricsPath).Exists()
	name := label
	if n := v.LookupPath(cue.ParsePath("name")); n.Exists() {
		if s, err := n.String(); err == nil {
			name = s
		}
	}
	exp := &Experiment{Name: name, Resolved: resolved, value: v}
	// Decoding the JSON, rather than the CUE value, gives the data package
	// the same Go types for `any` fields (float64, string, []any) as
	// anything else that reads a resolved spec back.
	dec := json.NewDecoder(bytes.NewReader(resolved))
	dec.DisallowUnknownFields() // the schema and types.go must agree
	var withName struct {
		Name string `json:"name"`
		*Spec
	}
	withName.Spec = &exp.Spec
	if err := dec.Decode(&withName); err != nil {
		return nil, errors.Promote(fmt.Errorf("%s: decode resolved spec (schema and types.go disagree): %w", label, err), "")
	}
	if metricsMissing {
		// The head the spec decides picks the default metrics.
		exp.Resolved = withDefaultMetrics(resolved, exp.Spec.Head())
		resolved = exp.Resolved
		exp.Spec.Metrics = DefaultMetrics
		if exp.Spec.Head() == HeadRegression {
			exp.Spec.Metrics = DefaultRegressionMetrics
		}
		exp.Spec.Metrics = slices.Clone(exp.Spec.Metrics)
	}
	if exp.Canonical, err = Canonical(resolved); err != nil {
		return nil, errors.Promote(fmt.Errorf("%s: %w", label, err), "")
	}
	exp.Hash = Hash(exp.Canonical)
	if errs := checkHead(exp); errs != nil {
		return nil, errs
	}
	return exp, nil
}

// checkSweeps runs checkSweep on every experiment loaded, moving those whose
// sweep is wrong to the errors. It is apart from evaluate because checking
// a sweep validates each of its values against the schema (20,000 of them
// take seconds): looking up one experiment by name checks that one's sweep
// only (named).
func (l *loaded) checkSweeps() {
	kept := l.exps[:0]
	for _, e := range l.exps {
		if errs := checkSweep(e); errs != nil {
			l.errs = errors.Append(l.errs, errs)
			l.byLabel[e.label] = errs
			continue
		}
		kept = append(kept, e)
	}
	clear(l.exps[len(kept):])
	l.exps = kept
}

// checkDuplicates rejects two experiments of one name: runs, the cache and
// Find all go by name.
func checkDuplicates(exps []*Experiment) error {
	seen := map[string]*Experiment{}
	for _, e := range exps {
		if first, ok := seen[e.Name]; ok {
			return duplicateError(first, e)
		}
		seen[e.Name] = e
	}
	return nil
}

func duplicateError(a, b *Experiment) error {
	return fmt.Errorf("%w %q: defined at %s and at %s", ErrDuplicate, a.Name, a.Position(""), b.Position(""))
}

// asCUE returns err as a CUE error, keeping its positions when it has some.
func asCUE(err error) errors.Error {
	var ce errors.Error
	if stderrors.As(err, &ce) {
		return ce
	}
	return errors.Promote(err, "")
}
