package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/remote"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sysmetric"
)

type showOptions struct {
	json bool
	run  int64
}

func newShowCmd(s Streams) *cobra.Command {
	o := &showOptions{}
	cmd := &cobra.Command{
		Use: "show <key-prefix|KEY#N>",
		Example: `  xp show 3f9a                   # metrics, timing, provenance
  xp show 3f9a#7                 # run 7 of the key
  xp show 3f9a --json`,
		Short: "Show one run: status, metrics, timing, provenance",
		Long: `Shows one run. A key prefix names the key's newest succeeded run (the one
that answers for the key), else its newest run; KEY#N, or --run N, names run
N, the number xp ls shows in its RUN column.`,
		Args: cobra.RangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && o.run == 0 {
				return usageError{fmt.Errorf("xp show needs a key prefix, KEY#N or --run N")}
			}
			ref := ""
			if len(args) == 1 {
				ref = args[0]
			}
			return runShow(cmd.Context(), s, o, ref)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print a JSON object")
	cmd.Flags().Int64Var(&o.run, "run", 0, "show run N (its number in xp ls's RUN column)")
	return cmd
}

func runShow(ctx context.Context, s Streams, o *showOptions, ref string) error {
	st, _, err := openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := showTarget(ctx, st, o, ref)
	if err != nil {
		return err
	}
	params := pointParams(ctx, st, []store.Run{*r})[r.ID]
	if o.json {
		j := toJSON(r, "", true)
		j.Params = paramsJSON(params)
		return writeJSON(s.Out, j)
	}
	s, flush := cleanText(s)
	defer flush()
	w := s.Out
	fmt.Fprintf(w, "run         %s #%d%s\n", r.Key, r.ID, parenthesized(runOrigin(r, true)))
	fmt.Fprintf(w, "uid         %s\n", r.UID)
	if r.Remote != "" {
		if missing := remote.MissingArtifacts(st, r); len(missing) > 0 {
			fmt.Fprintf(w, "artifacts   not fetched yet (%d files: they come when needed, or with xp pull --artifacts)\n", len(missing))
		}
	}
	fmt.Fprintf(w, "experiment  %s\n", r.Experiment)
	if r.SweepID != "" {
		fmt.Fprintf(w, "sweep       %s", r.SweepID)
		if len(params) > 0 {
			fmt.Fprintf(w, ": %s", spec.ParamsLabel(params))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "status      %s", r.Status)
	if r.Error != "" {
		fmt.Fprintf(w, " (%s)", r.Error)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "backend     %s on %s\n", r.Backend, r.Device)
	fmt.Fprintf(w, "progress    epoch %d/%d\n", r.Epoch, r.Epochs)
	fmt.Fprintf(w, "created     %s\n", r.CreatedAt.Local().Format("2006-01-02 15:04:05"))
	fmt.Fprintf(w, "spec hash   %s\n", r.SpecHash)
	for _, name := range sortStrings(keysOf(r.DataHashes)) {
		fmt.Fprintf(w, "data        %s sha256:%s\n", name, r.DataHashes[name])
	}
	if r.WeightsSHA256 != "" {
		fmt.Fprintf(w, "weights     sha256:%s\n", r.WeightsSHA256)
	}
	if len(r.Timing) > 0 {
		var t runner.Timing
		if json.Unmarshal(r.Timing, &t) == nil {
			fmt.Fprintf(w, "timing      %s total, %s training, %s samples/s\n", seconds(t.TotalSeconds), seconds(t.TrainSeconds), humanRate(t.SamplesPerSec))
			if kept := keptLine(&t, r.Epochs); kept != "" {
				fmt.Fprintf(w, "kept        the weights %s\n", kept)
			}
		}
	}
	if line := systemLine(r.Summary[store.SplitSystem]); line != "" {
		fmt.Fprintf(w, "system      %s\n", line)
	}
	final := runner.FinalMetrics(r)
	for _, split := range []string{"test", "validation"} {
		if m, ok := final[split]; ok {
			fmt.Fprintf(w, "%-11s %s\n", split, formatMetrics(m))
		}
	}
	if cm, err := runner.ReadConfusion(st.ArtifactDir(r)); err == nil {
		fmt.Fprintln(w, "confusion   test split, rows: true class, columns: predicted")
		cm.Print(w)
	}
	if rep, err := runner.ReadDataReport(st.ArtifactDir(r)); err == nil {
		printDataReport(w, rep)
	}
	if p, err := provenance.Parse(r.Provenance); err == nil && len(r.Provenance) > 0 {
		printProvenance(w, p)
	}
	return nil
}

// showTarget is the run xp show names: ref (a key prefix or KEY#N), or
// run --run of ref's key, or run --run alone.
func showTarget(ctx context.Context, st *store.Store, o *showOptions, ref string) (*store.Run, error) {
	switch {
	case o.run == 0:
		return resolveRun(ctx, st, ref)
	case o.run < 0 || strings.Contains(ref, "#"):
		return nil, usageError{fmt.Errorf("--run %d: want a run number, with a key prefix or alone (not KEY#N)", o.run)}
	case ref != "":
		return resolveRun(ctx, st, fmt.Sprintf("%s#%d", ref, o.run))
	}
	r, err := st.Run(ctx, o.run)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no run %d; `xp ls` lists the runs", o.run)
	}
	return r, err
}

// runOrigin says how run r came to be in this store, "" for a first
// training here: pulled from a remote (and who trained it), a rerun, a
// resumed run, a forced one. long adds the remote of a pulled run and the
// epoch a resumed run continued from.
func runOrigin(r *store.Run, long bool) string {
	switch {
	case r.Remote != "" && long:
		return fmt.Sprintf("pulled from %s, trained by %s", r.Remote, trainedByOf(r))
	case r.Remote != "":
		return fmt.Sprintf("pulled: %s", trainedByOf(r))
	case r.RerunOf != 0:
		return fmt.Sprintf("rerun of #%d", r.RerunOf)
	case r.ResumedFrom != 0 && long:
		return fmt.Sprintf("resumes #%d after its epoch %d", r.ResumedFrom, r.ResumedEpoch)
	case r.ResumedFrom != 0:
		return fmt.Sprintf("resumes #%d", r.ResumedFrom)
	case r.Forced:
		return "forced: xp run --force"
	}
	return ""
}

// trainedByOf is who trained run r, "user@host", from its provenance.
func trainedByOf(r *store.Run) string {
	return provenance.OriginOf(r.Provenance, r.Host)
}

func parenthesized(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// printProvenance shows where a run came from: its commit and the blob of
// every file, then what ran it.
func printProvenance(w io.Writer, p *provenance.Record) {
	fmt.Fprintln(w, "provenance")
	switch {
	case !p.InRepo:
		fmt.Fprintln(w, "  commit      none (not in a git repository; sources stored with the run)")
	default:
		branch := p.Branch
		if branch == "" {
			branch = "detached HEAD"
		}
		state := "clean"
		if p.Dirty {
			state = "dirty: " + strings.Join(p.DirtyFiles, ", ")
		}
		fmt.Fprintf(w, "  commit      %s on %s, %s\n", p.Commit, branch, state)
	}
	for _, f := range p.Files {
		fmt.Fprintf(w, "  file        %s blob %s\n", f.Path, f.Blob)
	}
	for _, d := range []*provenance.SourceFile{p.Data, p.TestData} {
		if d == nil {
			continue
		}
		line := fmt.Sprintf("  data file   %s blob %s", d.Path, d.Blob)
		if d.State != provenance.FileClean {
			line += fmt.Sprintf(" (%s)", d.State)
		}
		if d.SHA256 != "" {
			line += ", sha256 " + d.SHA256
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "  ran on      %s (%s/%s), %s, xp %s\n", p.Host, p.OS, p.Arch, p.GoVersion, p.XPVersion)
	fmt.Fprintf(w, "  backend     %s on %s: %s\n", p.Backend, p.Device, p.BackendVersion)
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sortStrings(s []string) []string {
	sort.Strings(s)
	return s
}

// systemLine is a run's system metrics in one line: the peak of each
// figure sampled while it trained, "" when none was.
func systemLine(m map[string]store.MetricSummary) string {
	var parts []string
	for _, f := range []struct{ name, label, unit string }{
		{sysmetric.CPUPercent, "cpu", "%"}, {sysmetric.RSSMB, "memory", " MiB"},
		{sysmetric.GPUUtilPercent, "gpu", "%"}, {sysmetric.GPUMemMB, "gpu memory", " MiB"},
	} {
		if s, ok := m[f.name]; ok && s.Count > 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f%s", f.label, s.Best, f.unit))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "peak " + strings.Join(parts, ", ")
}
