package tui

import (
	"strings"
	"unicode"

	tea "github.com/charmbracelet/bubbletea"
)

// lineInput is the one-line editor of the filter: typing, pasting, moving
// by character and word, deleting back to a word or the start.
type lineInput struct {
	prompt      string
	placeholder string
	value       []rune
	pos         int
}

func (in *lineInput) Value() string { return string(in.value) }

func (in *lineInput) SetValue(s string) {
	in.value = []rune(s)
	in.pos = len(in.value)
}

// Update applies one key; it reports whether the value changed.
func (in *lineInput) Update(k tea.KeyMsg) bool {
	before := string(in.value)
	switch k.Type {
	case tea.KeyRunes, tea.KeySpace:
		rs := k.Runes
		if k.Type == tea.KeySpace {
			rs = []rune{' '}
		}
		var ins []rune
		for _, r := range rs {
			// A paste may carry newlines or escapes: keep text only.
			if unicode.IsPrint(r) {
				ins = append(ins, r)
			} else if r == '\n' || r == '\t' {
				ins = append(ins, ' ')
			}
		}
		in.value = append(in.value[:in.pos], append(ins, in.value[in.pos:]...)...)
		in.pos += len(ins)
	case tea.KeyBackspace:
		if k.Alt {
			in.deleteWord()
		} else if in.pos > 0 {
			in.value = append(in.value[:in.pos-1], in.value[in.pos:]...)
			in.pos--
		}
	case tea.KeyDelete, tea.KeyCtrlD:
		if in.pos < len(in.value) {
			in.value = append(in.value[:in.pos], in.value[in.pos+1:]...)
		}
	case tea.KeyLeft, tea.KeyCtrlB:
		in.pos = max(0, in.pos-1)
	case tea.KeyRight, tea.KeyCtrlF:
		in.pos = min(len(in.value), in.pos+1)
	case tea.KeyHome, tea.KeyCtrlA:
		in.pos = 0
	case tea.KeyEnd, tea.KeyCtrlE:
		in.pos = len(in.value)
	case tea.KeyCtrlU:
		in.value, in.pos = append([]rune(nil), in.value[in.pos:]...), 0
	case tea.KeyCtrlK:
		in.value = in.value[:in.pos]
	case tea.KeyCtrlW:
		in.deleteWord()
	}
	return string(in.value) != before
}

// deleteWord deletes back to the start of the word before the cursor.
func (in *lineInput) deleteWord() {
	i := in.pos
	for i > 0 && in.value[i-1] == ' ' {
		i--
	}
	for i > 0 && in.value[i-1] != ' ' {
		i--
	}
	in.value = append(in.value[:i], in.value[in.pos:]...)
	in.pos = i
}

// View draws the prompt, the text and the cursor: reversed in colour, a
// bar in mono.
func (in *lineInput) View(t *theme) string {
	var b strings.Builder
	b.WriteString(t.key.Render(in.prompt))
	if len(in.value) == 0 {
		if t.mono {
			b.WriteString("▏")
		} else {
			b.WriteString(t.selected.Render(" "))
		}
		b.WriteString(t.dim.Render(in.placeholder))
		return b.String()
	}
	b.WriteString(string(in.value[:in.pos]))
	switch {
	case t.mono:
		b.WriteString("▏" + string(in.value[in.pos:]))
	case in.pos < len(in.value):
		b.WriteString(t.selected.Render(string(in.value[in.pos])) + string(in.value[in.pos+1:]))
	default:
		b.WriteString(t.selected.Render(" "))
	}
	return b.String()
}
