package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure is one plot of a report.
type Figure struct {
	// Name is the figure's file name without extension, unique in its
	// document: "run-3-roc".
	Name  string
	Title string
	// Caption is a line under the figure: AUCs, what was downsampled.
	Caption string

	plot *plot.Plot
	w, h vg.Length
	svg  []byte
}

const (
	figureWidth  = 6 * vg.Inch
	figureHeight = 3.6 * vg.Inch
	// maxLinePoints is the most points a line keeps: about two per
	// horizontal pixel of a figure at 96 dpi, more than can show.
	maxLinePoints = 1200
)

// palette is the Okabe-Ito colours: told apart with every common colour
// blindness, on a white ground and inverted on a dark one.
var palette = []color.RGBA{
	{0, 114, 178, 255},   // blue
	{213, 94, 0, 255},    // vermillion
	{0, 158, 115, 255},   // bluish green
	{204, 121, 167, 255}, // reddish purple
	{230, 159, 0, 255},   // orange
	{86, 180, 233, 255},  // sky blue
	{240, 228, 66, 255},  // yellow
	{0, 0, 0, 255},       // black
}

func colorOf(i int) color.RGBA { return palette[i%len(palette)] }

var (
	gray      = color.RGBA{150, 150, 150, 255}
	lightGray = color.RGBA{225, 225, 225, 255}
)

func init() {
	// Liberation Sans has Arial's metrics, so text laid out with it keeps
	// its width in a browser that draws Arial or Helvetica instead (see
	// fontFallback).
	plot.DefaultFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	plotter.DefaultFont = plot.DefaultFont
}

// fontFamily and fontFallback: the family gonum writes, and the same with
// its metric-compatible fallbacks, for viewers without Liberation fonts.
var (
	fontFamily   = []byte("font-family:Liberation Sans;")
	fontFallback = []byte("font-family:'Liberation Sans',Arimo,Arial,Helvetica,sans-serif;")
)

func newFigure(name, title, x, y string) (*Figure, *plot.Plot) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = lightGray, lightGray
	p.Add(grid)
	p.Legend.Top = true
	return &Figure{Name: name, Title: title, plot: p, w: figureWidth, h: figureHeight}, p
}

// SVG is the figure as a standalone SVG document.
func (f *Figure) SVG() ([]byte, error) {
	if f.svg != nil {
		return f.svg, nil
	}
	c := vgsvg.New(f.w, f.h)
	f.plot.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("figure %s: %w", f.Name, err)
	}
	f.svg = bytes.ReplaceAll(buf.Bytes(), fontFamily, fontFallback)
	return f.svg, nil
}

// PNG is the figure as a PNG image at dpi dots per inch.
func (f *Figure) PNG(dpi int) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(f.w, f.h), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	f.plot.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("figure %s: %w", f.Name, err)
	}
	return buf.Bytes(), nil
}

// line adds a line in colour i to p, with a legend entry when label is
// set; dashed for a second series of the same colour (validation).
func line(p *plot.Plot, xys plotter.XYs, i int, dashed bool, label string) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color = colorOf(i)
	l.Width = vg.Points(1.5)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	p.Add(l)
	if label != "" {
		p.Legend.Add(label, l)
	}
	return nil
}

// downsample keeps at most limit points of a curve: the first and the last,
// and in each of limit/2 buckets of the ones between, the lowest and the
// highest, in order, so that every spike still shows.
func downsample(xys plotter.XYs, limit int) plotter.XYs {
	if len(xys) <= limit || limit < 4 {
		return xys
	}
	out := plotter.XYs{xys[0]}
	inner := xys[1 : len(xys)-1]
	buckets := (limit - 2) / 2
	for b := 0; b < buckets; b++ {
		lo, hi := b*len(inner)/buckets, (b+1)*len(inner)/buckets
		if lo == hi {
			continue
		}
		minI, maxI := lo, lo
		for i := lo; i < hi; i++ {
			if inner[i].Y < inner[minI].Y || math.IsNaN(inner[minI].Y) {
				minI = i
			}
			if inner[i].Y > inner[maxI].Y || math.IsNaN(inner[maxI].Y) {
				maxI = i
			}
		}
		first, second := min(minI, maxI), max(minI, maxI)
		out = append(out, inner[first])
		if second != first {
			out = append(out, inner[second])
		}
	}
	return append(out, xys[len(xys)-1])
}

// finite drops the points whose X or Y is NaN or infinite: a diverged
// run's last loss cannot be drawn.
func finite(xys plotter.XYs) plotter.XYs {
	out := xys[:0:0]
	for _, p := range xys {
		if !math.IsNaN(p.X) && !math.IsNaN(p.Y) && !math.IsInf(p.X, 0) && !math.IsInf(p.Y, 0) {
			out = append(out, p)
		}
	}
	return out
}

// referenceLine adds a dashed gray line: a diagonal, a zero.
func referenceLine(p *plot.Plot, xys plotter.XYs, label string) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color, l.Dashes = gray, []vg.Length{vg.Points(4), vg.Points(4)}
	p.Add(l)
	p.Legend.Add(label, l)
	return nil
}

// scatter adds small open circles in colour i.
func scatter(p *plot.Plot, xys plotter.XYs, i int) error {
	s, err := plotter.NewScatter(finite(xys))
	if err != nil {
		return err
	}
	s.Color, s.Shape, s.Radius = colorOf(i), draw.RingGlyph{}, vg.Points(2)
	p.Add(s)
	return nil
}
