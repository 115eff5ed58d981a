package spec

import "encoding/json"

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
	// Sweep, when set, makes the experiment many runs (Experiment.Points);
	// a point's spec has none.
	Sweep *Sweep `json:"sweep,omitempty"`
}

// MetadataFields are the top-level fields left out of the spec hash.
var MetadataFields = []string{"name", "description", "tags"}

// Data says where the rows come from and how they become a training matrix.
type Data struct {
	Source     Source  `json:"source"`
	TestSource *Source `json:"test_source,omitempty"` // test rows from their own file; Split.Test is then 0
	Target     string  `json:"target"`
	// Prepare are rules run on all the rows before the split; the schema
	// allows only drop_duplicates, drop_na and filter (#PrepareRule).
	Prepare  []Rule             `json:"prepare,omitempty"`
	Clean    []Rule             `json:"clean"`
	Features map[string]Feature `json:"features,omitempty"` // by column name
	Split    Split              `json:"split"`
	Limits   *Limits            `json:"limits,omitempty"` // not in the spec hash (DataMetadataFields)
}

// DataMetadataFields are the fields of data left out of the spec hash:
// they bound what reading costs, not what is computed.
var DataMetadataFields = []string{"limits"}

// Limits bound what reading a source may cost; a zero field takes its
// default (package data).
type Limits struct {
	DecompressedBytes      int64   `json:"decompressed_bytes,omitempty"`
	LineBytes              int64   `json:"line_bytes,omitempty"`
	DownloadBytes          int64   `json:"download_bytes,omitempty"`
	DownloadIdleSeconds    float64 `json:"download_idle_seconds,omitempty"`
	DownloadTimeoutSeconds float64 `json:"download_timeout_seconds,omitempty"`
}

// Source is one data source; exactly one field is set.
type Source struct {
	File      string     `json:"file,omitempty"` // relative to the file that defines the experiment
	HTTP      *HTTP      `json:"http,omitempty"`
	S3        *S3        `json:"s3,omitempty"`
	Synthetic *Synthetic `json:"synthetic,omitempty"`
}

// Kind names the source's single field ("file", "http", "s3", "synthetic").
func (s Source) Kind() string {
	switch {
	case s.File != "":
		return "file"
	case s.HTTP != nil:
		return "http"
	case s.S3 != nil:
		return "s3"
	case s.Synthetic != nil:
		return "synthetic"
	}
	return ""
}

// HTTP is a file fetched over HTTP(S), pinned by the sha256 of its bytes.
type HTTP struct {
	URL    string `json:"url"`
	SHA256 string `json:"sha256"`
	Format string `json:"format,omitempty"` // "csv" | "tsv" | "jsonl" | "parquet"; default from the URL's path
}

// S3 is an object in an S3-compatible store. Credentials never appear here.
type S3 struct {
	Bucket   string `json:"bucket"`
	Key      string `json:"key"`
	Endpoint string `json:"endpoint,omitempty"` // default s3.amazonaws.com
	Region   string `json:"region,omitempty"`
	SHA256   string `json:"sha256,omitempty"` // optional pin
	Format   string `json:"format,omitempty"`
}

// Synthetic is a seeded generator; exactly one field is set.
type Synthetic struct {
	Classification *SynthClassification `json:"classification,omitempty"`
	Interactions   *SynthInteractions   `json:"interactions,omitempty"`
}

// Kind names the generator's single field ("classification", ...).
func (s Synthetic) Kind() string {
	switch {
	case s.Classification != nil:
		return "classification"
	case s.Interactions != nil:
		return "interactions"
	}
	return ""
}

// SynthClassification makes rows around one random centre per class.
type SynthClassification struct {
	Rows        int     `json:"rows"`
	Features    int     `json:"features"`
	Categorical int     `json:"categorical"`
	Levels      int     `json:"levels"`
	Classes     int     `json:"classes"`
	Separation  float64 `json:"separation"`
	Missing     float64 `json:"missing"`
	Seed        int64   `json:"seed"`
}

// SynthInteractions makes user-item pairs from latent factors.
type SynthInteractions struct {
	Users        int   `json:"users"`
	Items        int   `json:"items"`
	Interactions int   `json:"interactions"`
	Factors      int   `json:"factors"`
	Negatives    int   `json:"negatives"`
	Seed         int64 `json:"seed"`
}

// Feature says how one column becomes model inputs; exactly one field is set.
type Feature struct {
	Numeric     *NumericFeature     `json:"numeric,omitempty"`
	Categorical *CategoricalFeature `json:"categorical,omitempty"`
	Text        *TextFeature        `json:"text,omitempty"`
	ID          *IDFeature          `json:"id,omitempty"`
}

// Kind names the feature's single field ("numeric", ...).
func (f Feature) Kind() string {
	switch {
	case f.Numeric != nil:
		return "numeric"
	case f.Categorical != nil:
		return "categorical"
	case f.Text != nil:
		return "text"
	case f.ID != nil:
		return "id"
	}
	return ""
}

// NumericFeature: Encoding is "standardize", "minmax" or "none".
type NumericFeature struct {
	Encoding string `json:"encoding"`
}

// CategoricalFeature: Encoding is "onehot" or "embedding" (an index into
// a learned table of Dim columns).
type CategoricalFeature struct {
	Encoding      string `json:"encoding"`
	MaxCategories int    `json:"max_categories,omitempty"`
	Dim           int    `json:"dim,omitempty"`
}

// TextFeature is a hashed bag of word n-grams.
type TextFeature struct {
	Encoding string `json:"encoding"` // "hashing"
	Buckets  int    `json:"buckets"`
	NGrams   int    `json:"ngrams"`
	Binary   bool   `json:"binary"`
	Norm     string `json:"norm"` // "l2" | "none"
}

// IDFeature is an identifier encoded one-hot over the training ids plus an
// unknown input, or with Dim as an index into an embedding table.
type IDFeature struct {
	MaxIDs int `json:"max_ids,omitempty"`
	Dim    int `json:"dim,omitempty"`
}

// Rule is one cleaning rule; exactly one field is set.
type Rule struct {
	DropColumns    *DropColumns      `json:"drop_columns,omitempty"`
	Rename         map[string]string `json:"rename,omitempty"`
	Cast           *Cast             `json:"cast,omitempty"`
	DropNA         *DropNA           `json:"drop_na,omitempty"`
	FillNA         *FillNA           `json:"fill_na,omitempty"`
	Filter         *Filter           `json:"filter,omitempty"`
	DropDuplicates *DropDuplicates   `json:"drop_duplicates,omitempty"`
	Clip           *Clip             `json:"clip,omitempty"`
	Replace        *Replace          `json:"replace,omitempty"`
	NormalizeText  *NormalizeText    `json:"normalize_text,omitempty"`
}

// Kind names the rule's single field ("drop_na", ...).
func (r Rule) Kind() string {
	switch {
	case r.DropColumns != nil:
		return "drop_columns"
	case r.Rename != nil:
		return "rename"
	case r.Cast != nil:
		return "cast"
	case r.DropNA != nil:
		return "drop_na"
	case r.FillNA != nil:
		return "fill_na"
	case r.Filter != nil:
		return "filter"
	case r.DropDuplicates != nil:
		return "drop_duplicates"
	case r.Clip != nil:
		return "clip"
	case r.Replace != nil:
		return "replace"
	case r.NormalizeText != nil:
		return "normalize_text"
	}
	return ""
}

// DropColumns removes Columns.
type DropColumns struct {
	Columns []string `json:"columns"`
}

// Cast makes Column hold numbers (To "number"; values that do not parse
// become missing) or text (To "text").
type Cast struct {
	Column string `json:"column"`
	To     string `json:"to"`
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

// DropDuplicates drops rows identical to an earlier row, in all columns or
// in those of Subset.
type DropDuplicates struct {
	Subset []string `json:"subset,omitempty"`
}

// Clip limits Column to [Min, Max] (either may be absent) or to the
// training split's Quantiles [lower, upper].
type Clip struct {
	Column    string    `json:"column"`
	Min       *float64  `json:"min,omitempty"`
	Max       *float64  `json:"max,omitempty"`
	Quantiles []float64 `json:"quantiles,omitempty"`
}

// Replace maps values of Column; a nil value makes it missing.
type Replace struct {
	Column string         `json:"column"`
	Values map[string]any `json:"values"`
}

// NormalizeText rewrites text columns.
type NormalizeText struct {
	Columns   []string `json:"columns"`
	Lowercase bool     `json:"lowercase"`
	Trim      bool     `json:"trim"`
	StripHTML bool     `json:"strip_html"`
}

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
	// Head is "multiclass", "binary" or "regression"; "" lets the loss
	// or the target decide (see Spec.Head).
	Head string `json:"head,omitempty"`
}

// The heads a model may have.
const (
	HeadMulticlass = "multiclass"
	HeadBinary     = "binary"
	HeadRegression = "regression"
)

// Logreg is multinomial logistic regression: one dense layer onto the classes.
type Logreg struct{}

// Layer is one hidden layer; exactly one of Dense and Dropout is set.
type Layer struct {
	Dense      int     `json:"dense,omitempty"`      // units
	Activation string  `json:"activation,omitempty"` // with dense: "relu" | "leaky_relu" | "gelu" | "tanh" | "sigmoid" | "none"
	BatchNorm  bool    `json:"batch_norm,omitempty"` // with dense: batch normalisation before the activation
	Dropout    float64 `json:"dropout,omitempty"`    // drop probability
}

// Train holds the optimisation settings.
type Train struct {
	Epochs    int       `json:"epochs"`
	BatchSize int       `json:"batch_size"`
	Seed      int64     `json:"seed"`
	Optimizer Optimizer `json:"optimizer"`
	Loss      Loss      `json:"loss"`
	// ClipNorm, when set, bounds the gradients' global L2 norm.
	ClipNorm float64   `json:"clip_norm,omitempty"`
	Schedule *Schedule `json:"schedule,omitempty"`
	Warmup   *Warmup   `json:"warmup,omitempty"`
	// EarlyStopping, when set, ends training once a metric stops improving.
	EarlyStopping *EarlyStopping `json:"early_stopping,omitempty"`
}

// EarlyStopping stops after Patience epochs without an improvement of more
// than MinDelta in Metric ("validation.auc", "val.loss", "train.loss").
type EarlyStopping struct {
	Metric   string  `json:"metric"`
	Mode     string  `json:"mode,omitempty"` // "min" | "max"; "" picks by the metric
	Patience int     `json:"patience"`
	MinDelta float64 `json:"min_delta"`
}

// Schedule: exactly one field is set.
type Schedule struct {
	Constant *struct{}       `json:"constant,omitempty"`
	Step     *StepSchedule   `json:"step,omitempty"`
	Cosine   *CosineSchedule `json:"cosine,omitempty"`
}

// StepSchedule multiplies the rate by Gamma every StepSize epochs.
type StepSchedule struct {
	StepSize int     `json:"step_size"`
	Gamma    float64 `json:"gamma"`
}

// CosineSchedule anneals the rate to EtaMin over TMax epochs (0: all of them).
type CosineSchedule struct {
	TMax   int     `json:"t_max,omitempty"`
	EtaMin float64 `json:"eta_min"`
}

// Warmup is a linear warmup over Epochs epochs or Steps steps (one is set).
type Warmup struct {
	Epochs int `json:"epochs,omitempty"`
	Steps  int `json:"steps,omitempty"`
}

// Optimizer: exactly one field is set.
type Optimizer struct {
	SGD     *SGD     `json:"sgd,omitempty"`
	Adam    *Adam    `json:"adam,omitempty"`
	AdamW   *Adam    `json:"adamw,omitempty"` // decoupled weight decay
	RMSprop *RMSprop `json:"rmsprop,omitempty"`
}

// RMSprop is torch.optim.RMSprop (not centered), PyTorch's defaults.
type RMSprop struct {
	LR          float64 `json:"lr"`
	Alpha       float64 `json:"alpha"`
	Eps         float64 `json:"eps"`
	Momentum    float64 `json:"momentum"`
	WeightDecay float64 `json:"weight_decay"`
}

// SGD is stochastic gradient descent with optional momentum.
type SGD struct {
	LR          float64 `json:"lr"`
	Momentum    float64 `json:"momentum"`
	WeightDecay float64 `json:"weight_decay"`
	Nesterov    bool    `json:"nesterov,omitempty"`
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
	CrossEntropy       *CrossEntropy       `json:"cross_entropy,omitempty"`
	BinaryCrossEntropy *BinaryCrossEntropy `json:"binary_cross_entropy,omitempty"`
	MSE                *struct{}           `json:"mse,omitempty"`
	MAE                *struct{}           `json:"mae,omitempty"`
	Huber              *Huber              `json:"huber,omitempty"`
}

// Kind names the loss's single field ("cross_entropy", "mse", ...).
func (l Loss) Kind() string {
	switch {
	case l.CrossEntropy != nil:
		return "cross_entropy"
	case l.BinaryCrossEntropy != nil:
		return "binary_cross_entropy"
	case l.MSE != nil:
		return "mse"
	case l.MAE != nil:
		return "mae"
	case l.Huber != nil:
		return "huber"
	}
	return ""
}

// Head is the head the loss goes with ("" for none set).
func (l Loss) Head() string {
	switch l.Kind() {
	case "cross_entropy":
		return HeadMulticlass
	case "binary_cross_entropy":
		return HeadBinary
	case "mse", "mae", "huber":
		return HeadRegression
	}
	return ""
}

// BinaryCrossEntropy is BCEWithLogitsLoss on the binary head's logit.
type BinaryCrossEntropy struct {
	ClassWeights *ClassWeights `json:"class_weights,omitempty"`
}

// Huber is HuberLoss(delta).
type Huber struct {
	Delta float64 `json:"delta"`
}

// CrossEntropy is softmax cross-entropy over the classes.
type CrossEntropy struct {
	ClassWeights   *ClassWeights `json:"class_weights,omitempty"`
	LabelSmoothing float64       `json:"label_smoothing,omitempty"`
}

// ClassWeights is "balanced" or a weight per class label (see class_weights.go).
type ClassWeights struct {
	Balanced bool
	ByLabel  map[string]float64
}

// Sweep turns one experiment into many points, each a concrete experiment
// with values substituted at paths of the spec (see sweep.go).
type Sweep struct {
	Method  string                `json:"method"` // "grid" | "random" | "tpe" | "asha"
	Params  map[string]SweepParam `json:"params"` // by path in the spec
	Trials  int                   `json:"trials,omitempty"`
	Startup int                   `json:"startup,omitempty"` // tpe: points drawn at random first
	// MinEpochs and ReductionFactor are an asha sweep's rungs (Rungs).
	MinEpochs       int       `json:"min_epochs,omitempty"`
	ReductionFactor int       `json:"reduction_factor,omitempty"`
	Seed            int64     `json:"seed"`
	Parallel        int       `json:"parallel"`
	MaxPoints       int       `json:"max_points,omitempty"` // 0: DefaultMaxPoints
	Metric          string    `json:"metric"`               // "<split>.<name>"
	Mode            string    `json:"mode,omitempty"`       // "min" | "max"; "" follows the metric
	Resources       Resources `json:"resources"`
	Prune           *Prune    `json:"prune,omitempty"`
	Stop            *Stop     `json:"stop,omitempty"`
	// Executor is where the points train: "local", "slurm" or
	// "kubernetes"; Slurm the sbatch options of its tasks, Kubernetes
	// where and how its pods run. None changes a key or the sweep id.
	Executor   string      `json:"executor"`
	Slurm      *Slurm      `json:"slurm,omitempty"`
	Kubernetes *Kubernetes `json:"kubernetes,omitempty"`
}

// Executors of a sweep.
const (
	ExecutorLocal = "local"
	ExecutorSlurm = "slurm"
	// ExecutorKubernetes runs the points as one Indexed Job.
	ExecutorKubernetes = "kubernetes"
)

// How the pods of a Kubernetes sweep report their points (Kubernetes.Report).
const (
	ReportVolume = "volume"
	ReportRemote = "remote"
)

// Kubernetes is where and how the pods of a sweep run on Kubernetes; ""
// leaves a field to the cluster (or to xp run's --k8s-* flags).
type Kubernetes struct {
	Namespace      string `json:"namespace,omitempty"`
	Image          string `json:"image,omitempty"`
	ServiceAccount string `json:"service_account,omitempty"`
	// Claim is a ReadWriteMany PersistentVolumeClaim mounted at the
	// project's path in every pod.
	Claim string `json:"claim,omitempty"`
	// Report is how the pods report their points: ReportVolume (the run
	// directory on the shared volume; "" is it) or ReportRemote (the
	// project's remote, for a cluster with no volume shared with the
	// machine that submits).
	Report string `json:"report,omitempty"`
	// Remote names the remote of xp.cue the pods report through (""
	// the default one); Secret is a Secret whose keys become the pods'
	// environment (the remote's credentials); Workdir is the project's
	// path in the image, the pods' working directory ("" the image's).
	Remote       string            `json:"remote,omitempty"`
	Secret       string            `json:"secret,omitempty"`
	Workdir      string            `json:"workdir,omitempty"`
	NodeSelector map[string]string `json:"node_selector,omitempty"`
	Tolerations  []Toleration      `json:"tolerations,omitempty"`
	// Extra is a JSON merge patch (RFC 7386) applied to the Job.
	Extra map[string]any `json:"extra,omitempty"`
}

// Toleration is a pod's toleration of a node taint.
type Toleration struct {
	Key               string `json:"key,omitempty"`
	Operator          string `json:"operator,omitempty"`
	Value             string `json:"value,omitempty"`
	Effect            string `json:"effect,omitempty"`
	TolerationSeconds *int64 `json:"toleration_seconds,omitempty"`
}

// Slurm is the sbatch options of every array task of a sweep run on Slurm;
// "" leaves an option to the cluster.
type Slurm struct {
	Partition string `json:"partition,omitempty"`
	Account   string `json:"account,omitempty"`
	Time      string `json:"time,omitempty"`
	Mem       string `json:"mem,omitempty"`
	// Requeue is how many times a point stopped at its time limit or
	// preempted is submitted again (nil: DefaultRequeue).
	Requeue *int     `json:"requeue,omitempty"`
	Extra   []string `json:"extra,omitempty"`
}

// DefaultRequeue is how many times a Slurm task stopped at its time
// limit or preempted is requeued when the spec does not say: once, which
// finishes a point whose time was set a little short, or preempted once,
// losing at most the epoch in flight, without multiplying the cluster
// time of a point whose limit is far too short.
const DefaultRequeue = 1

// Requeues is how many times a task of the sweep sw is requeued.
func (s *Slurm) Requeues() int {
	if s == nil || s.Requeue == nil {
		return DefaultRequeue
	}
	return *s.Requeue
}

// SweepParam is the values of one swept path: a list of Choices, or a
// distribution (Dist "uniform", "log_uniform" or "int_uniform") over
// [Low, High] for a random or tpe sweep. It reads and writes the JSON of the
// schema (a list, or {uniform: [lo, hi]}).
type SweepParam struct {
	Dist      string // "choice" for a list
	Choices   []json.RawMessage
	Low, High float64
}

// Resources is what each point of a sweep asks for.
type Resources struct {
	CPUs int `json:"cpus"`
	GPUs int `json:"gpus"`
	// Memory is a Kubernetes quantity ("8Gi"); "" asks for none.
	Memory string `json:"memory,omitempty"`
}

// Stop ends a sweep early (see sweep/stop.go).
type Stop struct {
	// MetricAtLeast: a point's metric reached it (>= for mode max, <= for
	// min).
	MetricAtLeast *float64 `json:"metric_at_least,omitempty"`
	// NoImprovementIn: the best did not improve in that many points.
	NoImprovementIn int `json:"no_improvement_in,omitempty"`
}

// Prune stops unpromising points early.
type Prune struct {
	Rule      string `json:"rule"`             // "median"
	Metric    string `json:"metric,omitempty"` // "validation.<name>"; "" follows the sweep's metric
	Grace     int    `json:"grace"`            // epochs before a point may be stopped
	MinPoints int    `json:"min_points"`       // completed points needed to compare with
}

// Head is the head the spec itself decides: model.head when set, else the
// head of a loss other than the default plain cross_entropy (which an
// absent loss resolves to, so the two cannot be told apart), else "": the
// target decides (see the runner).
func (s *Spec) Head() string {
	if s.Model.Head != "" {
		return s.Model.Head
	}
	if l := s.Train.Loss; l.CrossEntropy == nil || l.CrossEntropy.ClassWeights != nil || l.CrossEntropy.LabelSmoothing != 0 {
		return l.Head()
	}
	return ""
}
