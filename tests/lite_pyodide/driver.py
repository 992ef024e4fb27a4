"""Calls the generated xlwings Lite main.py on every case of cases.json and writes results.json.

Run by run.mjs inside Pyodide (the job folder is mounted at /job), and by
CPython as ``python driver.py JOB_DIR --timing`` for the same timings
outside the browser. A case is ``{"id", "function", "args"}``; an argument
``{"range": NAME}`` is the range NAME of cases.json, rebuilt as fresh lists
for every call (Lite builds new ones for each call too). The first case is
the first call a Lite user waits for: its time includes importing main.py
(xl_factor, numpy, pandas). ``bench`` times FM_BETA of 2,520 x 500 on Lite-
shaped lists, cold (caches cleared), as the median of ``repeat`` calls.
"""

import json
import os
import platform
import sys
import time
import traceback
import types

JOB = "/job" if sys.platform == "emscripten" else os.path.abspath(sys.argv[1])
TIMING_ONLY = "--timing" in sys.argv
sys.path.insert(0, JOB)

import lite_values  # noqa: E402  (copied into the job folder beside this file)


def fresh(value, ranges):
    if isinstance(value, dict) and set(value) == {"range"}:
        return json.loads(ranges[value["range"]])
    if isinstance(value, list):
        return [fresh(v, ranges) for v in value]
    return value


def clear_caches():
    from xl_factor.sheet import cache

    clear = getattr(cache, "clear_all", None)
    if clear is not None:
        clear()


def run():
    with open(os.path.join(JOB, "cases.json")) as handle:
        job = json.load(handle)
    ranges = {name: json.dumps(rows) for name, rows in job["ranges"].items()}
    cases = job["cases"][:1] if TIMING_ONLY else job["cases"]
    out = {"results": {}, "platform": sys.platform, "python": platform.python_version()}

    started = time.perf_counter()
    main = types.ModuleType("main")
    with open(os.path.join(JOB, "main.py")) as handle:
        exec(compile(handle.read(), "main.py", "exec"), main.__dict__)
    out["import_seconds"] = time.perf_counter() - started

    for case in cases:
        args = [fresh(a, ranges) for a in case["args"]]
        start = time.perf_counter()
        try:
            cells = getattr(main, case["function"])(*args)
            result = {"cells": cells}
        except BaseException:  # noqa: BLE001 - the test reports it; a Lite cell would show an error
            result = {"raised": traceback.format_exc()}
        result["seconds"] = time.perf_counter() - start
        out["results"][case["id"]] = result
        if "first_call_seconds" not in out:
            out["first_call_seconds"] = out["import_seconds"] + result["seconds"]

    from xl_factor.sheet import runtime

    out["memory_budget"] = runtime.runtime_memory_budget()
    out["is_pyodide"] = runtime.is_pyodide()

    bench = job["bench"]
    asset, factors = lite_values.bench_ranges(bench["rows"], bench["assets"], bench["factors"], bench["seed"])
    times = []
    for _ in range(bench["repeat"]):
        a, f = json.loads(json.dumps(asset)), json.loads(json.dumps(factors))  # fresh lists, not timed
        clear_caches()
        start = time.perf_counter()
        betas = main.FM_BETA(a, f)
        times.append(time.perf_counter() - start)
    out["bench"] = {"seconds": sorted(times), "betas": betas}

    with open(os.path.join(JOB, "timing.json" if TIMING_ONLY else "results.json"), "w") as handle:
        json.dump(out, handle)


run()
