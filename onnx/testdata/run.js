// Scores rows with an ONNX model in onnxruntime-node, a real runtime:
//   node run.js model.onnx rows.json
// rows.json is {"name": {"type": "float64" | "string", "values": [...]}}
// with one value per row (null is NaN); the answer, on stdout, is every
// output as {"name": {"dims": [...], "data": [...]}}.
const fs = require("fs");
const ort = require("onnxruntime-node");

async function main() {
	const [modelPath, rowsPath] = process.argv.slice(2);
	const rows = JSON.parse(fs.readFileSync(rowsPath, "utf8"));
	const feeds = {};
	for (const [name, col] of Object.entries(rows)) {
		const n = col.values.length;
		const data = col.type === "string"
			? col.values
			: Float64Array.from(col.values, (v) => (v === null ? NaN : v));
		feeds[name] = new ort.Tensor(col.type, data, [n, 1]);
	}
	const session = await ort.InferenceSession.create(modelPath);
	const out = await session.run(feeds);
	const answer = {};
	for (const [name, t] of Object.entries(out)) {
		answer[name] = { dims: t.dims, data: Array.from(t.data, (v) => (typeof v === "bigint" ? Number(v) : v)) };
	}
	process.stdout.write(JSON.stringify(answer));
}

main().catch((err) => {
	process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
	process.exit(1);
});
