package cli

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/internal/project"
	"github.com/xp-ml/xp/store"
)

// Dynamic shell completion (cobra's __complete, which the scripts of xp
// completion bash|zsh|fish call): experiment names, run-key prefixes, sweep
// ids, and the values of flags with a fixed or recorded set. A completion
// never creates a store and never fails: where there is nothing to offer it
// offers nothing.

// completionFunc is cobra's ValidArgsFunction.
type completionFunc = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective)

// completeExperiments offers the experiments under experiments/, and
// files, for a path is accepted too.
func completeExperiments(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	names := withPrefix(experimentNames(), toComplete)
	if len(names) == 0 {
		return nil, cobra.ShellCompDirectiveDefault
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

func experimentNames() []string {
	cwd, err := os.Getwd()
	if err != nil {
		return nil
	}
	exps, _, err := spec.LoadValid(filepath.Join(project.Root(cwd), "experiments"))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range exps {
		out = append(out, e.Name+"\t"+relPath(e.File))
	}
	return out
}

// completeKeys offers the short keys of the newest runs, each described by
// its experiment, run number and status. max limits how many arguments
// take a key (0: any number).
func completeKeys(max int) completionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if max > 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		withStore(cmd.Context(), func(st *store.Store) {
			runs, err := st.ListRuns(cmd.Context(), store.ListOptions{Limit: 200})
			if err != nil {
				return
			}
			seen := map[string]bool{}
			for _, r := range runs {
				k := store.ShortKey(r.Key)
				if seen[k] {
					continue
				}
				seen[k] = true
				out = append(out, fmt.Sprintf("%s\t%s #%d %s", k, r.Experiment, r.ID, r.Status))
			}
		})
		return withPrefix(out, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeKeyThenFile is a key for the first argument (xp predict's run),
// then files.
func completeKeyThenFile(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return completeKeys(1)(cmd, args, toComplete)
	}
	return nil, cobra.ShellCompDirectiveDefault
}

// completeSweeps offers the recorded sweeps' ids and the experiments that
// have sweeps (a name stands for its latest sweep).
func completeSweeps(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var out []string
	withStore(cmd.Context(), func(st *store.Store) {
		sweeps, err := st.Sweeps(cmd.Context(), store.SweepQuery{})
		if err != nil {
			return
		}
		latest := map[string]bool{}
		for _, sw := range sweeps {
			out = append(out, fmt.Sprintf("%s\t%s, %d points", sw.ID, sw.Experiment, sw.Points))
			if !latest[sw.Experiment] {
				latest[sw.Experiment] = true
				out = append(out, sw.Experiment+"\tits latest sweep, "+sw.ID)
			}
		}
	})
	return withPrefix(out, toComplete), cobra.ShellCompDirectiveNoFileComp
}

// completeSweepArg is completeSweeps for a command's one argument.
func completeSweepArg(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return completeSweeps(cmd, args, toComplete)
}

// completeMetrics offers split.metric as the recorded runs have them, each
// also with "-" (descending) when desc is set.
func completeMetrics(desc bool) completionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		seen := map[string]bool{}
		withStore(cmd.Context(), func(st *store.Store) {
			runs, err := st.ListRuns(cmd.Context(), store.ListOptions{Limit: 200})
			if err != nil {
				return
			}
			for _, r := range runs {
				for split, ms := range r.Summary {
					for name := range ms {
						seen[split+"."+name] = true
					}
				}
			}
		})
		var out []string
		for _, m := range slices.Sorted(maps.Keys(seen)) {
			out = append(out, m)
			if desc {
				out = append(out, "-"+m+"\tdescending")
			}
		}
		return withPrefix(out, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeValues offers a fixed set of values.
func completeValues(values ...string) completionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return withPrefix(values, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

func statusValues() []string {
	out := make([]string, len(store.Statuses))
	for i, s := range store.Statuses {
		out[i] = string(s)
	}
	return out
}

// withStore calls fn with the project's store when there is one; it never
// makes one.
func withStore(ctx context.Context, fn func(*store.Store)) {
	if ctx == nil {
		ctx = context.Background()
	}
	cwd, err := os.Getwd()
	if err != nil {
		return
	}
	root, ok := project.Find(cwd)
	if !ok {
		return
	}
	st, err := store.Open(ctx, project.Dir(root))
	if err != nil {
		return
	}
	defer st.Close()
	fn(st)
}

// withPrefix keeps the candidates ("value" or "value\tdescription") whose
// value starts with prefix.
func withPrefix(candidates []string, prefix string) []string {
	var out []string
	for _, c := range candidates {
		v, _, _ := strings.Cut(c, "\t")
		if strings.HasPrefix(v, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// registerCompletions wires the completions into root's commands, by
// command path, so each command's file stays about what it does.
func registerCompletions(root *cobra.Command) {
	args := map[string]completionFunc{
		"xp run":         completeExperiments,
		"xp hash":        completeExperiments,
		"xp vet":         completeExperiments,
		"xp show":        completeKeys(1),
		"xp rerun":       completeKeys(1),
		"xp resume":      completeKeys(1),
		"xp diff":        completeKeys(2),
		"xp cancel":      completeKeys(0),
		"xp serve":       completeKeys(0),
		"xp push":        completeKeys(1),
		"xp export onnx": completeKeys(1),
		"xp predict":     completeKeyThenFile,
		"xp best":        completeSweepArg,
		"xp pull":        completeExperiments,
		"xp rm":          completeKeysAndNames,
	}
	flags := map[string]map[string]completionFunc{
		"xp ls":      {"status": completeValues(statusValues()...), "sort": completeMetrics(true), "sweep": completeSweeps, "experiment": completeNames},
		"xp run":     {"backend": completeValues(backends.Names()...), "executor": completeValues(slices.Sorted(maps.Keys(executors))...)},
		"xp hash":    {"backend": completeValues(backends.Names()...)},
		"xp predict": {"backend": completeValues(backends.Names()...)},
		"xp serve":   {"backend": completeValues(backends.Names()...)},
		"xp best":    {"metric": completeMetrics(false), "mode": completeValues("min", "max")},
	}
	walk(root, func(c *cobra.Command) {
		if f, ok := args[c.CommandPath()]; ok && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = f
		}
		for name, f := range flags[c.CommandPath()] {
			if c.Flags().Lookup(name) != nil {
				_ = c.RegisterFlagCompletionFunc(name, f)
			}
		}
	})
}

// completeKeysAndNames offers run keys and experiment names (xp rm).
func completeKeysAndNames(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	keys, _ := completeKeys(0)(cmd, args, toComplete)
	names, _ := completeNames(cmd, args, toComplete)
	return append(keys, names...), cobra.ShellCompDirectiveNoFileComp
}

// completeNames is completeExperiments without files: a flag that takes a
// name only.
func completeNames(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return withPrefix(experimentNames(), toComplete), cobra.ShellCompDirectiveNoFileComp
}

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}
