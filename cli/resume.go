package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

func newResumeCmd(s Streams) *cobra.Command {
	o := &rerunOptions{} // the same two flags as rerun
	cmd := &cobra.Command{
		Use:     "resume <key-prefix>",
		Example: `  xp resume 3f9a                 # continue from the last checkpoint`,
		Short:   "Continue an interrupted run from its last checkpoint",
		Long: `Resume continues a run that was interrupted (Ctrl-C, kill -9, a machine that
went down) or failed (a full disk, a store error) from the checkpoint of its
last finished epoch, and ends bit for bit where an uninterrupted run would
have. The experiment is rebuilt from the
files recorded with the run (read through git; the working tree is not
touched), so this works after the files changed. ` + "`xp run`" + ` of the unchanged
experiment resumes it too.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runResume(cmd.Context(), s, o, args[0])
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.threads, "threads", 1, "CPU threads the backend may use")
	f.BoolVar(&o.json, "json", false, "print the run as a JSON object")
	return cmd
}

func runResume(ctx context.Context, s Streams, o *rerunOptions, prefix string) error {
	st, root, err := openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	orig, err := resolveAttempt(ctx, st, prefix)
	if err != nil {
		return err
	}
	if err := needCheckpoint(ctx, s, st, root, orig); err != nil {
		return err
	}
	p := newProgress(s.Err, s.ErrTerminal && !o.json)
	res, err := runner.Resume(ctx, st, orig, root, runner.Options{Threads: o.threads, Events: p.event})
	p.done()
	if res != nil && res.Run != nil {
		if perr := printRunResult(s, &runOptions{json: o.json}, res, st.ArtifactDir(res.Run)); perr != nil {
			return perr
		}
		autoPush(context.WithoutCancel(ctx), s, st, root, []store.Run{*res.Run})
	}
	if err != nil && res != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("resume %s: %w", orig.Short(), err)
	}
	return err
}
