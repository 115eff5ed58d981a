package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/cue/settings"
	"github.com/xp-ml/xp/data/fetch"
	"github.com/xp-ml/xp/remote"
	"github.com/xp-ml/xp/remote/dir"
	"github.com/xp-ml/xp/remote/s3"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// remoteKinds open a remote's objects by its URL's scheme. A new kind of
// remote is a package implementing remote.Objects (passing remotetest)
// and an entry here.
var remoteKinds = map[string]func(r *settings.Remote) (remote.Objects, error){
	"s3": func(r *settings.Remote) (remote.Objects, error) {
		return s3.Open(r.URL, r.Endpoint, r.Region, fetch.S3Options{})
	},
	"file": func(r *settings.Remote) (remote.Objects, error) { return dir.Open(r.URL) },
}

// settingsPath is the project's xp.cue, as positions show it.
func settingsPath(root string) string {
	return relPath(filepath.Join(root, settings.FileName))
}

// loadSettings reads the project's xp.cue (the defaults when it has none).
func loadSettings(root string) (*settings.Settings, error) {
	return settings.Load(settingsPath(root))
}

// openStoreAndRemote opens the project's store and its remote called name
// ("" for the default), for the commands that move runs between them.
func openStoreAndRemote(ctx context.Context, name string) (*store.Store, *remote.Remote, string, error) {
	st, root, err := openStore(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	set, err := loadSettings(root)
	if err == nil {
		var rm *remote.Remote
		if rm, err = openRemote(set, name); err == nil {
			return st, rm, root, nil
		}
	}
	st.Close()
	return nil, nil, "", err
}

// openRemote opens the remote called name in set ("" for the default).
func openRemote(set *settings.Settings, name string) (*remote.Remote, error) {
	cfg, err := set.Remote(name)
	if err != nil {
		return nil, err
	}
	return openConfigured(cfg)
}

func openConfigured(cfg *settings.Remote) (*remote.Remote, error) {
	open, ok := remoteKinds[cfg.Kind()]
	if !ok {
		return nil, fmt.Errorf("remote %s: %s is not a kind of remote xp knows", cfg.Name, cfg.URL)
	}
	objs, err := open(cfg)
	if err != nil {
		return nil, err
	}
	return remote.New(cfg.Name, objs), nil
}

// remoteOfRun is the remote to fetch a pulled run's files from: the one
// it was pulled from when xp.cue still names it, else the default one (a
// bundle's blobs are the same objects on every remote that has it).
func remoteOfRun(root string, r *store.Run) (*remote.Remote, error) {
	set, err := loadSettings(root)
	if err != nil {
		return nil, err
	}
	if cfg := set.ByURL(r.Remote); cfg != nil {
		return openConfigured(cfg)
	}
	rm, err := openRemote(set, "")
	if err != nil {
		return nil, fmt.Errorf("run %s was pulled from %s, which %s does not name: %w", r.Short(), r.Remote, settings.FileName, err)
	}
	return rm, nil
}

// needArtifacts fetches the artifacts of r, a pulled run, that are not
// here yet (weights, preprocessing, predictions): what predict, serve
// and export need. Nothing for a run trained here.
func needArtifacts(ctx context.Context, s Streams, st *store.Store, root string, r *store.Run) error {
	if len(remote.MissingArtifacts(st, r)) == 0 {
		return nil
	}
	rm, err := remoteOfRun(root, r)
	if err != nil {
		return err
	}
	n, size, err := rm.FetchArtifacts(ctx, st, r)
	if err != nil {
		return fmt.Errorf("fetch the artifacts of run %s: %w", r.Short(), err)
	}
	if n > 0 {
		fmt.Fprintf(s.Err, "fetched %s of run %s from %s (%s)\n", plural(n, "file", "files"), r.Short(), rm.Name, humanBytes(size))
	}
	return nil
}

// needCheckpoint puts in place the checkpoint that r, a pulled run that
// was interrupted, left on the machine that trained it, if it was pushed
// with it: what `xp resume` continues from.
func needCheckpoint(ctx context.Context, s Streams, st *store.Store, root string, r *store.Run) error {
	if r.Remote == "" || r.Status.Finished() && !runner.Resumable(r.Status) || runner.HasCheckpoint(st, r) {
		return nil
	}
	rm, err := remoteOfRun(root, r)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp("", "xp-checkpoint-*")
	if err != nil {
		return err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	ok, err := rm.FetchCheckpoint(ctx, r, tmp.Name())
	if err != nil || !ok {
		return err
	}
	if err := runner.InstallCheckpoint(st, r, tmp.Name()); err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "fetched the checkpoint of run %s from %s\n", r.Short(), rm.Name)
	return nil
}

// checkRemote is the remote `xp run` asks before training, nil when the
// project has none, the check is off, or --no-remote; a remote that
// cannot be opened is one warning line, and training goes on.
func checkRemote(s Streams, root string, off bool) (runner.Remote, error) {
	if off {
		return nil, nil
	}
	set, err := loadSettings(root)
	if err != nil {
		return nil, err
	}
	if !set.RemoteCheck || len(set.Remotes) == 0 {
		return nil, nil
	}
	rm, err := openRemote(set, "")
	if err != nil {
		fmt.Fprintf(s.Err, "xp: warning: remote not asked: %v; training here\n", err)
		return nil, nil
	}
	return rm, nil
}

// autoPush pushes runs to the default remote when xp.cue says auto_push.
// A push that fails is one warning line: the runs are trained and
// recorded, and `xp push` sends them later.
func autoPush(ctx context.Context, s Streams, st *store.Store, root string, runs []store.Run) {
	set, err := loadSettings(root)
	if err != nil || !set.AutoPush || len(runs) == 0 {
		return
	}
	rm, err := openRemote(set, "")
	if err == nil {
		var res *remote.PushResult
		if res, err = rm.Push(ctx, st, runs, projectPush(st, root, false)); err == nil {
			if res.Pushed > 0 {
				fmt.Fprintf(s.Err, "pushed %s to %s\n", plural(res.Pushed, "run", "runs"), rm.Name)
			}
			return
		}
	}
	fmt.Fprintf(s.Err, "xp: warning: auto-push failed: %v; `xp push` sends the runs later\n", err)
}

func newRemoteCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use: "remote",
		Example: `  xp remote add team s3://bucket/xp
  xp remote ls`,
		Short: "Add, list and remove the project's remotes (in xp.cue), where runs are pushed and pulled",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newRemoteAddCmd(s), newRemoteLsCmd(s), newRemoteRmCmd(s))
	return cmd
}

type remoteAddOptions struct {
	endpoint, region string
	makeDefault      bool
}

func newRemoteAddCmd(s Streams) *cobra.Command {
	o := &remoteAddOptions{}
	cmd := &cobra.Command{
		Use: "add <name> <url>",
		Example: `  xp remote add team s3://bucket/xp
  xp remote add shared file:///mnt/shared/xp`,
		Short: "Add a remote to xp.cue: s3://bucket/prefix (with --endpoint for an S3-compatible server) or file:///path",
		Long: `Add a remote to the project's xp.cue (made if missing; commit it, so the team
shares it). A remote is an S3 bucket prefix, s3://bucket/prefix, on Amazon S3 or
an S3-compatible server (--endpoint http://host:port), or a directory the team
shares, file:///shared/xp. Credentials are not settings: xp takes them from
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile AWS_PROFILE names,
and never writes them.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRemoteAdd(s, o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.endpoint, "endpoint", "", "an S3-compatible server, http(s)://host:port (default: Amazon S3)")
	f.StringVar(&o.region, "region", "", "the bucket's region")
	f.BoolVar(&o.makeDefault, "default", false, "make it the default remote (default_remote)")
	return cmd
}

func runRemoteAdd(s Streams, o *remoteAddOptions, name, url string) error {
	root, err := projectRoot()
	if err != nil {
		return err
	}
	path := settingsPath(root)
	r := settings.Remote{Name: name, URL: url, Endpoint: o.endpoint, Region: o.region}
	if err := settings.AddRemote(path, r, o.makeDefault); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "added remote %s (%s) to %s\n", name, url, path)
	return nil
}

func newRemoteRmCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:     "rm <name>",
		Example: `  xp remote rm team`,
		Short:   "Remove a remote from xp.cue (its runs stay where they are)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			root, err := projectRoot()
			if err != nil {
				return err
			}
			if err := settings.RemoveRemote(settingsPath(root), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(s.Out, "removed remote %s from %s\n", args[0], settingsPath(root))
			return nil
		},
	}
}

func newRemoteLsCmd(s Streams) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "ls",
		Example: `  xp remote ls`,
		Short:   "List the project's remotes",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			root, err := projectRoot()
			if err != nil {
				return err
			}
			set, err := loadSettings(root)
			if err != nil {
				return err
			}
			return printRemotes(s, set, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

type remoteJSON struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	Endpoint string `json:"endpoint,omitempty"`
	Region   string `json:"region,omitempty"`
	Default  bool   `json:"default"`
}

func printRemotes(s Streams, set *settings.Settings, asJSON bool) error {
	def, _ := set.Remote("")
	if asJSON {
		out := []remoteJSON{}
		for _, r := range set.Remotes {
			out = append(out, remoteJSON{Name: r.Name, URL: r.URL, Endpoint: r.Endpoint, Region: r.Region, Default: def != nil && def.Name == r.Name})
		}
		return writeJSON(s.Out, out)
	}
	if len(set.Remotes) == 0 {
		fmt.Fprintln(s.Out, "no remotes: xp remote add NAME URL")
		return nil
	}
	tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tURL\tENDPOINT\tDEFAULT")
	for _, r := range set.Remotes {
		mark := ""
		if def != nil && def.Name == r.Name {
			mark = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.URL, orDash(r.Endpoint), mark)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "auto_push %v, remote_check %v\n", set.AutoPush, set.RemoteCheck)
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// humanBytes is a size for reading: 1.2 MB.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
