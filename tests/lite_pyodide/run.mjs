// Runs the generated xlwings Lite main.py in a real Pyodide under Node: one process for every case.
//
//   node run.mjs PYODIDE_DIR JOB_DIR
//
// JOB_DIR holds job.json ({"wheels": [file names in JOB_DIR], "driver": "driver.py"}), the wheels,
// main.py and cases.json; it is mounted at /job inside Pyodide, where driver.py writes results.json.
// Timings of the steps a Lite user waits for (Pyodide, its packages, the wheels) go into load.json.
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, jobDir] = process.argv.slice(2).map((p) => resolve(p));
const job = JSON.parse(readFileSync(join(jobDir, "job.json"), "utf8"));
const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;
const load = {};
let start = process.hrtime.bigint();
// One short line on failure (Pyodide's own traceback), not the minified source Node would print.
process.on("unhandledRejection", (error) => {
  process.stderr.write(`run.mjs: ${error && error.message ? error.message : error}\n`);
  process.exit(1);
});

const { loadPyodide } = await import(pathToFileURL(join(pyodideDir, "pyodide.mjs")).href);
const pyodide = await loadPyodide({
  indexURL: pyodideDir + "/",
  stdout: (line) => process.stderr.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
});
load.pyodide_seconds = seconds(start);
load.pyodide_version = pyodide.version;

start = process.hrtime.bigint();
await pyodide.loadPackage(["numpy", "pandas", "scipy", "micropip"], { messageCallback: () => {} });
load.packages_seconds = seconds(start);

pyodide.FS.mkdirTree("/job");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: jobDir }, "/job");

start = process.hrtime.bigint();
const micropip = pyodide.pyimport("micropip");
for (const wheel of job.wheels) {
  await micropip.install.callKwargs("emfs:/job/" + wheel, { deps: false });
}
load.wheels_seconds = seconds(start);
const heap = () => pyodide._module.HEAPU8.length;
load.heap_bytes_loaded = heap();
writeFileSync(join(jobDir, "load.json"), JSON.stringify(load));

await pyodide.runPythonAsync(readFileSync(join(jobDir, job.driver), "utf8"));
load.heap_bytes_after = heap();
writeFileSync(join(jobDir, "load.json"), JSON.stringify(load));
