package spec

// The Go form of a concrete #Experiment, decoded after unification with the
// embedded schema, so every default is already filled in. Field names follow
// the CUE field names through their json tags; the schema (schema.cue) is the
// source of truth for which values are allowed.

// Spec is one experiment, fully resolved.
type Spec struct {
	// Metadata: recorded, never hashed.
	Description string   `json:"description,omitempty"`
	Tags        []string `json:"tags,omitempty"`

	Data    Data     `json:"data"`
	Model   Model    `json:"model"`
	Train   Train    `json:"train"`
	Metrics []string `json:"metrics"`
	Device  string   `json:"device"` // "cpu" | "auto" | "cuda" | "cuda:N"
}

// MetadataFields are the top-level fields left out of the spec hash.
var MetadataFields = []string{"name", "description", "tags"}

// Data says where the rows come from and how they become a training matrix.
type Data struct {
	Source Source `json:"source"`
	Target string `json:"target"`
	Clean  []Rule `json:"clean"`
	Split  Split  `json:"split"`
}

// Source is one data source; exactly one field is set.
type Source struct {
	File string `json:"file,omitempty"` // relative to the file that defines the experiment
}

// Rule is one cleaning rule; exactly one field is set.
type Rule struct {
	DropNA         *DropNA         `json:"drop_na,omitempty"`
	FillNA         *FillNA         `json:"fill_na,omitempty"`
	Filter         *Filter         `json:"filter,omitempty"`
	DropDuplicates *DropDuplicates `json:"drop_duplicates,omitempty"`
}

// Kind names the rule's single field ("drop_na", ...).
func (r Rule) Kind() string {
	switch {
	case r.DropNA != nil:
		return "drop_na"
	case r.FillNA != nil:
		return "fill_na"
	case r.Filter != nil:
		return "filter"
	case r.DropDuplicates != nil:
		return "drop_duplicates"
	}
	return ""
}

// DropNA drops rows with a missing value in any of Columns (all columns when empty).
type DropNA struct {
	Columns []string `json:"columns,omitempty"`
}

// FillNA replaces missing values of Column. With is "mean", "median", "mode"
// or "constant"; Value is used with "constant" (a number or a string).
// Statistics come from the training split only.
type FillNA struct {
	Column string `json:"column"`
	With   string `json:"with"`
	Value  any    `json:"value,omitempty"`
}

// Filter keeps the rows where Column Op Value holds. Op is one of
// "==", "!=", "<", "<=", ">", ">=", "in"; with "in", Value is a list.
type Filter struct {
	Column string `json:"column"`
	Op     string `json:"op"`
	Value  any    `json:"value"`
}

// DropDuplicates drops rows identical to an earlier row.
type DropDuplicates struct{}

// Split holds the fractions of rows kept for test and validation.
type Split struct {
	Test       float64 `json:"test"`
	Validation float64 `json:"validation"`
	Seed       int64   `json:"seed"`
	Stratify   bool    `json:"stratify"`
}

// Model is either a logistic regression or a stack of layers; exactly one is set.
type Model struct {
	Logreg *Logreg `json:"logreg,omitempty"`
	Layers []Layer `json:"layers,omitempty"`
}

// Logreg is multinomial logistic regression: one dense layer onto the classes.
type Logreg struct{}

// Layer is one hidden layer; exactly one of Dense and Dropout is set.
type Layer struct {
	Dense      int     `json:"dense,omitempty"`      // units
	Activation string  `json:"activation,omitempty"` // with dense: "relu" | "tanh" | "sigmoid" | "none"
	Dropout    float64 `json:"dropout,omitempty"`    // drop probability
}

// Train holds the optimisation settings.
type Train struct {
	Epochs    int       `json:"epochs"`
	BatchSize int       `json:"batch_size"`
	Seed      int64     `json:"seed"`
	Optimizer Optimizer `json:"optimizer"`
	Loss      Loss      `json:"loss"`
}

// Optimizer: exactly one field is set.
type Optimizer struct {
	SGD  *SGD  `json:"sgd,omitempty"`
	Adam *Adam `json:"adam,omitempty"`
}

// SGD is stochastic gradient descent with optional momentum.
type SGD struct {
	LR          float64 `json:"lr"`
	Momentum    float64 `json:"momentum"`
	WeightDecay float64 `json:"weight_decay"`
}

// Adam is Kingma and Ba's optimizer, PyTorch's defaults.
type Adam struct {
	LR          float64 `json:"lr"`
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"`
}

// Loss: exactly one field is set.
type Loss struct {
	CrossEntropy *CrossEntropy `json:"cross_entropy,omitempty"`
}

// CrossEntropy is softmax cross-entropy over the classes.
type CrossEntropy struct{}
