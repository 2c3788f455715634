#!/usr/bin/env python3
"""The workflow benchmarks of scripts/bench on a synthetic decade (scripts/make-synthetic-workflow):
request files, the SQL the daemon sends for each request captured from PostgreSQL's own log
and written out as pgbench scripts, and pgbench's per-transaction logs summed up.

    bench-workflow.py requests CONNINFO OUTDIR --psql PSQL [--sample 40] [--plans 4000] [--runs 8] [--mix 100000]
    bench-workflow.py capture PORT CSVLOG REQDIR OUTDIR --psql PSQL --conninfo C
    bench-workflow.py pgbench-summary LOGDIR PREFIX OUT.json LABEL
    bench-workflow.py merge RESULTSDIR NAME ROUNDS

Why a capture: "the same SQL run directly" has to be the statements the daemon really sends,
with the parameters it really binds, not a transcription that drifts from the store. With
`log_statement = all` for the length of the capture, every request of a group is sent once,
alone, between two marker statements; what the daemon's sessions logged in between is that
request's SQL (the sessions the daemon uses while idle, its probe and its graph sync, are
learned first and left out). Each parameter is written into its statement as a quoted literal, which PostgreSQL
types from context as it types an unknown parameter, and pgbench -M simple replays it.

Two things cannot be replayed verbatim, and are rewritten: the id a `RETURNING id` gives back
(later statements of the same request use it) becomes a pgbench `\\gset` variable, and the
start time of `MEETING PLAN` becomes a random half-hour slot over ten years, so that repeating
a script does not plan one meeting on top of itself thousands of times (which the daemon's own
runs, each request planned once, never do either).
"""
import csv
import importlib.util
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time

_spec = importlib.util.spec_from_file_location("bench_baselines", os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench-baselines.py"))
baselines = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(baselines)

# Each group: its name, the command as the table names it, and its p99 target in ms.
GROUPS = [
    ("meeting-plan", "MEETING PLAN", 10),
    ("due", "DUE", 10),
    ("gaps-agenda", "GAPS agenda", 10),
    ("trajectory", "TRAJECTORY <key>", 10),
    ("export-ics-node", "EXPORT ics node=", 10),
    ("export-ics-year", "EXPORT ics node= from=, the last year on", 10),
    ("gaps-stale", "GAPS stale", 25),
    ("match", "MATCH", 25),
    ("report-1y", "REPORT, one year", 100),
    ("report-10y", "REPORT, ten years", 500),
    ("audit-node", "AUDIT node=", 10),
]

# The first slot MEETING PLAN uses: a Monday after the synthetic meetings' last year starts.
PLAN_EPOCH = "2027-01-04 08:00"
PLAN_SLOTS = 20  # half-hour slots a day, 08:00 to 18:00


def psql_rows(psql, conninfo, query):
    out = subprocess.run([psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", conninfo, "-c", query],
                         check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def slot_time(slot):
    """The Amsterdam wall-clock start of half-hour slot N after PLAN_EPOCH (weekdays and
    weekends alike, 08:00 to 18:00)."""
    import datetime
    day, within = divmod(slot, PLAN_SLOTS)
    start = datetime.datetime(2027, 1, 4, 8, 0) + datetime.timedelta(days=day, minutes=30 * within)
    return start.strftime("%Y-%m-%dT%H:%M")


def requests(conninfo, out_dir, psql, sample, plans, runs, mix):
    """One request file per group (SAMPLE distinct requests, what both the daemon and pgbench
    run); for MEETING PLAN one file of PLANS new meetings per run, each in a slot of its own;
    PATH requests on the seed graph; and a file of MIX requests per run for the 90/10 mix."""
    rng = random.Random(20)
    trajectories = psql_rows(psql, conninfo, "SELECT key FROM trajectories ORDER BY key")
    municipalities = psql_rows(psql, conninfo, "SELECT key FROM nodes WHERE kind = 'municipality' ORDER BY key")
    ministries = psql_rows(psql, conninfo, "SELECT key FROM nodes WHERE kind = 'ministry' ORDER BY key")
    provinces = psql_rows(psql, conninfo, "SELECT key FROM nodes WHERE kind = 'province' ORDER BY key")
    themes = psql_rows(psql, conninfo, "SELECT key FROM themes ORDER BY key")
    asked = psql_rows(psql, conninfo, "SELECT id FROM signals WHERE kind IN ('problem', 'need') ORDER BY id")
    owners = psql_rows(psql, conninfo, "SELECT DISTINCT owner_key FROM milestones WHERE owner_key IS NOT NULL ORDER BY 1")
    if not (trajectories and municipalities and ministries and provinces and themes and asked):
        sys.exit("bench-workflow: the database has no synthetic workflow (run scripts/make-synthetic-workflow first)")

    def pick(items, n):
        return [rng.choice(items) for _ in range(n)]

    def plan(slot):
        parties = rng.sample(municipalities, rng.randint(1, 3)) + [rng.choice(ministries)]
        if rng.random() < 0.5:
            parties.append(rng.choice(provinces))
        return "MEETING PLAN %s %s %s title=\"Overleg %d\"" % (rng.choice(trajectories), slot_time(slot), " ".join(parties), slot)

    files = {
        "due": [rng.choice(["DUE", "DUE within=30d", "DUE trajectory=%s" % rng.choice(trajectories),
                            "DUE owner=%s" % rng.choice(owners or municipalities), "DUE theme=%s" % rng.choice(themes)])
                for _ in range(sample)],
        "gaps-agenda": [["GAPS agenda", "GAPS agenda by=province", "GAPS agenda by=functional"][i % 3] for i in range(sample)],
        "trajectory": ["TRAJECTORY " + t for t in pick(trajectories, sample)],
        "export-ics-node": ["EXPORT ics node=" + m for m in pick(municipalities, sample)],
        # What a calendar program asks: the past year and everything planned (the synthetic
        # decade's meetings run to mid-2027). A generator of its own leaves the other groups'
        # requests as they were.
        "export-ics-year": ["EXPORT ics node=%s from=2025-12-01" % m
                            for m in (random.Random(21).choice(municipalities) for _ in range(sample))],
        "gaps-stale": [["GAPS stale", "GAPS stale days=90", "GAPS stale days=365 limit=100"][i % 3] for i in range(sample)],
        "match": ["MATCH " + s for s in pick(asked, sample)],
        "report-1y": ["REPORT from=%d-%02d-01 to=%d-%02d-%02d" % (y, m, y + 1, m, 28 if m == 2 else 30)
                      for y, m in ((rng.randint(2017, 2025), rng.randint(1, 12)) for _ in range(sample))],
        "report-10y": ["REPORT from=%d-%02d-01 to=%d-%02d-28" % (2016, m, 2026, m) for m in (1 + i % 12 for i in range(sample))],
        "audit-node": ["AUDIT node=" + m for m in pick(municipalities, sample)],
    }
    # REPORT's period ends on a day that exists: the 30th of February does not.
    files["report-1y"] = [line.replace("-02-30", "-02-28") for line in files["report-1y"]]
    # The captured plans sit in slots of their own, far after the runs' slots.
    files["meeting-plan"] = [plan(slot) for slot in range(plans * runs + 1000, plans * runs + 1000 + sample)]
    for name, lines in files.items():
        baselines.write_lines(os.path.join(out_dir, name + ".txt"), lines)
    for run in range(1, runs + 1):
        baselines.write_lines(os.path.join(out_dir, "meeting-plan-%d.txt" % run),
                              [plan(slot) for slot in range((run - 1) * plans, run * plans)])
    # The reads of the graph, asked of a daemon with and without the decade loaded.
    baselines.write_lines(os.path.join(out_dir, "path.txt"),
                          ["PATH %s %s" % (rng.choice(municipalities), rng.choice(ministries + provinces)) for _ in range(500)])
    # The 90/10 mix with MEETING PLAN and DUE as its 10 % (one in twenty each), a file per
    # round; its meetings in slots after every other plan's.
    slot = plans * runs + 1000 + sample
    for run in range(1, runs + 1):
        lines = []
        for i in range(mix):
            if i % 20 == 0:
                lines.append(plan(slot))
                slot += 1
            elif i % 20 == 10:
                lines.append(rng.choice(files["due"]))
            else:
                lines.append("%s %s" % ("SHOW" if i % 2 else "NEIGHBORS", rng.choice(municipalities)))
        baselines.write_lines(os.path.join(out_dir, "mix-%d.txt" % run), lines)


class Markers:
    """A psql session that writes marker statements into the log, and waits for each."""

    def __init__(self, psql, conninfo):
        self.proc = subprocess.Popen([psql, "-X", "-q", "-A", "-t", conninfo + " application_name=bench-marker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def mark(self, text):
        self.proc.stdin.write("SELECT 'bench-marker %s';\n" % text)
        self.proc.stdin.flush()
        self.proc.stdout.readline()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


PARAM = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')")
MARKER = re.compile(r"bench-marker ([^']*)'")


def log_entries(csvlog, offset, database):
    """(pid, application, sql, parameters) of every statement logged in DATABASE after OFFSET."""
    with open(csvlog, encoding="utf-8", errors="replace", newline="") as f:
        f.seek(offset)
        for row in csv.reader(f):
            if len(row) < 23 or row[11] != "LOG" or row[2] != database:
                continue
            message, detail, application = row[13], row[14], row[22]
            if message.startswith("statement: "):
                yield row[3], application, message[len("statement: "):], {}
            elif message.startswith("execute "):
                sql = message.split(": ", 1)[1] if ": " in message else ""
                params = {}
                if detail.startswith("parameters: "):
                    params = {int(n): v for n, v in PARAM.findall(detail)}
                yield row[3], application, sql, params


def bind(sql, params):
    """The statement with each $n written as its value's literal."""
    return re.sub(r"\$(\d+)(?!\d)", lambda m: params.get(int(m.group(1)), m.group(0)), sql)


def wait_for(csvlog, text, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(csvlog) and text in open(csvlog, encoding="utf-8", errors="replace").read():
            return
        time.sleep(0.05)
    sys.exit("bench-workflow: PostgreSQL's log never showed %r" % text)


def capture(port, csvlog, req_dir, out_dir, psql, conninfo):
    """Sends each group's requests once, alone, with log_statement = all, and writes each
    request's SQL as a pgbench script OUT_DIR/<group>/<n>.sql."""
    offset = os.path.getsize(csvlog) if os.path.exists(csvlog) else 0
    psql_rows(psql, conninfo, "ALTER SYSTEM SET log_statement = 'all'")
    psql_rows(psql, conninfo, "SELECT pg_reload_conf()")
    markers = Markers(psql, conninfo)
    try:
        time.sleep(1.0)
        markers.mark("idle-begin")
        time.sleep(3.0)  # the sessions the daemon uses while nobody asks: its probe and its graph sync
        markers.mark("idle-end")
        client = baselines.Line(port)
        replies = {}
        for group, _, _ in GROUPS:
            lines = open(os.path.join(req_dir, group + ".txt"), encoding="utf-8").read().splitlines()
            for n, line in enumerate(lines):
                markers.mark("%s %d" % (group, n))
                records, status = client.request(line)
                if not status.startswith("OK"):
                    sys.exit("bench-workflow: %r answered %s" % (line, status))
                replies[(group, n)] = (line, records)
        markers.mark("end")
        client.close()
    finally:
        psql_rows(psql, conninfo, "ALTER SYSTEM RESET log_statement")
        psql_rows(psql, conninfo, "SELECT pg_reload_conf()")
        markers.close()
    wait_for(csvlog, "bench-marker end")

    database = dict(item.split("=", 1) for item in conninfo.split() if "=" in item).get("dbname", "")
    current, idle, statements = None, set(), {}
    for pid, application, sql, params in log_entries(csvlog, offset, database):
        if application == "bench-marker":
            m = MARKER.search(sql)
            if m:
                current = m.group(1)
            continue
        if application.startswith("psql") or current is None or current == "end":
            continue
        if current == "idle-begin":
            idle.add(pid)
        elif current != "idle-end" and pid not in idle:
            group, n = current.rsplit(" ", 1)
            statements.setdefault((group, int(n)), []).append((sql, params))

    summary = {}
    for (group, n), (line, records) in sorted(replies.items()):
        taken = statements.get((group, n), [])
        if not taken:
            sys.exit("bench-workflow: no SQL was logged for %r" % line)
        os.makedirs(os.path.join(out_dir, group), exist_ok=True)
        script = pgbench_script(group, line, records, taken)
        with open(os.path.join(out_dir, group, "%d.sql" % n), "w", encoding="utf-8") as out:
            out.write(script)
        summary.setdefault(group, []).append(len(taken))
    for group, counts in summary.items():
        print("%-16s %d requests, %s statements each (median)" % (group, len(counts), statistics.median(counts)))
    json.dump({g: {"requests": len(c), "statements_median": statistics.median(c), "statements_max": max(c)} for g, c in summary.items()},
              open(os.path.join(out_dir, "capture.json"), "w"))


def pgbench_script(group, line, records, statements):
    lines = ["-- %s" % line]
    returned = None
    start = None
    if group == "meeting-plan":
        returned = baselines.fields(records[0]).get("id") if records else None
        given = line.split()[3]
        # The daemon binds the start as it understood it: "YYYY-MM-DD HH:MM:SS".
        start = given.replace("T", " ") + (":00" if len(given) == 16 else "")
        lines.append("\\set slot random(0, %d)" % (PLAN_SLOTS * 365 * 10))
    gset_done = False
    for sql, params in statements:
        values = {}
        for k, v in params.items():
            if returned is not None and v == "'%s'" % returned:
                values[k] = "':ret_id'"
            elif start is not None and v == "'%s'" % start:
                values[k] = "(to_char(timestamp '%s' + :slot * interval '30 minutes', 'YYYY-MM-DD HH24:MI:SS'))" % PLAN_EPOCH
            else:
                values[k] = v
        text = bind(sql, values).strip().rstrip(";")
        if returned is not None and not gset_done and re.search(r"RETURNING id\s*$", text):
            lines.append(text + " \\gset ret_")
            gset_done = True
        else:
            lines.append(text + ";")
    return "\n".join(lines) + "\n"


def pgbench_summary(log_dir, prefix, out_path, label):
    """The generator's JSON shape (rate, completed, latency percentiles) from pgbench -l logs
    (one line per transaction: client, transaction, latency in µs, script, epoch s, µs)."""
    latencies, first, last, errors = [], None, None, 0
    for name in sorted(os.listdir(log_dir)):
        if not re.fullmatch(re.escape(prefix) + r"\.\d+(\.\d+)?", name):
            continue
        for row in open(os.path.join(log_dir, name)):
            parts = row.split()
            if len(parts) < 6:
                continue
            if parts[2] in ("failed", "skipped"):
                errors += 1
                continue
            latency = int(parts[2])
            end = int(parts[4]) + int(parts[5]) / 1e6
            latencies.append(latency)
            first = end - latency / 1e6 if first is None else min(first, end - latency / 1e6)
            last = end if last is None else max(last, end)
    latencies.sort()
    elapsed = (last - first) if latencies else 0
    result = {"label": label, "completed": len(latencies), "errors": errors, "elapsed_s": elapsed,
              "rps": len(latencies) / elapsed if elapsed else 0,
              "latency": {"p50_us": baselines.percentile(latencies, 50), "p90_us": baselines.percentile(latencies, 90),
                          "p99_us": baselines.percentile(latencies, 99), "max_us": latencies[-1] if latencies else None}}
    json.dump(result, open(out_path, "w"))
    print("%-28s %10.0f tx/s   p50 %8s us  p99 %8s us  errors %d" % (
        label, result["rps"], result["latency"]["p50_us"], result["latency"]["p99_us"], errors))


def merge(results, name, rounds):
    """NAME-1..N into NAME: the rate over all rounds, and p50/p99 as the median of the rounds'
    (each round is one short run; a single slow round is the shared machine, not the command)."""
    runs = [json.load(open(os.path.join(results, "%s-%d.json" % (name, r)))) for r in range(1, rounds + 1)]
    completed, elapsed = sum(j["completed"] for j in runs), sum(j["elapsed_s"] for j in runs)
    merged = {"label": name, "completed": completed, "elapsed_s": elapsed, "rps": completed / elapsed if elapsed else 0,
              "errors": sum(j["errors"] for j in runs), "latency": {}}
    for key in ("p50_us", "p90_us", "p99_us", "max_us"):
        values = [j["latency"].get(key) for j in runs if j["latency"].get(key) is not None]
        merged["latency"][key] = statistics.median(values) if values else None
    merged["rounds_p99_us"] = [j["latency"].get("p99_us") for j in runs]
    json.dump(merged, open(os.path.join(results, name + ".json"), "w"))


def fmt_ms(us):
    return "—" if us is None else ("%.2f ms" % (us / 1000) if us < 10000 else "%.1f ms" % (us / 1000))


def report(results):
    """The decade's tables as markdown (empty when the workflow section did not run)."""
    def load(name):
        return baselines.load(results, name)

    loaded = load("workflow-load")
    if not loaded:
        return ""
    out = []
    out.append("### A decade of workflow\n")
    out.append("Loaded by `scripts/make-synthetic-workflow --scale %s` in %.0f s: %s." % (
        (load("workflow-startup") or {}).get("scale", "?"), loaded.get("seconds", 0),
        ", ".join("{:,} {}".format(loaded[k], k) for k in ("trajectories", "milestones", "meetings", "signals", "contacts", "reminders", "audit") if k in loaded)))
    start = load("workflow-startup")
    if start:
        out.append(" The daemon on it started in %.2f s." % start["startup_s"])
    out.append("\n\nEach command over the protocol (`verbinder-bench`, the same requests in a loop) and its own SQL run directly "
               "(the statements the daemon sent for those requests, captured from PostgreSQL's log, replayed by `pgbench -M simple`), "
               "in turns. Latency is per request. The absolute p99 target is judged at c=1 (one person's wait); at c=16 on two cores "
               "sixteen requests queue for the same cores, so there the figure to hold is the ratio to the SQL run directly.\n")
    out.append("| command | c | Verbinder p50 | Verbinder p99 | req/s | SQL directly p50 | SQL directly p99 | tx/s | p99 ratio (≤ 1.5×) | p99 target | result |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for group, title, target_ms in GROUPS:
        for c in (1, 16):
            ours, sql = load("wf-%s-c%d" % (group, c)), load("sql-%s-c%d" % (group, c))
            if not ours or not sql:
                out.append("| %s | %d | — | — | — | — | — | — | — | ≤ %d ms | not measured |" % (title, c, target_ms))
                continue
            op99, sp99 = ours["latency"].get("p99_us"), sql["latency"].get("p99_us")
            ratio = op99 / sp99 if op99 and sp99 else None
            verdicts = []
            if ratio is not None and ratio > 1.5:
                verdicts.append("MISS ratio")
            if c == 1 and op99 is not None and op99 > target_ms * 1000:
                verdicts.append("MISS p99")
            if ours["errors"] or sql["errors"]:
                verdicts.append("%d/%d errors" % (ours["errors"], sql["errors"]))
            out.append("| %s | %d | %s | %s | {:,.0f} | %s | %s | {:,.0f} | %s | %s | %s |".format(ours["rps"], sql["rps"]) % (
                title, c, fmt_ms(ours["latency"].get("p50_us")), fmt_ms(op99), fmt_ms(sql["latency"].get("p50_us")), fmt_ms(sp99),
                "%.2f×" % ratio if ratio is not None else "—", ("≤ %d ms" % target_ms) if c == 1 else "(c=1)",
                ", ".join(verdicts) or "pass"))
    capture = load("workflow-capture") or {}
    if capture:
        out.append("\nStatements per request (median, max): " + "; ".join(
            "%s %s, %s" % (g, capture[g]["statements_median"], capture[g]["statements_max"]) for g, _, _ in GROUPS if g in capture) + ".")

    out.append("\n### The reads stay reads\n")
    out.append("The same reads of the seed network, asked of the daemon on the seed alone and of the daemon on the decade, in turns. "
               "Target: not worse (≥ 0.9×: this shared machine moves more than that between runs of the same build).\n")
    out.append("| read | with the decade | seed alone | ratio | result |")
    out.append("|---|---|---|---|---|")
    for name, title, field in (("show", "SHOW <municipality> c=16, req/s", "rps"), ("neighbors", "NEIGHBORS <municipality> c=16, req/s", "rps"),
                               ("path", "PATH <municipality> <ministry or province> c=1, p50", "p50")):
        decade, seed = load("reads-decade-" + name), load("reads-seed-" + name)
        if not decade or not seed:
            out.append("| %s | — | — | — | not measured |" % title)
            continue
        if field == "rps":
            a, b = decade["rps"], seed["rps"]
            r = a / b if b else 0
            out.append("| %s | {:,.0f} | {:,.0f} | %.2f× | %s |".format(a, b) % (title, r, "pass" if r >= 0.9 else "MISS"))
        else:
            a, b = decade["latency"]["p50_us"], seed["latency"]["p50_us"]
            r = b / a if a else 0
            out.append("| %s | %s | %s | %.2f× (speed) | %s |" % (title, fmt_ms(a), fmt_ms(b), r, "pass" if r >= 0.9 else "MISS"))
    mixed, rget = load("wf-mixed"), load("redis-get-wf-mixed")
    if mixed and rget:
        verbs = mixed.get("verbs", {})
        reads = sum(verbs[v]["rps"] for v in ("SHOW", "NEIGHBORS") if v in verbs)
        r = reads / rget["rps"] if rget["rps"] else 0
        detail = ", ".join("%s {:,.0f}/s p99 %s".format(v["rps"]) % (verb, fmt_ms(v.get("p99_us"))) for verb, v in sorted(verbs.items()))
        out.append("\nMixed 90/10 on the decade (MEETING PLAN and DUE as the 10 %%), c=16: reads {:,.0f}/s against redis GET {:,.0f}/s "
                   "in turns = %.2f× (target of the 90/10 mix: reads ≥ 0.4× redis GET: %s). Per verb: %s.".format(reads, rget["rps"]) % (
                       r, "pass" if r >= 0.4 else "MISS", detail))
    return "\n".join(out) + "\n"


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    verb, rest = args[0], args[1:]

    def option(name, default=None, cast=str):
        if name in rest:
            i = rest.index(name)
            value = rest[i + 1]
            del rest[i:i + 2]
            return cast(value)
        return default

    if verb == "requests":
        psql = option("--psql", "psql")
        sample, plans, runs = option("--sample", 40, int), option("--plans", 4000, int), option("--runs", 8, int)
        mix = option("--mix", 100000, int)
        requests(rest[0], rest[1], psql, sample, plans, runs, mix)
    elif verb == "capture":
        psql, conninfo = option("--psql", "psql"), option("--conninfo")
        capture(int(rest[0]), rest[1], rest[2], rest[3], psql, conninfo)
    elif verb == "pgbench-summary":
        pgbench_summary(rest[0], rest[1], rest[2], rest[3])
    elif verb == "merge":
        merge(rest[0], rest[1], int(rest[2]))
    elif verb == "report":
        print(report(rest[0]))
    elif verb == "groups":
        print(" ".join(g for g, _, _ in GROUPS))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
