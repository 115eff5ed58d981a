package cli

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/backends/engine"
	"github.com/xp-ml/xp/backends/engine/cpu"
	"github.com/xp-ml/xp/backends/engine/cuda"
	"github.com/xp-ml/xp/backends/engine/gemm"
	"github.com/xp-ml/xp/provenance"
)

// versionInfo is what xp version reports: what decides a run key's
// backend part on this machine, beside xp's own version.
type versionInfo struct {
	XP       string `json:"xp"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
	Engine   string `json:"engine"`
	// GEMM is the CPU's matrix multiply: OpenBLAS's build when it loads
	// (and XP_BLAS allows it), else xp's pure-Go kernel.
	GEMM     string `json:"gemm"`
	OpenBLAS bool   `json:"openblas"`
	CPU      string `json:"cpu"`
	// CUDA is the GPU, driver and cuBLAS when CUDA can run here; else
	// NoCUDA says why not.
	CUDA   string `json:"cuda,omitempty"`
	NoCUDA string `json:"no_cuda,omitempty"`
}

func newVersionCmd(s Streams) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print xp's version, Go's, the engine's, the GEMM and CUDA found here",
		Example: `  xp version
  xp --version
  xp version --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return printVersion(s.Out, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object")
	return cmd
}

func printVersion(w io.Writer, asJSON bool) error {
	v := readVersion()
	if asJSON {
		return writeJSON(w, v)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	gemmKind := "pure Go (OpenBLAS not loaded)"
	if v.OpenBLAS {
		gemmKind = "OpenBLAS"
	}
	fmt.Fprintf(tw, "xp\t%s\n", v.XP)
	fmt.Fprintf(tw, "go\t%s %s\n", v.Go, v.Platform)
	fmt.Fprintf(tw, "engine\t%s\n", v.Engine)
	fmt.Fprintf(tw, "gemm\t%s: %s\n", gemmKind, v.GEMM)
	fmt.Fprintf(tw, "cpu\t%s\n", v.CPU)
	if v.CUDA != "" {
		fmt.Fprintf(tw, "cuda\t%s\n", v.CUDA)
	} else {
		fmt.Fprintf(tw, "cuda\tnone: %s\n", v.NoCUDA)
	}
	return tw.Flush()
}

func readVersion() versionInfo {
	v := versionInfo{
		XP:       xpVersion(),
		Go:       runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH,
		Engine:   engine.Version,
		CPU:      cpu.Kind(),
	}
	if c, err := gemm.Choose(); err != nil {
		v.GEMM = err.Error()
	} else {
		v.GEMM, v.OpenBLAS = c.Name, c.OpenBLAS
	}
	if err := cuda.Available(); err != nil {
		v.NoCUDA = unavailable(err)
	} else {
		v.CUDA = cuda.Backend.Version()
	}
	return v
}

// unavailable is why a device cannot run, without the sentinel's words.
func unavailable(err error) string {
	msg := err.Error()
	if u := errors.Unwrap(err); u != nil && len(msg) > len(u.Error())+2 && msg[:len(u.Error())] == u.Error() {
		return msg[len(u.Error())+2:]
	}
	return msg
}

// xpVersion is the version stamped at link time (make build), else the
// module version or VCS revision the Go toolchain recorded.
func xpVersion() string {
	if provenance.Version != "dev" {
		return provenance.Version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if m := bi.Main.Version; m != "" && m != "(devel)" {
		return m
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "dev " + rev
}
