package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
)

// schemaChoices is the @xp(oneof) list of the schema's definition def, and
// def's source up to the next definition.
func schemaChoices(t *testing.T, def string) (kinds []string, body string) {
	t.Helper()
	schema := string(spec.SchemaSource())
	i := strings.Index(schema, "\n"+def+": {")
	if i < 0 {
		t.Fatalf("no %s in the schema", def)
	}
	body = schema[i+1:]
	if end := strings.Index(body, "\n#"); end >= 0 {
		body = body[:end]
	}
	m := regexp.MustCompile(`@xp\(oneof="([^"]+)"\)`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%s has no @xp(oneof)", def)
	}
	return strings.Split(m[1], ","), body
}

// xp init's template shows every cleaning rule, every rule data.prepare
// takes, every feature encoder and every encoding the schema has, so a
// new one cannot be added without showing it there.
func TestInitTemplateListsEveryRuleAndEncoder(t *testing.T) {
	template := string(exampleCUE)
	shown := func(kind string) bool {
		return regexp.MustCompile(`\{`+kind+`:`).MatchString(template) ||
			regexp.MustCompile(`(?m)^\s*(//\s*)?`+kind+`:`).MatchString(template)
	}
	for _, def := range []string{"#Rule", "#PrepareRule", "#Feature"} {
		kinds, _ := schemaChoices(t, def)
		for _, kind := range kinds {
			if !shown(kind) {
				t.Errorf("xp init's template does not show %s %s", def, kind)
			}
		}
	}
	if !regexp.MustCompile(`(?m)^\s*(//\s*)?prepare:`).MatchString(template) {
		t.Error("xp init's template does not show data.prepare")
	}
	_, feature := schemaChoices(t, "#Feature")
	for _, m := range regexp.MustCompile(`encoding:\s*([^\n]+)`).FindAllStringSubmatch(feature, -1) {
		for _, enc := range regexp.MustCompile(`"([a-z_]+)"`).FindAllStringSubmatch(m[1], -1) {
			if !regexp.MustCompile(`\b` + enc[1] + `\b`).MatchString(template) {
				t.Errorf("xp init's template does not show the encoding %q", enc[1])
			}
		}
	}
}

// Every example the template shows in a comment is valid as written:
// uncommented into an experiment, it loads against the schema.
func TestInitTemplateExamplesLoad(t *testing.T) {
	template := string(exampleCUE)
	var cases []struct{ name, data string }
	add := func(name, data string) { cases = append(cases, struct{ name, data string }{name, data}) }
	for _, m := range regexp.MustCompile(`(?m)^[ \t]*//[ \t]+(\{([a-z_]+):.*?\})[ \t]*(?://.*)?$`).FindAllStringSubmatch(template, -1) {
		add("clean "+m[2], "clean: ["+m[1]+"]")
	}
	for _, m := range regexp.MustCompile(`(?m)^[ \t]*//[ \t]+prepare:[ \t]*(\[.*\])[ \t]*(?://.*)?$`).FindAllStringSubmatch(template, -1) {
		add("prepare", "prepare: "+m[1])
	}
	for _, m := range regexp.MustCompile(`(?m)^[ \t]*//[ \t]+([a-z_]+):[ \t]+(\{.*?\})[ \t]*(?://.*)?$`).FindAllStringSubmatch(template, -1) {
		add("feature "+m[1], "features: x: "+m[1]+": "+m[2])
	}
	rules, _ := schemaChoices(t, "#Rule")
	features, _ := schemaChoices(t, "#Feature")
	if min := len(rules) + len(features) + 1; len(cases) < min {
		t.Fatalf("found %d commented examples in the template, want at least %d", len(cases), min)
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("e%d.cue", i))
			src := fmt.Sprintf("e%d: #Experiment & {\n\tdata: {\n\t\tsource: file: \"x.csv\"\n\t\ttarget: \"y\"\n\t\t%s\n\t}\n\tmodel: logreg: {}\n}\n", i, c.data)
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := spec.Load(path); err != nil {
				t.Errorf("%s does not load: %v", c.data, err)
			}
		})
	}
}
