package chart

// canvas is a grid of braille cells, each a 2x4 block of dots, with the
// series that last drew in each cell.
type canvas struct {
	cols, rows int     // in cells
	dots       []uint8 // braille dot bits per cell
	owner      []int16 // series index per cell, -1 for none
}

func newCanvas(cols, rows int) *canvas {
	c := &canvas{cols: cols, rows: rows, dots: make([]uint8, cols*rows), owner: make([]int16, cols*rows)}
	for i := range c.owner {
		c.owner[i] = -1
	}
	return c
}

// dotBits maps a dot's position in its cell, [x][y], to its bit in the
// braille pattern (Unicode's dot numbering: 1-2-3-7 down the left column,
// 4-5-6-8 down the right).
var dotBits = [2][4]uint8{{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}}

// set turns on the dot at (x, y), in dots from the top left, for series s.
func (c *canvas) set(x, y int, s int16) {
	if x < 0 || y < 0 || x >= c.cols*2 || y >= c.rows*4 {
		return
	}
	i := (y/4)*c.cols + x/2
	if c.owner[i] != s {
		// Opaque: a series takes the whole cell, so the dots shown are
		// all in the owner's colour.
		c.dots[i] = 0
		c.owner[i] = s
	}
	c.dots[i] |= dotBits[x%2][y%4]
}

// pen draws a series' line in its pattern: it counts the dots it has
// drawn, so that a dash runs on across the points of a curve.
type pen struct {
	on []bool // the pattern, repeated; nil draws every dot
	n  int
}

func (p *pen) next() bool {
	if len(p.on) == 0 {
		return true
	}
	on := p.on[p.n%len(p.on)]
	p.n++
	return on
}

// line draws from (x0, y0) to (x1, y1) with Bresenham's algorithm, the
// first dot only when first is set (a curve's segments share their ends).
func (c *canvas) line(x0, y0, x1, y1 int, s int16, p *pen, first bool) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		if first && p.next() {
			c.set(x0, y0, s)
		}
		first = true
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

// cell returns the braille rune and owner of cell (col, row); a blank cell
// is a space.
func (c *canvas) cell(col, row int) (rune, int16) {
	i := row*c.cols + col
	if c.dots[i] == 0 {
		return ' ', -1
	}
	return rune(0x2800 + int(c.dots[i])), c.owner[i]
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}
