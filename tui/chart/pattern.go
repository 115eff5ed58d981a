package chart

// Pattern is how a series' line is drawn: solid, or dashed in one of
// several rhythms. Without colour, patterns are what tell curves apart,
// and the legend shows each series' pattern instead of a coloured dot.
type Pattern int

// The patterns, in the order pages hand them out.
const (
	Solid Pattern = iota
	Dashed
	Dotted
	DashDot
	LongDash
	Sparse
	DashDotDot
	Short
	numPatterns
)

// patterns are the dots on and off along a line, repeated.
var patterns = [numPatterns][]bool{
	Solid:      nil,
	Dashed:     {true, true, true, true, false, false},
	Dotted:     {true, false},
	DashDot:    {true, true, true, true, false, false, true, false, false},
	LongDash:   {true, true, true, true, true, true, true, true, false, false, false},
	Sparse:     {true, false, false, false},
	DashDotDot: {true, true, true, true, false, false, true, false, false, true, false, false},
	Short:      {true, true, false},
}

// glyphs are the legend's picture of each pattern, two cells wide.
var glyphs = [numPatterns]string{
	Solid: "──", Dashed: "╌╌", Dotted: "┈┈", DashDot: "─·", LongDash: "━ ", Sparse: "··", DashDotDot: "╴:", Short: "╍╍",
}

// PatternFor is the i-th pattern, repeating after all have been used.
func PatternFor(i int) Pattern {
	return Pattern(((i % int(numPatterns)) + int(numPatterns)) % int(numPatterns))
}

func (p Pattern) dots() []bool {
	if p < 0 || p >= numPatterns {
		return nil
	}
	return patterns[p]
}

// Glyph is the pattern as the legend draws it.
func (p Pattern) Glyph() string {
	if p < 0 || p >= numPatterns {
		return glyphs[Solid]
	}
	return glyphs[p]
}
