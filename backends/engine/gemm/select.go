package gemm

import (
	"fmt"
	"os"
)

// EnvBLAS names the environment variable that chooses the implementation:
// "go" forces the pure-Go kernel, "openblas" requires OpenBLAS, and "" or
// "auto" takes OpenBLAS when it loads and pure Go otherwise.
const EnvBLAS = "XP_BLAS"

// Choice is what New would build under the current environment.
type Choice struct {
	Name     string // as Sgemm.Name reports it on one thread
	OpenBLAS bool
}

// NameFor is the name New(threads) would report: OpenBLAS's bits, and so
// its name, depend on the thread count; the pure-Go kernel's do not.
func (c Choice) NameFor(threads int) string {
	if c.OpenBLAS && threads > 1 {
		return fmt.Sprintf("%s/%dthreads", c.Name, threads)
	}
	return c.Name
}

// Choose resolves XP_BLAS against what this machine has.
func Choose() (Choice, error) {
	switch v := os.Getenv(EnvBLAS); v {
	case "go":
		return Choice{Name: GoName}, nil
	case "openblas":
		name, err := OpenBLASName()
		if err != nil {
			return Choice{}, fmt.Errorf("%s=openblas: %w", EnvBLAS, err)
		}
		return Choice{Name: name, OpenBLAS: true}, nil
	case "", "auto":
		if name, err := OpenBLASName(); err == nil {
			return Choice{Name: name, OpenBLAS: true}, nil
		}
		return Choice{Name: GoName}, nil
	default:
		return Choice{}, fmt.Errorf("%s=%q: want go, openblas or auto", EnvBLAS, v)
	}
}

// New builds the implementation Choose picks, using threads threads.
func New(threads int) (Sgemm, error) {
	c, err := Choose()
	if err != nil {
		return nil, err
	}
	if c.OpenBLAS {
		return NewOpenBLAS(threads)
	}
	return NewGo(threads), nil
}

var (
	_ Sgemm = (*Go)(nil)
	_ Sgemm = (*OpenBLAS)(nil)
)
