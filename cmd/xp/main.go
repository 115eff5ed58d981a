// Command xp runs machine-learning experiments declared in CUE.
package main

import (
	"os"

	"github.com/xp-ml/xp/cli"
)

func main() { os.Exit(cli.Main()) }
