package model

import (
	"fmt"
	"math"
)

// Activation is applied after a dense layer.
type Activation string

const (
	ActNone    Activation = "none"
	ActReLU    Activation = "relu"
	ActTanh    Activation = "tanh"
	ActSigmoid Activation = "sigmoid"
	// ActLeakyReLU is PyTorch's LeakyReLU with its default negative slope,
	// LeakySlope.
	ActLeakyReLU Activation = "leaky_relu"
	// ActGELU is the exact GELU, x·Φ(x) with the erf form of Φ: PyTorch's
	// default (approximate="none"), not the tanh approximation.
	ActGELU Activation = "gelu"
)

// LeakySlope is leaky_relu's slope for negative inputs (PyTorch's default).
const LeakySlope = 0.01

// Valid reports whether a is an activation every backend implements.
func (a Activation) Valid() bool {
	switch a {
	case ActNone, ActReLU, ActTanh, ActSigmoid, ActLeakyReLU, ActGELU:
		return true
	}
	return false
}

// LayerKind tells a layer's operation.
type LayerKind string

const (
	Dense   LayerKind = "dense"
	Dropout LayerKind = "dropout"
	// BatchNorm is PyTorch's BatchNorm1d over the features followed by the
	// layer's Activation: in training it normalises with the batch's mean
	// and biased variance and updates the running statistics (with the
	// unbiased variance, by Momentum); at inference it uses them.
	BatchNorm LayerKind = "batch_norm"
)

// Layer is one operation of the network. Dense layers own parameters
// "layerN.weight" ([in, out], row-major, so y = x·W + b) and "layerN.bias" ([out]).
type Layer struct {
	Kind       LayerKind
	In, Out    int        // dense: fan-in and fan-out; dropout: In == Out
	Activation Activation // dense and batch_norm
	Rate       float64    // dropout only: the probability of dropping a unit
	Eps        float64    // batch_norm: added to the variance (PyTorch: 1e-5)
	Momentum   float64    // batch_norm: weight of the batch in the running statistics (PyTorch: 0.1)
}

// HasParams reports whether the layer has trainable parameters (weight and
// bias: a dense layer's W and b, a batch norm's γ and β).
func (l Layer) HasParams() bool { return l.Kind == Dense || l.Kind == BatchNorm }

// OptimizerKind names an update rule.
type OptimizerKind string

const (
	SGD  OptimizerKind = "sgd"
	Adam OptimizerKind = "adam"
	// AdamW is torch.optim.AdamW: Adam with decoupled weight decay
	// (p *= 1 - lr·wd before the Adam step; the gradient is left alone).
	AdamW OptimizerKind = "adamw"
	// RMSprop is torch.optim.RMSprop, not centered.
	RMSprop OptimizerKind = "rmsprop"
)

// Optimizer holds the update rule and its hyperparameters; fields a rule
// does not use are zero.
type Optimizer struct {
	Kind        OptimizerKind
	LR          float64
	Momentum    float64 // sgd, rmsprop
	Nesterov    bool    // sgd: PyTorch's nesterov=True (needs momentum)
	Alpha       float64 // rmsprop: smoothing of the squared gradient
	Beta1       float64 // adam, adamw
	Beta2       float64 // adam, adamw
	Eps         float64 // adam, adamw, rmsprop
	WeightDecay float64 // L2 added to the gradient as PyTorch's weight_decay; adamw: decoupled
	// ClipNorm, when positive, rescales the gradients before each step so
	// that their global L2 norm is at most ClipNorm, as
	// torch.nn.utils.clip_grad_norm_ (coefficient ClipNorm/(norm+1e-6),
	// applied only when below 1).
	ClipNorm float64
	// Schedule sets the learning rate of each step from LR.
	Schedule Schedule
}

// Head is what the network's last layer predicts and how it is trained.
type Head string

const (
	// HeadMulticlass (also the zero value) is Classes logits, softmax,
	// trained with cross-entropy: any number of classes, two included.
	HeadMulticlass Head = "multiclass"
	// HeadBinary is one logit, the log-odds of class 1 of 2, sigmoid,
	// trained with binary cross-entropy.
	HeadBinary Head = "binary"
	// HeadRegression is one real output per row, trained with mse, mae
	// or huber against float targets.
	HeadRegression Head = "regression"
)

// Model is a feed-forward network. The last layer is always a dense layer
// with no activation onto Outputs() units: Classes logits for the
// multiclass head, one logit for the binary head (Classes is 2), one value
// for the regression head (Classes is 0).
//
// Embeddings, when there are any, replace columns of the input: the raw
// input is Inputs columns, the plain features first and one index column
// per embedding after them (data puts them there); the network's first
// layer reads EmbeddedWidth columns, the plain features then each
// embedding's Dim values, in Embeddings order.
type Model struct {
	Inputs     int
	Classes    int
	Embeddings []Embedding
	Head       Head // "" is HeadMulticlass
	Layers     []Layer
	Optimizer  Optimizer
	Loss       Loss
}

// Embedding is a lookup table, torch.nn.Embedding(Vocab, Dim): input
// column Column holds an index in [0, Vocab) as a float (an exact
// integer), and the network sees row index of the table, its parameter
// EmbeddingName(i), Vocab×Dim.
type Embedding struct {
	Column, Vocab, Dim int
}

// EmbeddedWidth is the width of the input the first layer reads: the
// plain columns and every embedding's Dim.
func (m *Model) EmbeddedWidth() int {
	w := m.Inputs - len(m.Embeddings)
	for _, e := range m.Embeddings {
		w += e.Dim
	}
	return w
}

// PlainInputs is the number of input columns that are not embedding indices.
func (m *Model) PlainInputs() int { return m.Inputs - len(m.Embeddings) }

// Regression reports a regression head.
func (m *Model) Regression() bool { return m.Head == HeadRegression }

// Binary reports a binary head.
func (m *Model) Binary() bool { return m.Head == HeadBinary }

// Outputs is the width of the last layer.
func (m *Model) Outputs() int {
	if m.Binary() || m.Regression() {
		return 1
	}
	return m.Classes
}

// PredictWidth is how many values Predict gives per row: the probability
// of every class for a classification head (both classes for the binary
// one, 1-σ and σ), the prediction for a regression head.
func (m *Model) PredictWidth() int {
	if m.Regression() {
		return 1
	}
	return m.Classes
}

// LossKind is the loss the model trains with: Loss.Kind, or the head's
// default when it is empty (cross-entropy, binary cross-entropy, mse).
func (m *Model) LossKind() LossKind {
	if m.Loss.Kind != "" {
		return m.Loss.Kind
	}
	switch m.Head {
	case HeadBinary:
		return LossBCE
	case HeadRegression:
		return LossMSE
	}
	return LossCrossEntropy
}

// LossKind names a loss function. The zero value is the head's default
// (see Model.LossKind).
type LossKind string

const (
	// LossCrossEntropy is softmax cross-entropy over the classes,
	// PyTorch's CrossEntropyLoss: the multiclass head's loss.
	LossCrossEntropy LossKind = "cross_entropy"
	// LossBCE is binary cross-entropy on one logit, PyTorch's
	// BCEWithLogitsLoss: the binary head's loss.
	LossBCE LossKind = "binary_cross_entropy"
	// LossMSE, LossMAE and LossHuber are the regression head's losses:
	// PyTorch's MSELoss, L1Loss and HuberLoss(delta), each the mean over
	// every element.
	LossMSE   LossKind = "mse"
	LossMAE   LossKind = "mae"
	LossHuber LossKind = "huber"
)

// Loss is the training loss and its options.
//
// Cross-entropy is PyTorch's CrossEntropyLoss. With weights w and
// smoothing ε over C classes, a batch's loss is
//
//	Σ_i [(1-ε)·w[y_i]·(-log p_i[y_i]) + ε/C·Σ_c w[c]·(-log p_i[c])] / Σ_i w[y_i]
//
// (the weighted mean, PyTorch's reduction="mean"); without weights every
// w is 1 and it is the plain mean.
//
// Binary cross-entropy is BCEWithLogitsLoss on the logit z of class 1:
// Σ_i w[y_i]·(softplus(z_i) - y_i·z_i) / Σ_i w[y_i], the same weighted
// mean as cross-entropy's (with no weights, the plain mean).
//
// mse, mae and huber are MSELoss, L1Loss and HuberLoss(delta=Delta), the
// mean over every element.
type Loss struct {
	Kind           LossKind  // "" is the head's default (Model.LossKind)
	ClassWeights   []float64 // cross-entropy and binary: one per class, or none
	LabelSmoothing float64   // cross-entropy: ε in [0, 1)
	Delta          float64   // huber: where the loss turns from squared to linear (PyTorch: 1)
}

// Plain reports a loss with neither weights nor smoothing: the backends'
// fused fast path.
func (l Loss) Plain() bool { return len(l.ClassWeights) == 0 && l.LabelSmoothing == 0 }

// Validate reports a model whose shapes do not chain.
func (m *Model) Validate() error {
	if m.Inputs <= 0 {
		return fmt.Errorf("model: %d inputs", m.Inputs)
	}
	if err := m.validateHead(); err != nil {
		return err
	}
	if len(m.Layers) == 0 {
		return fmt.Errorf("model: no layers")
	}
	if err := m.validateEmbeddings(); err != nil {
		return err
	}
	width := m.EmbeddedWidth()
	for i, l := range m.Layers {
		if l.In != width {
			return fmt.Errorf("model: layer %d takes %d inputs, previous gives %d", i, l.In, width)
		}
		switch l.Kind {
		case Dense:
			if l.Out <= 0 {
				return fmt.Errorf("model: layer %d: dense with %d units", i, l.Out)
			}
			if !l.Activation.Valid() {
				return fmt.Errorf("model: layer %d: unknown activation %q", i, l.Activation)
			}
		case Dropout:
			if l.Out != l.In || l.Rate < 0 || l.Rate >= 1 {
				return fmt.Errorf("model: layer %d: dropout rate %v", i, l.Rate)
			}
		case BatchNorm:
			if l.Out != l.In || !(l.Eps > 0) || !(l.Momentum >= 0 && l.Momentum <= 1) {
				return fmt.Errorf("model: layer %d: batch norm of %d onto %d, eps %v, momentum %v", i, l.In, l.Out, l.Eps, l.Momentum)
			}
			if !l.Activation.Valid() {
				return fmt.Errorf("model: layer %d: unknown activation %q", i, l.Activation)
			}
		default:
			return fmt.Errorf("model: layer %d: unknown kind %q", i, l.Kind)
		}
		width = l.Out
	}
	if n := len(m.Loss.ClassWeights); n != 0 && (n != m.Classes || m.Regression()) {
		return fmt.Errorf("model: %d class weights for %d classes", n, m.Classes)
	}
	for i, w := range m.Loss.ClassWeights {
		if !(w >= 0) || math.IsInf(w, 0) {
			return fmt.Errorf("model: class %d has weight %v", i, w)
		}
	}
	if !(m.Loss.LabelSmoothing >= 0 && m.Loss.LabelSmoothing < 1) {
		return fmt.Errorf("model: label smoothing %v not in [0, 1)", m.Loss.LabelSmoothing)
	}
	if err := m.Optimizer.Schedule.Validate(); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	last := m.Layers[len(m.Layers)-1]
	if last.Kind != Dense || last.Out != m.Outputs() || last.Activation != ActNone {
		return fmt.Errorf("model: last layer must be dense onto %d outputs with no activation", m.Outputs())
	}
	return nil
}

// validateEmbeddings checks that the index columns are the last of the
// input, in order, and the tables have rows and columns.
func (m *Model) validateEmbeddings() error {
	plain := m.PlainInputs()
	if plain < 0 {
		return fmt.Errorf("model: %d embeddings over %d inputs", len(m.Embeddings), m.Inputs)
	}
	for i, e := range m.Embeddings {
		if e.Column != plain+i {
			return fmt.Errorf("model: embedding %d reads column %d; index columns come after the %d plain ones, in order (want %d)", i, e.Column, plain, plain+i)
		}
		if e.Vocab <= 0 || e.Dim <= 0 {
			return fmt.Errorf("model: embedding %d: %d×%d table", i, e.Vocab, e.Dim)
		}
	}
	return nil
}

// validateHead checks that the classes and the loss fit the head.
func (m *Model) validateHead() error {
	kind := m.LossKind()
	switch m.Head {
	case "", HeadMulticlass:
		if m.Classes < 2 {
			return fmt.Errorf("model: %d classes, need at least 2", m.Classes)
		}
		if kind != LossCrossEntropy {
			return fmt.Errorf("model: loss %s does not go with the multiclass head (cross_entropy does)", kind)
		}
	case HeadBinary:
		if m.Classes != 2 {
			return fmt.Errorf("model: binary head with %d classes, needs 2", m.Classes)
		}
		if kind != LossBCE {
			return fmt.Errorf("model: loss %s does not go with the binary head (binary_cross_entropy does)", kind)
		}
	case HeadRegression:
		if m.Classes != 0 {
			return fmt.Errorf("model: regression head with %d classes, needs 0", m.Classes)
		}
		switch kind {
		case LossMSE, LossMAE:
		case LossHuber:
			if !(m.Loss.Delta > 0) || math.IsInf(m.Loss.Delta, 0) {
				return fmt.Errorf("model: huber delta %v, needs a positive number", m.Loss.Delta)
			}
		default:
			return fmt.Errorf("model: loss %s does not go with the regression head (mse, mae or huber do)", kind)
		}
	default:
		return fmt.Errorf("model: unknown head %q", m.Head)
	}
	if m.Loss.LabelSmoothing != 0 && kind != LossCrossEntropy {
		return fmt.Errorf("model: label smoothing goes with cross_entropy, not %s", kind)
	}
	return nil
}

// WeightName and BiasName name the parameters of dense or batch-norm
// layer i; RunningMeanName and RunningVarName a batch norm's statistics,
// which are saved with the parameters but not trained.
func WeightName(i int) string      { return fmt.Sprintf("layer%d.weight", i) }
func BiasName(i int) string        { return fmt.Sprintf("layer%d.bias", i) }
func RunningMeanName(i int) string { return fmt.Sprintf("layer%d.running_mean", i) }
func RunningVarName(i int) string  { return fmt.Sprintf("layer%d.running_var", i) }

// EmbeddingName names the table of embedding i, Vocab×Dim.
func EmbeddingName(i int) string { return fmt.Sprintf("embedding.%d.weight", i) }
