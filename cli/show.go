package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sysmetric"
)

type showOptions struct{ json bool }

func newShowCmd(s Streams) *cobra.Command {
	o := &showOptions{}
	cmd := &cobra.Command{
		Use:   "show <key-prefix>",
		Short: "Show one run: status, metrics, timing, provenance",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd.Context(), s, o, args[0])
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print a JSON object")
	return cmd
}

func runShow(ctx context.Context, s Streams, o *showOptions, prefix string) error {
	st, _, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := st.Resolve(ctx, prefix)
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(s.Out, toJSON(r, "", true))
	}
	w := s.Out
	fmt.Fprintf(w, "run         %s\n", r.Key)
	fmt.Fprintf(w, "experiment  %s\n", r.Experiment)
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
			fmt.Fprintf(w, "timing      %.2fs total, %.2fs training, %s samples/s\n", t.TotalSeconds, t.TrainSeconds, humanRate(t.SamplesPerSec))
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
	if p.Data != nil {
		fmt.Fprintf(w, "  data file   %s blob %s\n", p.Data.Path, p.Data.Blob)
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
