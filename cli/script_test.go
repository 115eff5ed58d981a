package cli

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// The CLI is tested end to end by the scripts in testdata/script: each holds
// its input files, the xp commands and the expected output. Set
// XP_UPDATE_SCRIPTS=1 to rewrite the expectations from the actual output.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"xp": func() { os.Exit(Main()) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: os.Getenv("XP_UPDATE_SCRIPTS") != "",
		Setup: func(env *testscript.Env) error {
			// Scripts copy shipped datasets from here rather than embedding them.
			env.Setenv("DATA", dataDir())
			return nil
		},
	})
}

func dataDir() string {
	wd, _ := os.Getwd()
	return wd + "/../experiments/data"
}
