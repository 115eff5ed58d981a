package spec

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

//go:embed schema.cue
var schemaSource []byte

// SchemaFile is the file name that positions in the embedded schema carry
// in error messages. It cannot be mistaken for a user's file.
const SchemaFile = "xp:schema.cue"

// SchemaSource returns the text of the embedded schema (for `xp schema`).
func SchemaSource() []byte {
	return append([]byte(nil), schemaSource...)
}

var (
	experimentPath = cue.ParsePath("#Experiment")
	metricsPath    = cue.ParsePath("metrics")
	lossPath       = cue.ParsePath("train.loss")
)

// DefaultMetrics are the metrics of an experiment that names none; the
// schema's #DefaultMetrics says the same (a test keeps them equal).
var DefaultMetrics = []string{"accuracy", "log_loss"}

// DefaultRegressionMetrics are the metrics of a regression experiment that
// names none; the schema's #DefaultRegressionMetrics says the same.
var DefaultRegressionMetrics = []string{"rmse", "mae", "r2"}

// withDefaultMetrics adds the default metrics of the head to the resolved
// JSON object of an experiment that has none. The schema cannot default a
// list without a disjunction that spoils its errors, and filling the field
// into the CUE value would evaluate the experiment a second time; a field
// appended to the JSON costs nothing, and its place does not matter to
// Canonical.
func withDefaultMetrics(resolved []byte, head string) []byte {
	list := DefaultMetrics
	if head == HeadRegression {
		list = DefaultRegressionMetrics
	}
	metrics, _ := json.Marshal(list) // []string always marshals
	body := bytes.TrimRight(resolved, " \n")
	body = body[:len(body)-1] // the closing brace of a non-empty object
	return slices.Concat(body, []byte(`,"metrics":`), metrics, []byte("}"))
}

// withDefaultLoss sets train.loss of the resolved JSON to the default loss
// of model.head: cross_entropy (no head, or multiclass; what the schema
// itself defaulted to before heads, so older experiments keep their hash),
// binary_cross_entropy or mse. The schema cannot say it: a default that
// depends on another field's value would be a disjunction per head.
func withDefaultLoss(resolved []byte) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(resolved, &top); err != nil {
		return nil, fmt.Errorf("fill in train.loss: %w", err)
	}
	var m struct {
		Head string `json:"head"`
	}
	if raw, ok := top["model"]; ok {
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("fill in train.loss: %w", err)
		}
	}
	loss := `{"cross_entropy":{}}`
	switch m.Head {
	case HeadBinary:
		loss = `{"binary_cross_entropy":{}}`
	case HeadRegression:
		loss = `{"mse":{}}`
	}
	train := map[string]json.RawMessage{}
	if raw, ok := top["train"]; ok {
		if err := json.Unmarshal(raw, &train); err != nil {
			return nil, fmt.Errorf("fill in train.loss: %w", err)
		}
	}
	train["loss"] = json.RawMessage(loss)
	var err error
	if top["train"], err = marshalRaw(train); err != nil {
		return nil, err
	}
	return marshalRaw(top)
}

// marshalRaw writes an object of raw JSON values without escaping HTML
// characters in them (the resolved JSON keeps a user's "<" as it is).
func marshalRaw(m map[string]json.RawMessage) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("fill in defaults: %w", err)
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// compileSchema compiles the embedded schema in ctx. Values of different
// contexts cannot be unified, and a context is not safe for concurrent use,
// so every Load compiles its own (about a millisecond).
func compileSchema(ctx *cue.Context) (cue.Value, error) {
	v := ctx.CompileBytes(schemaSource, cue.Filename(SchemaFile))
	if err := v.Err(); err != nil {
		return cue.Value{}, fmt.Errorf("compile embedded schema: %w", err)
	}
	return v, nil
}

// defaultOnlyPositions are the positions of everything inside the X of the
// schema's `(*X | _)` defaults. When a value breaks the constraint beside
// such a default, CUE reports the failure of both branches; the one against
// X ("conflicting values 1.5 and 0") only repeats the real error, and
// PrintError drops it.
var defaultOnlyPositions = sync.OnceValue(func() map[[2]int]bool {
	set := map[[2]int]bool{}
	f, err := parser.ParseFile(SchemaFile, schemaSource)
	if err != nil {
		// The schema is compiled by every Load and tested; a parse error
		// here cannot happen without one there.
		return set
	}
	ast.Walk(f, func(n ast.Node) bool {
		or, ok := n.(*ast.BinaryExpr)
		if !ok || or.Op != token.OR {
			return true
		}
		def, ok := unparen(or.X).(*ast.UnaryExpr)
		if !ok || def.Op != token.MUL {
			return true
		}
		if top, ok := unparen(or.Y).(*ast.Ident); !ok || top.Name != "_" {
			return true
		}
		ast.Walk(def.X, func(n ast.Node) bool {
			if p := n.Pos().Position(); p.IsValid() {
				set[[2]int{p.Line, p.Column}] = true
			}
			return true
		}, nil)
		return false
	}, nil)
	return set
})

func unparen(e ast.Expr) ast.Expr {
	for {
		p, ok := e.(*ast.ParenExpr)
		if !ok {
			return e
		}
		e = p.X
	}
}

// inSchema reports whether pos lies in the embedded schema.
func inSchema(pos token.Pos) bool {
	return pos.Filename() == SchemaFile
}
