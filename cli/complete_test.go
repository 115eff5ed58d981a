package cli

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/store"
)

// complete runs cobra's __complete, which the scripts of xp completion
// bash, zsh and fish call, and returns the candidates' values (without
// their descriptions) and the directive.
func complete(t *testing.T, args ...string) ([]string, cobra.ShellCompDirective) {
	t.Helper()
	code, stdout, stderr := xp(t, append([]string{cobra.ShellCompRequestCmd}, args...)...)
	if code != ExitOK {
		t.Fatalf("xp __complete %q: exit %d\n%s", args, code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	last := lines[len(lines)-1]
	var d int
	if _, err := fmt.Sscanf(last, ":%d", &d); err != nil {
		t.Fatalf("xp __complete %q: no directive line in\n%s", args, stdout)
	}
	var values []string
	for _, l := range lines[:len(lines)-1] {
		v, _, _ := strings.Cut(l, "\t")
		values = append(values, v)
	}
	return values, cobra.ShellCompDirective(d)
}

// Every dynamic completion, against a real store: experiment names, run
// keys narrowed by a typed prefix, sweep ids, and the values of --status,
// --sort, --backend, --executor, --metric, --mode and --experiment; each
// with the directive that tells the shell whether to offer files too.
func TestCompletion(t *testing.T) {
	dir := sweepProject(t)
	// Before any run: names, but no keys and no store made.
	if got, _ := complete(t, "show", ""); len(got) != 0 {
		t.Errorf("keys before any run: %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, ".xp")); !os.IsNotExist(err) {
		t.Errorf("completion made .xp (%v)", err)
	}
	if got, d := complete(t, "run", ""); !slices.Equal(got, []string{"iris", "seeds"}) || d != cobra.ShellCompDirectiveNoFileComp {
		t.Errorf("run: %q %d before any run", got, d)
	}
	for _, args := range [][]string{{"run", "--allow-dirty", "iris"}, {"run", "--allow-dirty", "seeds"}} {
		if code, _, stderr := xp(t, args...); code != ExitOK {
			t.Fatalf("xp %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
		}
	}
	st := openTestStore(t, dir)
	ctx := context.Background()
	runs, err := st.ListRuns(ctx, store.ListOptions{})
	if err != nil || len(runs) != 3 {
		t.Fatalf("%d runs, %v; want 3", len(runs), err)
	}
	var keys []string
	irisKey := ""
	for _, r := range runs {
		keys = append(keys, store.ShortKey(r.Key))
		if r.Experiment == "iris" {
			irisKey = store.ShortKey(r.Key)
		}
	}
	slices.Sort(keys)
	sweeps, err := st.Sweeps(ctx, store.SweepQuery{})
	if err != nil || len(sweeps) != 1 {
		t.Fatalf("sweeps %v, %v; want 1", sweeps, err)
	}
	sweepID := sweeps[0].ID
	var statuses []string
	for _, s := range store.Statuses {
		statuses = append(statuses, string(s))
	}
	executorNames := slices.Sorted(maps.Keys(executors))
	if !slices.Contains(executorNames, "kubernetes") || !slices.Contains(executorNames, "slurm") {
		t.Fatalf("executors %q", executorNames)
	}
	// sorted compares as sets: a store lists keys newest first.
	sorted := func(xs []string) []string { return slices.Sorted(slices.Values(xs)) }
	noFiles, files := cobra.ShellCompDirectiveNoFileComp, cobra.ShellCompDirectiveDefault

	tests := []struct {
		name string
		args []string
		want []string
		dir  cobra.ShellCompDirective
	}{
		{"experiments", []string{"run", ""}, []string{"iris", "seeds"}, noFiles},
		{"an experiment by prefix", []string{"run", "se"}, []string{"seeds"}, noFiles},
		{"no experiment matches: a path then", []string{"run", "experiments/"}, nil, files},
		{"xp hash", []string{"hash", "i"}, []string{"iris"}, noFiles},
		{"xp vet", []string{"vet", ""}, []string{"iris", "seeds"}, noFiles},
		{"run keys", []string{"show", ""}, keys, noFiles},
		{"a key prefix narrows", []string{"show", irisKey[:5]}, []string{irisKey}, noFiles},
		{"no key matches", []string{"show", "zz"}, nil, noFiles},
		{"show takes one key", []string{"show", irisKey, ""}, nil, noFiles},
		{"diff's second key", []string{"diff", irisKey, irisKey[:5]}, []string{irisKey}, noFiles},
		{"diff takes two", []string{"diff", irisKey, irisKey, ""}, nil, noFiles},
		{"cancel takes many", []string{"cancel", irisKey, irisKey[:5]}, []string{irisKey}, noFiles},
		{"predict: a key", []string{"predict", irisKey[:5]}, []string{irisKey}, noFiles},
		{"predict: then a file", []string{"predict", irisKey, ""}, nil, files},
		{"rm: keys and names", []string{"rm", ""}, append(slices.Clone(keys), "iris", "seeds"), noFiles},
		{"rm: a name", []string{"rm", "ir"}, []string{"iris"}, noFiles},
		{"sweep ids and names", []string{"best", ""}, []string{sweepID, "seeds"}, noFiles},
		{"a sweep id by prefix", []string{"best", "seeds-"}, []string{sweepID}, noFiles},
		{"ls --sweep", []string{"ls", "--sweep", ""}, []string{sweepID, "seeds"}, noFiles},
		{"ls --status", []string{"ls", "--status", ""}, statuses, noFiles},
		{"ls --status by prefix", []string{"ls", "--status", "su"}, []string{"succeeded"}, noFiles},
		{"ls --sort", []string{"ls", "--sort", "test.acc"}, []string{"test.accuracy"}, noFiles},
		{"ls --sort descending", []string{"ls", "--sort=-test.l"}, []string{"-test.log_loss", "-test.loss"}, noFiles},
		{"ls --experiment: names, no files", []string{"ls", "--experiment", ""}, []string{"iris", "seeds"}, noFiles},
		{"run --backend", []string{"run", "--backend", ""}, backends.Names(), noFiles},
		{"hash --backend", []string{"hash", "--backend", ""}, backends.Names(), noFiles},
		{"predict --backend", []string{"predict", "--backend", ""}, backends.Names(), noFiles},
		{"serve --backend", []string{"serve", "--backend", ""}, backends.Names(), noFiles},
		{"run --executor", []string{"run", "--executor", ""}, executorNames, noFiles},
		{"run --executor by prefix", []string{"run", "--executor", "k"}, []string{"kubernetes"}, noFiles},
		{"best --metric: no descending form", []string{"best", "--metric", "validation.acc"}, []string{"validation.accuracy"}, noFiles},
		{"best --mode", []string{"best", "--mode", ""}, []string{"min", "max"}, noFiles},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, d := complete(t, tt.args...)
			if !slices.Equal(sorted(got), sorted(tt.want)) {
				t.Errorf("xp __complete %q offers %q, want %q", tt.args, got, tt.want)
			}
			if d != tt.dir {
				t.Errorf("xp __complete %q: directive %d, want %d", tt.args, d, tt.dir)
			}
		})
	}
}
