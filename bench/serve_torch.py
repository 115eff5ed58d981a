"""The baseline of make bench-serve: a minimal Python HTTP server around the
same model as PyTorch, as one would write it without xp.

    serve_torch.py RUN_DIR PORT [THREADS]

RUN_DIR is an xp run's artifact directory: its preprocessing.json (numeric
fill_na steps, standardize/minmax/none, one-hot with an optional shared
"other" input) and weights.bin (the network's dense layers) are read into
numpy and a torch.nn.Sequential. POST /v1/models/<name>:predict takes the
body xp serve takes, {"rows": [{column: value, ...}]}, and answers the
class and each class's probability, as xp serve does. The server is the
standard library's ThreadingHTTPServer (a thread per connection, HTTP/1.1
keep-alive, TCP_NODELAY), with torch set to THREADS threads (default 1).
"""

import json
import struct
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import torch


def read_weights(path):
    """weights.bin: b"XPW\\x01", a count, then per tensor its name, shape and float32s."""
    with open(path, "rb") as f:
        buf = f.read()
    if buf[:4] != b"XPW\x01":
        raise ValueError(f"{path}: not an xp weights file")
    (count,) = struct.unpack_from("<I", buf, 4)
    off, out = 8, {}
    for _ in range(count):
        (n,) = struct.unpack_from("<H", buf, off)
        off += 2
        name = buf[off : off + n].decode()
        off += n
        rank = buf[off]
        off += 1
        shape = struct.unpack_from(f"<{rank}I", buf, off)
        off += 4 * rank
        size = int(np.prod(shape)) if shape else 1
        out[name] = np.frombuffer(buf, dtype="<f4", count=size, offset=off).reshape(shape)
        off += 4 * size
    return out


class Preprocess:
    """The run's fitted preprocessing, for the steps and encodings credit uses."""

    def __init__(self, pipeline):
        self.fills = {}
        for s in pipeline["steps"]:
            if s["kind"] != "fill_na" or not s["fill"]["numeric"]:
                raise ValueError(f"step {s['kind']} is not in this baseline")
            self.fills[s["fill"]["column"]] = s["fill"].get("number", 0.0)
        self.columns = pipeline["columns"]
        self.classes = pipeline["classes"]

    def encode(self, rows):
        x = []
        for row in rows:
            feats = []
            for c in self.columns:
                v = row[c["name"]]
                enc = c["encoding"]
                if enc in ("standardize", "minmax", "none"):
                    if v is None:
                        v = self.fills.get(c["name"], c.get("mean", 0.0))
                    if enc == "standardize":
                        v = (v - c.get("mean", 0.0)) / c["std"]
                    elif enc == "minmax":
                        span = (c.get("max", 0.0) - c.get("min", 0.0)) or 1.0
                        v = (v - c.get("min", 0.0)) / span
                    feats.append(v)
                elif enc == "onehot":
                    cats = c.get("categories", [])
                    hot = [0.0] * (len(cats) + (1 if c.get("other") else 0))
                    if v in cats:
                        hot[cats.index(v)] = 1.0
                    elif c.get("other"):
                        hot[-1] = 1.0
                    feats.extend(hot)
                else:
                    raise ValueError(f"encoding {enc} is not in this baseline")
            x.append(feats)
        return torch.tensor(np.asarray(x, dtype=np.float32))


def build_model(weights, spec):
    acts = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}
    dense = [l for l in spec["model"].get("layers", []) if l.get("dense")]
    layers, i = [], 0
    while f"layer{i}.weight" in weights:
        w, b = weights[f"layer{i}.weight"], weights[f"layer{i}.bias"]
        lin = torch.nn.Linear(w.shape[0], w.shape[1])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w.T.copy()))
            lin.bias.copy_(torch.from_numpy(b.copy()))
        layers.append(lin)
        if i < len(dense):
            layers.append(acts[dense[i].get("activation", "relu")]())
        i += 1
    return torch.nn.Sequential(*layers).eval()


def main():
    run_dir, port = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    with open(f"{run_dir}/preprocessing.json") as f:
        pre = Preprocess(json.load(f))
    with open(f"{run_dir}/spec.json") as f:
        spec = json.load(f)
    model = build_model(read_weights(f"{run_dir}/weights.bin"), spec)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Without it the headers and the body leave in two packets and
        # Nagle's algorithm holds the second until the client's delayed
        # ACK: 40 ms a request on Linux, a stall, not the cost of Python.
        disable_nagle_algorithm = True

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            rows = json.loads(body)["rows"]
            with torch.no_grad():
                probs = torch.softmax(model(pre.encode(rows)), dim=1).numpy()
            preds = [
                {
                    "class": pre.classes[int(p.argmax())],
                    "probabilities": {c: float(v) for c, v in zip(pre.classes, p)},
                }
                for p in probs
            ]
            out = json.dumps({"predictions": preds}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "3")
            self.end_headers()
            self.wfile.write(b"ok\n")

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
