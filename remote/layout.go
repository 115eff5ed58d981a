package remote

import (
	"net/url"
	"strings"
)

// The names of a remote's objects. Blobs are immutable and named by the
// sha256 of their bytes; a run is visible when its ref is there, and the
// ref is written last; the index entries, written just before it, hold
// the same bytes as the ref and are believed only when the ref exists.
const (
	// markerName holds the remote's format, written by the first push.
	markerName   = "xp-remote.json"
	blobsDir     = "objects/sha256/"
	refsDir      = "runs/"
	keysDir      = "keys/"
	expsDir      = "experiments/"
	checkpoints  = "checkpoints/"
	remoteFormat = "xp-remote/1"
)

// blobName is where the blob whose bytes hash to sha lives.
func blobName(sha string) string { return blobsDir + sha[:2] + "/" + sha }

// refName is the object that makes run uid visible.
func refName(uid string) string { return refsDir + uid }

// keyEntry and expEntry index run uid by its key and by its experiment.
func keyEntry(key, uid string) string { return keyDir(key) + uid }
func keyDir(key string) string        { return keysDir + key + "/" }
func expEntry(exp, uid string) string { return expDir(exp) + uid }
func expDir(exp string) string        { return expsDir + url.PathEscape(exp) + "/" }

// checkpointRef names the checkpoint an interrupted run uid left, which
// `xp resume` continues from on another machine.
func checkpointRef(uid string) string { return checkpoints + uid }

// lastSegment is the part of name after its last slash: a uid in an
// index or in runs/.
func lastSegment(name string) string {
	return name[strings.LastIndexByte(name, '/')+1:]
}
