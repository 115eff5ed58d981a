package spec

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

func TestSchema(t *testing.T) {
	ctx := cuecontext.New()
	schema, err := compileSchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(); err != nil {
		t.Fatalf("the schema does not validate: %v", err)
	}

	t.Run("default metrics agree", func(t *testing.T) {
		var got []string
		if err := schema.LookupPath(cue.ParsePath("#DefaultMetrics")).Decode(&got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, DefaultMetrics) {
			t.Errorf("#DefaultMetrics = %q, DefaultMetrics = %q", got, DefaultMetrics)
		}
		if err := schema.LookupPath(cue.ParsePath("#DefaultRegressionMetrics")).Decode(&got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, DefaultRegressionMetrics) {
			t.Errorf("#DefaultRegressionMetrics = %q, DefaultRegressionMetrics = %q", got, DefaultRegressionMetrics)
		}
	})

	// Every one-of struct names its choices in @xp(oneof), and each choice
	// is one of its fields: the attribute feeds the "needs one of" message.
	for _, def := range []string{"#Source", "#Synthetic", "#Feature", "#Rule", "#Model", "#Layer", "#Optimizer", "#Loss"} {
		t.Run(def, func(t *testing.T) {
			v := schema.LookupPath(cue.ParsePath(def))
			choices := oneOf(v, nil)
			if len(choices) == 0 {
				t.Fatalf("%s has no @xp(oneof) attribute", def)
			}
			for _, c := range choices {
				if !v.LookupPath(cue.MakePath(cue.Str(c).Optional())).Exists() {
					t.Errorf("%s names %q, which is not one of its optional fields", def, c)
				}
			}
			if v.LookupPath(cue.MakePath(cue.Str("no_such_field").Optional())).Exists() {
				t.Errorf("the test cannot tell fields from non-fields")
			}
		})
	}
}

func TestSchemaSource(t *testing.T) {
	src := SchemaSource()
	if !bytes.Contains(src, []byte("#Experiment: {")) {
		t.Fatal("SchemaSource does not hold #Experiment")
	}
	src[0] = '!'
	if SchemaSource()[0] == '!' {
		t.Error("SchemaSource returns the embedded bytes themselves")
	}
}

func TestPrintErrorPlain(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil prints nothing", nil, ""},
		{"a plain error prints its message", errors.New("load x: permission denied"), "xp: load x: permission denied\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			PrintError(&b, tt.err, "/")
			if b.String() != tt.want {
				t.Errorf("PrintError printed %q, want %q", b.String(), tt.want)
			}
		})
	}
}
