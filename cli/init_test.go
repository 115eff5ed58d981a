package cli

import (
	"regexp"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
)

// xp init's template shows every cleaning rule and every feature encoder
// the schema has, so a new one cannot be added without showing it there.
func TestInitTemplateListsEveryRuleAndEncoder(t *testing.T) {
	schema := string(spec.SchemaSource())
	for _, def := range []string{"#Rule", "#Feature"} {
		i := strings.Index(schema, "\n"+def+": {")
		if i < 0 {
			t.Fatalf("no %s in the schema", def)
		}
		m := regexp.MustCompile(`@xp\(oneof="([^"]+)"\)`).FindStringSubmatch(schema[i:])
		if m == nil {
			t.Fatalf("%s has no @xp(oneof)", def)
		}
		for _, kind := range strings.Split(m[1], ",") {
			if !regexp.MustCompile(`(?m)^\s*//.*\b`+kind+`:`).Match(exampleCUE) && !strings.Contains(string(exampleCUE), kind+":") {
				t.Errorf("xp init's template does not show %s %s", def, kind)
			}
		}
	}
}
