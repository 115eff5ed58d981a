//go:build tools

package tools

import (
	_ "cuelang.org/go/cue"
	_ "github.com/NimbleMarkets/ntcharts/linechart"
	_ "github.com/charmbracelet/bubbles/table"
	_ "github.com/charmbracelet/bubbletea"
	_ "github.com/charmbracelet/lipgloss"
	_ "github.com/ebitengine/purego"
	_ "github.com/go-git/go-git/v5"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/spf13/cobra"
	_ "go4.org/unsafe/assume-no-moving-gc"
	_ "gorgonia.org/gorgonia"
	_ "gorgonia.org/tensor"
	_ "modernc.org/sqlite"
)
