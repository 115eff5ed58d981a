package gorgonia

import (
	"fmt"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/xp-ml/xp/model"
)

// graph is the model compiled by gorgonia for one batch size, either for
// training (loss and symbolic gradients) or for inference (probabilities).
//
// gorgonia fixes every shape when the graph is built, so a short last batch
// needs its own graph. All graphs bind their parameter nodes to the same
// tensors (the trainer's), and every input node to a buffer of its own that
// is refilled before each run; the tape machine reads bound values by
// pointer, so nothing is rebound between runs.
type graph struct {
	batch int
	g     *G.ExprGraph
	vm    G.VM

	x []float32 // batch x inputs
	// With embeddings, x is split by load into the plain columns and a
	// one-hot matrix per table (batch x vocab), which the graph multiplies
	// by the table: the lookup, and, by the product's gradient, the
	// scatter-add of the table's gradient.
	embeddings []model.Embedding
	inputs     int
	plain      []float32         // batch x plain inputs
	onehots    [][]float32       // one per table
	onehot     []float32         // batch x classes; training a classification head
	targets    []float32         // batch x outputs; training a regression head
	masks      map[int][]float32 // dropout layer index -> batch x width; training only

	// Outputs are taken with G.Read, which copies them when the tape runs:
	// a node's own value may sit in a register that a later instruction
	// reuses, so reading it after the run is not safe.
	loss  G.Value   // training
	grads []G.Value // training, one per parameter, in params order
	probs G.Value   // inference
	// bnMean and bnVar are each batch norm's batch mean and biased
	// variance, by layer index: training only, for the running statistics.
	bnMean, bnVar map[int]*G.Value
}

// buildMu serialises graph building across trainers. gorgonia shares
// package-level constant nodes between graphs and caches each node's hash
// in the node the first time it is asked for (Node.Hashcode), so two
// goroutines building graphs at once (a parallel sweep) write the same
// constant's cache: a data race the race detector reports. Building is
// once per batch size per trainer, so the lock costs nothing in training.
var buildMu sync.Mutex

// buildGraph compiles m for batches of the given size over the shared
// parameter tensors ps.
func buildGraph(m *model.Model, ps, stats []*param, batch int, train bool) (gr *graph, err error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	// gorgonia reports some shape and type errors by panicking.
	defer func() {
		if r := recover(); r != nil {
			gr, err = nil, fmt.Errorf("gorgonia: build graph for batch %d: %v", batch, r)
		}
	}()
	gr = &graph{batch: batch, g: G.NewGraph(), x: make([]float32, batch*m.Inputs)}
	g := gr.g

	byName := make(map[string]*param, len(ps)+len(stats))
	for _, p := range ps {
		byName[p.name] = p
	}
	for _, p := range stats {
		byName[p.name] = p
	}
	var wrt G.Nodes // parameter nodes in ps order
	nodes := make(map[string]*G.Node, len(ps))
	paramNode := func(name string) (*G.Node, error) {
		p := byName[name]
		var n *G.Node
		if len(p.shape) == 1 {
			n = G.NewVector(g, G.Float32, G.WithShape(p.shape...), G.WithName(name))
		} else {
			n = G.NewMatrix(g, G.Float32, G.WithShape(p.shape...), G.WithName(name))
		}
		if err := G.Let(n, p.value); err != nil {
			return nil, fmt.Errorf("gorgonia: bind %s: %w", name, err)
		}
		nodes[name] = n
		return n, nil
	}

	var h *G.Node
	if len(m.Embeddings) == 0 {
		h = G.NewMatrix(g, G.Float32, G.WithShape(batch, m.Inputs), G.WithName("x"))
		if err := G.Let(h, tensor.New(tensor.WithShape(batch, m.Inputs), tensor.WithBacking(gr.x))); err != nil {
			return nil, fmt.Errorf("gorgonia: bind x: %w", err)
		}
	} else if h, err = gr.embeddedInput(m, paramNode); err != nil {
		return nil, err
	}
	for i, l := range m.Layers {
		switch l.Kind {
		case model.Dense:
			w, err := paramNode(model.WeightName(i))
			if err != nil {
				return nil, err
			}
			b, err := paramNode(model.BiasName(i))
			if err != nil {
				return nil, err
			}
			if h, err = G.Mul(h, w); err != nil {
				return nil, fmt.Errorf("gorgonia: layer %d: x·W: %w", i, err)
			}
			if h, err = G.BroadcastAdd(h, b, nil, []byte{0}); err != nil {
				return nil, fmt.Errorf("gorgonia: layer %d: + b: %w", i, err)
			}
			if h, err = activate(h, l.Activation); err != nil {
				return nil, fmt.Errorf("gorgonia: layer %d: %s: %w", i, l.Activation, err)
			}
		case model.BatchNorm:
			if h, err = gr.batchNorm(h, i, l, train, paramNode); err != nil {
				return nil, fmt.Errorf("gorgonia: layer %d: batch norm: %w", i, err)
			}
		case model.Dropout:
			// Inference is the identity, and so is a rate of 0 (a mask of
			// ones would multiply by exactly 1).
			if !train || l.Rate == 0 {
				continue
			}
			buf := make([]float32, batch*l.Out)
			mask := G.NewMatrix(g, G.Float32, G.WithShape(batch, l.Out), G.WithName(fmt.Sprintf("layer%d.mask", i)))
			if err := G.Let(mask, tensor.New(tensor.WithShape(batch, l.Out), tensor.WithBacking(buf))); err != nil {
				return nil, fmt.Errorf("gorgonia: layer %d: bind mask: %w", i, err)
			}
			if gr.masks == nil {
				gr.masks = map[int][]float32{}
			}
			gr.masks[i] = buf
			var err error
			if h, err = G.HadamardProd(h, mask); err != nil {
				return nil, fmt.Errorf("gorgonia: layer %d: dropout: %w", i, err)
			}
		default:
			return nil, fmt.Errorf("gorgonia: layer %d: unknown kind %q", i, l.Kind)
		}
	}
	for _, p := range ps {
		wrt = append(wrt, nodes[p.name])
	}

	if m.Regression() {
		if err := gr.addRegression(h, m, train, wrt); err != nil {
			return nil, err
		}
		return gr.compile()
	}
	if m.Binary() {
		// The binary head's logit z becomes the logits [0, z] of two
		// classes, a product with the constant row [0 1]: softmax of them
		// is [1-σ(z), σ(z)], and their cross-entropy is BCEWithLogits's
		// softplus(z) - y·z, computed by the stable log-softmax below.
		// An independent route to the same numbers as the engine's
		// direct kernel.
		widen := G.NewConstant(tensor.New(tensor.WithShape(1, 2), tensor.WithBacking([]float32{0, 1})))
		if h, err = G.Mul(h, widen); err != nil {
			return nil, fmt.Errorf("gorgonia: binary head: %w", err)
		}
	}
	shifted, logSum, err := shiftedLogits(h)
	if err != nil {
		return nil, err
	}
	if train {
		if err := gr.addLoss(shifted, logSum, m.Classes, wrt); err != nil {
			return nil, err
		}
	} else {
		e, err := G.Exp(shifted)
		if err != nil {
			return nil, fmt.Errorf("gorgonia: softmax: %w", err)
		}
		s, err := G.Sum(e, 1)
		if err != nil {
			return nil, fmt.Errorf("gorgonia: softmax: %w", err)
		}
		probs, err := G.BroadcastHadamardDiv(e, s, nil, []byte{1})
		if err != nil {
			return nil, fmt.Errorf("gorgonia: softmax: %w", err)
		}
		gr.probs = tensor.New(tensor.WithShape(batch, m.Classes), tensor.Of(tensor.Float32))
		G.Read(probs, &gr.probs)
	}
	return gr.compile()
}

// embeddedInput builds the input the first layer reads: the plain
// columns, then each table's rows picked by a one-hot product, side by
// side.
func (gr *graph) embeddedInput(m *model.Model, paramNode func(string) (*G.Node, error)) (*G.Node, error) {
	g, batch := gr.g, gr.batch
	gr.embeddings, gr.inputs = m.Embeddings, m.Inputs
	var parts G.Nodes
	if plain := m.PlainInputs(); plain > 0 {
		gr.plain = make([]float32, batch*plain)
		x := G.NewMatrix(g, G.Float32, G.WithShape(batch, plain), G.WithName("x"))
		if err := G.Let(x, tensor.New(tensor.WithShape(batch, plain), tensor.WithBacking(gr.plain))); err != nil {
			return nil, fmt.Errorf("gorgonia: bind x: %w", err)
		}
		parts = append(parts, x)
	}
	for i, e := range m.Embeddings {
		buf := make([]float32, batch*e.Vocab)
		gr.onehots = append(gr.onehots, buf)
		oh := G.NewMatrix(g, G.Float32, G.WithShape(batch, e.Vocab), G.WithName(fmt.Sprintf("embedding.%d.onehot", i)))
		if err := G.Let(oh, tensor.New(tensor.WithShape(batch, e.Vocab), tensor.WithBacking(buf))); err != nil {
			return nil, fmt.Errorf("gorgonia: bind embedding %d: %w", i, err)
		}
		table, err := paramNode(model.EmbeddingName(i))
		if err != nil {
			return nil, err
		}
		rows, err := G.Mul(oh, table)
		if err != nil {
			return nil, fmt.Errorf("gorgonia: embedding %d: lookup: %w", i, err)
		}
		parts = append(parts, rows)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	h, err := G.Concat(1, parts...)
	if err != nil {
		return nil, fmt.Errorf("gorgonia: embedded input: %w", err)
	}
	return h, nil
}

// load splits the raw rows in x into the plain columns and the one-hot
// rows of each table, for a graph with embeddings; rows is the number of
// rows x holds (the graph's batch).
func (gr *graph) load() {
	if len(gr.embeddings) == 0 {
		return
	}
	plain := gr.inputs - len(gr.embeddings)
	for r := range gr.batch {
		row := gr.x[r*gr.inputs : (r+1)*gr.inputs]
		copy(gr.plain[r*plain:(r+1)*plain], row[:plain])
		for i, e := range gr.embeddings {
			oh := gr.onehots[i][r*e.Vocab : (r+1)*e.Vocab]
			clear(oh)
			oh[int(row[e.Column])] = 1 // backends.Batches.CheckFor vetted the index
		}
	}
}

// compile turns the built graph into its tape machine.
func (gr *graph) compile() (*graph, error) {
	prog, locs, err := G.Compile(gr.g)
	if err != nil {
		return nil, fmt.Errorf("gorgonia: compile graph for batch %d: %w", gr.batch, err)
	}
	gr.vm = G.NewTapeMachine(gr.g, G.WithPrecompiled(prog, locs))
	return gr, nil
}

// batchNorm is BatchNorm1d over h's columns and the layer's activation:
// with the batch's mean and biased variance in training (both read out for
// the running statistics), with the running statistics at inference.
//
// G.InverseSqrt's gradient is wrong in v0.9.18 (the PyTorch cases of the
// conformance tests caught it): 1/sqrt is Inverse(Sqrt(·)) here. In
// training every reduction and broadcast over the batch is a product with
// a constant matrix (centering C = I - 1/n, the row of 1/n, the column of
// ones), whose gradient is the GEMM's, the best-exercised path gorgonia
// has.
func (gr *graph) batchNorm(h *G.Node, i int, l model.Layer, train bool, paramNode func(string) (*G.Node, error)) (*G.Node, error) {
	gamma, err := paramNode(model.WeightName(i))
	if err != nil {
		return nil, err
	}
	beta, err := paramNode(model.BiasName(i))
	if err != nil {
		return nil, err
	}
	if !train {
		return gr.batchNormInfer(h, i, l, gamma, beta, paramNode)
	}
	n := gr.batch
	constant := func(rows, cols int, f func(r, c int) float32) *G.Node {
		v := make([]float32, rows*cols)
		for r := range rows {
			for c := range cols {
				v[r*cols+c] = f(r, c)
			}
		}
		return G.NewConstant(tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(v)))
	}
	center := constant(n, n, func(r, c int) float32 {
		if r == c {
			return 1 - 1/float32(n)
		}
		return -1 / float32(n)
	})
	meanRow := constant(1, n, func(int, int) float32 { return 1 / float32(n) })
	ones := constant(n, 1, func(int, int) float32 { return 1 })

	mean, err := G.Mul(meanRow, h) // 1×out, for the running mean only
	if err != nil {
		return nil, err
	}
	centered, err := G.Mul(center, h)
	if err != nil {
		return nil, err
	}
	sq, err := G.Square(centered)
	if err != nil {
		return nil, err
	}
	vari, err := G.Mul(meanRow, sq) // 1×out
	if err != nil {
		return nil, err
	}
	if gr.bnMean == nil {
		gr.bnMean, gr.bnVar = map[int]*G.Value{}, map[int]*G.Value{}
	}
	m, v := new(G.Value), new(G.Value)
	G.Read(mean, m)
	G.Read(vari, v)
	gr.bnMean[i], gr.bnVar[i] = m, v
	withEps, err := G.Add(vari, G.NewConstant(float32(l.Eps)))
	if err != nil {
		return nil, err
	}
	sd, err := G.Sqrt(withEps)
	if err != nil {
		return nil, err
	}
	invstd, err := G.Inverse(sd)
	if err != nil {
		return nil, err
	}
	spread, err := G.Mul(ones, invstd) // n×out
	if err != nil {
		return nil, err
	}
	xhat, err := G.HadamardProd(centered, spread)
	if err != nil {
		return nil, err
	}
	gammaRow, err := G.Reshape(gamma, []int{1, l.Out})
	if err != nil {
		return nil, err
	}
	gammas, err := G.Mul(ones, gammaRow)
	if err != nil {
		return nil, err
	}
	y, err := G.HadamardProd(xhat, gammas)
	if err != nil {
		return nil, err
	}
	if y, err = G.BroadcastAdd(y, beta, nil, []byte{0}); err != nil {
		return nil, err
	}
	return activate(y, l.Activation)
}

// batchNormInfer normalises with the running statistics; nothing here
// needs a gradient.
func (gr *graph) batchNormInfer(h *G.Node, i int, l model.Layer, gamma, beta *G.Node, paramNode func(string) (*G.Node, error)) (*G.Node, error) {
	mean, err := paramNode(model.RunningMeanName(i))
	if err != nil {
		return nil, err
	}
	vari, err := paramNode(model.RunningVarName(i))
	if err != nil {
		return nil, err
	}
	centered, err := G.BroadcastSub(h, mean, nil, []byte{0})
	if err != nil {
		return nil, err
	}
	withEps, err := G.Add(vari, G.NewConstant(float32(l.Eps)))
	if err != nil {
		return nil, err
	}
	sd, err := G.Sqrt(withEps)
	if err != nil {
		return nil, err
	}
	xhat, err := G.BroadcastHadamardDiv(centered, sd, nil, []byte{0})
	if err != nil {
		return nil, err
	}
	y, err := G.BroadcastHadamardProd(xhat, gamma, nil, []byte{0})
	if err != nil {
		return nil, err
	}
	if y, err = G.BroadcastAdd(y, beta, nil, []byte{0}); err != nil {
		return nil, err
	}
	return activate(y, l.Activation)
}

// activate applies a dense layer's activation.
func activate(h *G.Node, a model.Activation) (*G.Node, error) {
	switch a {
	case model.ActNone:
		return h, nil
	case model.ActReLU:
		// Not G.Rectify: it multiplies by (x >= 0), whose gradient at exactly
		// 0 is 1; PyTorch's (and the engine's) ReLU has gradient 0 there.
		positive, err := G.Gt(h, G.NewConstant(float32(0)), true)
		if err != nil {
			return nil, err
		}
		return G.HadamardProd(h, positive)
	case model.ActLeakyReLU:
		// h ⊙ (1 where h > 0, else the slope), the gradient at 0 being the
		// slope as in PyTorch.
		positive, err := G.Gt(h, G.NewConstant(float32(0)), true)
		if err != nil {
			return nil, err
		}
		scaled, err := G.Mul(positive, G.NewConstant(float32(1-model.LeakySlope)))
		if err != nil {
			return nil, err
		}
		factor, err := G.Add(scaled, G.NewConstant(float32(model.LeakySlope)))
		if err != nil {
			return nil, err
		}
		return G.HadamardProd(h, factor)
	case model.ActGELU:
		return G.ApplyOp(geluOp, h)
	case model.ActTanh:
		return G.Tanh(h)
	case model.ActSigmoid:
		return G.Sigmoid(h)
	default:
		return nil, fmt.Errorf("unknown activation %q", a)
	}
}

// shiftedLogits returns logits minus each row's maximum, and the log of the
// sum of exp over each row of that: log-softmax is their difference. Built
// here because tensor's softmax subtracts the first element of the whole
// tensor rather than each row's maximum, and G.LogSumExp in v0.9.18 computes
// log(Σ exp(x - max) + max), adding the maximum inside the logarithm.
//
// The gradient also flows through the maximum; its contribution is
// (1 - Σ softmax)/batch per row, zero but for rounding.
func shiftedLogits(logits *G.Node) (shifted, logSum *G.Node, err error) {
	rowMax, err := G.Max(logits, 1)
	if err != nil {
		return nil, nil, fmt.Errorf("gorgonia: log-softmax: row max: %w", err)
	}
	if shifted, err = G.BroadcastSub(logits, rowMax, nil, []byte{1}); err != nil {
		return nil, nil, fmt.Errorf("gorgonia: log-softmax: shift: %w", err)
	}
	e, err := G.Exp(shifted)
	if err != nil {
		return nil, nil, fmt.Errorf("gorgonia: log-softmax: exp: %w", err)
	}
	s, err := G.Sum(e, 1)
	if err != nil {
		return nil, nil, fmt.Errorf("gorgonia: log-softmax: sum: %w", err)
	}
	if logSum, err = G.Log(s); err != nil {
		return nil, nil, fmt.Errorf("gorgonia: log-softmax: log: %w", err)
	}
	return shifted, logSum, nil
}

// addLoss adds the mean softmax cross-entropy over the batch, and its
// gradients with respect to the parameter nodes wrt, as outputs.
func (gr *graph) addLoss(shifted, logSum *G.Node, classes int, wrt G.Nodes) error {
	g := gr.g
	gr.onehot = make([]float32, gr.batch*classes)
	y := G.NewMatrix(g, G.Float32, G.WithShape(gr.batch, classes), G.WithName("y"))
	if err := G.Let(y, tensor.New(tensor.WithShape(gr.batch, classes), tensor.WithBacking(gr.onehot))); err != nil {
		return fmt.Errorf("gorgonia: bind y: %w", err)
	}
	logProbs, err := G.BroadcastSub(shifted, logSum, nil, []byte{1})
	if err != nil {
		return fmt.Errorf("gorgonia: log-softmax: %w", err)
	}
	picked, err := G.HadamardProd(y, logProbs)
	if err != nil {
		return fmt.Errorf("gorgonia: cross-entropy: %w", err)
	}
	rowLogProb, err := G.Sum(picked, 1)
	if err != nil {
		return fmt.Errorf("gorgonia: cross-entropy: %w", err)
	}
	meanLogProb, err := G.Mean(rowLogProb)
	if err != nil {
		return fmt.Errorf("gorgonia: cross-entropy: mean: %w", err)
	}
	loss, err := G.Neg(meanLogProb)
	if err != nil {
		return fmt.Errorf("gorgonia: cross-entropy: %w", err)
	}
	return gr.readLoss(loss, wrt)
}

// readLoss adds the scalar loss and its gradients with respect to the
// parameter nodes wrt as outputs of the graph.
func (gr *graph) readLoss(loss *G.Node, wrt G.Nodes) error {
	grads, err := G.Grad(loss, wrt...)
	if err != nil {
		return fmt.Errorf("gorgonia: gradients: %w", err)
	}
	G.Read(loss, &gr.loss)
	gr.grads = make([]G.Value, len(grads))
	for i, n := range grads {
		gr.grads[i] = tensor.New(tensor.WithShape(wrt[i].Shape()...), tensor.Of(tensor.Float32))
		G.Read(n, &gr.grads[i])
	}
	return nil
}

// run executes the tape once. Its outputs are in gr.loss, gr.grads or
// gr.probs until the next run.
func (gr *graph) run() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gorgonia: run graph for batch %d: %v", gr.batch, r)
		}
	}()
	defer gr.vm.Reset()
	if err := gr.vm.RunAll(); err != nil {
		return fmt.Errorf("gorgonia: run graph for batch %d: %w", gr.batch, err)
	}
	return nil
}

// lossValue returns the scalar loss of the last run.
func (gr *graph) lossValue() (float32, error) {
	switch v := gr.loss.(type) {
	case *G.F32:
		return float32(*v), nil
	case tensor.Tensor:
		switch d := v.Data().(type) {
		case float32:
			return d, nil
		case []float32:
			if len(d) == 1 {
				return d[0], nil
			}
		}
	}
	return 0, fmt.Errorf("gorgonia: loss is %T, not a float32 scalar", gr.loss)
}

// floats returns the float32 data of an output value.
func floats(v G.Value, want int) ([]float32, error) {
	if t, ok := v.(tensor.Tensor); ok {
		if d, ok := t.Data().([]float32); ok && len(d) == want {
			return d, nil
		}
	}
	return nil, fmt.Errorf("gorgonia: output %T of shape %v, want %d float32", v, shapeOf(v), want)
}

func shapeOf(v G.Value) tensor.Shape {
	if v == nil {
		return nil
	}
	return v.Shape()
}

func (gr *graph) close() error {
	if gr.vm == nil {
		return nil
	}
	return gr.vm.Close()
}
