#!/usr/bin/env python3
"""Helpers of scripts/bench: request files, the networkx and recursive-CTE PATH baselines, a
PATH cross-check against networkx, process memory, and the final table.

    bench-baselines.py free-port
    bench-baselines.py requests SEEDDIR OUTDIR [--quick]
    bench-baselines.py synthetic-requests GRAPHDIR OUTDIR [--pairs N] [--suggest N]
    bench-baselines.py networkx GRAPHDIR PAIRS OUT.json [--pairs N]
    bench-baselines.py cte GRAPHDIR PAIRS DISTANCES.json OUT.json --psql PSQL --conninfo C [--sample N] [--timeout-ms T]
    bench-baselines.py verify-path PORT PAIRS DISTANCES.json OUT.json [--sample N]
    bench-baselines.py rss PID
    bench-baselines.py info PORT OUT.json
    bench-baselines.py reminders PORT DUE-DATE OUT.json [--count 10000] [--workers 4] [--limit 50]
    bench-baselines.py merge-writes RESULTSDIR WORKDIR ROUNDS
    bench-baselines.py merge-rounds RESULTSDIR NAME ROUNDS
    bench-baselines.py report RESULTSDIR OUT.md --command CMD [--quick] [--workflow]

Python 3 standard library only, except `networkx` for the networkx baseline.
"""
import importlib.util
import json
import re
import os
import random
import socket
import statistics
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        return [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]


def write_lines(path, lines):
    with open(path, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def requests(seed_dir, out_dir):
    """Request files on the seed network: SHOW, NEIGHBORS, LINK of new pairs, the 90/10 mix."""
    rng = random.Random(7)
    nodes = read_tsv(os.path.join(seed_dir, "nodes.tsv"))
    municipalities = [n["key"] for n in nodes if n["kind"] == "municipality"]
    write_lines(os.path.join(out_dir, "show.txt"), ["SHOW " + k for k in municipalities])
    write_lines(os.path.join(out_dir, "neighbors.txt"), ["NEIGHBORS " + k for k in municipalities])
    # Writes go between extra `partner` nodes (bench-p0001.., loaded with the seed), never between
    # the municipalities the reads ask about: a LINK run must not change what SHOW/NEIGHBORS answer.
    # 1000 partners: 499,500 pairs, enough new ones for LINK rounds of 4 s at well over 25,000/s.
    partners = ["bench-p%04d" % i for i in range(1, 1001)]
    os.makedirs(os.path.join(out_dir, "partners"), exist_ok=True)
    write_lines(os.path.join(out_dir, "partners", "nodes.tsv"),
                ["key\tkind\tname\ttier\tprovince\tthemes\tattributes"]
                + ["%s\tpartner\tBenchmark partner %s\tregional\t\t\t" % (k, k[-4:]) for k in partners])
    write_lines(os.path.join(out_dir, "partners", "relations.tsv"), ["from\trelation\tto\tthemes\tsince\tuntil\tnote"])
    pairs = [(a, b) for i, a in enumerate(partners) for b in partners[i + 1:]]
    rng.shuffle(pairs)
    links = ["LINK %s works_with %s" % (a, b) for a, b in pairs]
    # LINK run: 360k new pairs, each sent once; the rest for the writers beside readers.
    # (With 50k a round, a LINK round ran out of new pairs in under 3 s and the rest of it
    # measured ERR CONFLICT.)
    write_lines(os.path.join(out_dir, "link.txt"), links[:360000])
    # The LINK rounds (interleaved with the pgbench baselines): a third of those pairs each.
    for round_ in range(3):
        write_lines(os.path.join(out_dir, "link-%d.txt" % (round_ + 1)), links[round_ * 120000:(round_ + 1) * 120000])
    write_lines(os.path.join(out_dir, "link-beside.txt"), links[360000:])
    # The rounds of the writers beside readers: a third of those pairs each.
    beside = links[360000:]
    for round_ in range(3):
        write_lines(os.path.join(out_dir, "link-beside-%d.txt" % (round_ + 1)), beside[round_::3])
    write_lines(os.path.join(out_dir, "reads.txt"),
                [("SHOW " if i % 2 == 0 else "NEIGHBORS ") + k for i, k in enumerate(municipalities * 2)])
    # The mix: 9 reads (SHOW and NEIGHBORS alternating) then one LINK of a new partner_of pair,
    # in rounds (interleaved with redis GET), each with its own third of the new pairs, so that
    # no LINK is sent twice.
    writes = ["LINK %s partner_of %s" % (a, b) for a, b in pairs[:180000]]
    for round_ in range(3):
        part = []
        for i, write in enumerate(writes[round_::3]):
            for j in range(9):
                key = municipalities[(i * 9 + j) % len(municipalities)]
                part.append(("SHOW " if j % 2 == 0 else "NEIGHBORS ") + key)
            part.append(write)
        write_lines(os.path.join(out_dir, "mixed-%d.txt" % (round_ + 1)), part)


def synthetic_requests(graph_dir, out_dir, pairs_limit, suggest_count):
    pairs = [line.split() for line in open(os.path.join(graph_dir, "pairs.txt"), encoding="utf-8") if line.strip()]
    pairs = pairs[:pairs_limit]
    write_lines(os.path.join(out_dir, "path.txt"), ["PATH %s %s" % (a, b) for a, b in pairs])
    themes = ["healthcare", "education", "energy", "housing", "labour", "mobility"]
    lines = []
    for i, (a, _) in enumerate(pairs[:suggest_count]):
        lines.append("SUGGEST %s" % a if i % 2 == 0 else "SUGGEST %s theme=%s axis=vertical" % (a, themes[i % len(themes)]))
    write_lines(os.path.join(out_dir, "suggest.txt"), lines)


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def networkx_baseline(graph_dir, pairs_path, out_path, pairs_limit):
    import networkx as nx
    started = time.perf_counter()
    graph = nx.Graph()
    with open(os.path.join(graph_dir, "relations.tsv"), encoding="utf-8") as f:
        f.readline()
        graph.add_edges_from(tuple(line.split("\t", 3)[0:3:2]) for line in f)
    load_s = time.perf_counter() - started
    pairs = [line.split() for line in open(pairs_path, encoding="utf-8") if line.strip()][:pairs_limit]
    times, distances = [], {}
    for a, b in pairs:
        t0 = time.perf_counter()
        path = nx.shortest_path(graph, a, b)
        times.append((time.perf_counter() - t0) * 1e6)
        distances["%s %s" % (a, b)] = len(path) - 1
    times.sort()
    result = {"pairs": len(pairs), "load_s": round(load_s, 2), "networkx": nx.__version__,
              "p50_us": round(statistics.median(times), 1), "p99_us": round(percentile(times, 99), 1),
              "max_us": round(times[-1], 1), "hops": {str(k): list(distances.values()).count(k) for k in sorted(set(distances.values()))}}
    json.dump(result, open(out_path, "w"))
    json.dump(distances, open(out_path.replace(".json", "-distances.json"), "w"))
    print("networkx: %d pairs, median %.1f us, p99 %.1f us (graph loaded in %.1f s)" % (len(pairs), result["p50_us"], result["p99_us"], load_s))


CTE = """
WITH RECURSIVE edges(a, b) AS (
    SELECT from_key, to_key FROM relations UNION ALL SELECT to_key, from_key FROM relations
), walk(node, depth) AS (
    SELECT '{a}'::text, 0
    UNION
    SELECT e.b, w.depth + 1 FROM walk w JOIN edges e ON e.a = w.node WHERE w.depth < {depth}
)
SELECT min(depth) FROM walk WHERE node = '{b}';
"""


def cte_baseline(graph_dir, pairs_path, distances_path, out_path, psql, conninfo, sample, timeout_ms):
    """Times the same PATH question as a PostgreSQL recursive CTE (breadth-first over both
    directions, UNION removing repeated (node, depth) rows), on a seeded sample of the pairs.
    The CTE is given the true distance (from networkx) as its depth bound, which favours it:
    without a bound it walks to the maximum depth everywhere."""
    distances = json.load(open(distances_path))
    pairs = [line.split() for line in open(pairs_path, encoding="utf-8") if line.strip()]
    rng = random.Random(11)
    chosen = rng.sample(pairs, min(sample, len(pairs)))
    times, timeouts, wrong = [], 0, 0
    for a, b in chosen:
        depth = distances.get("%s %s" % (a, b), 8)
        script = "SET statement_timeout = %d;\n\\timing on\n%s" % (timeout_ms, CTE.format(a=a, b=b, depth=depth))
        proc = subprocess.run([psql, "-X", "-q", "-A", "-t", conninfo], input=script, capture_output=True, text=True)
        out = proc.stdout + proc.stderr
        if "statement timeout" in out:
            timeouts += 1
            times.append(float(timeout_ms) * 1000)
            continue
        ms = None
        for line in out.splitlines():
            if line.startswith("Time:"):
                ms = float(line.split()[1])
            elif line.strip().isdigit() and int(line.strip()) != depth:
                wrong += 1
        if ms is None:
            sys.exit("cte: psql failed: " + out)
        times.append(ms * 1000)
    times.sort()
    result = {"sample": len(chosen), "timeouts": timeouts, "timeout_ms": timeout_ms, "wrong": wrong,
              "p50_us": round(statistics.median(times), 1), "max_us": round(times[-1], 1),
              "lower_bound": timeouts * 2 >= len(chosen)}
    json.dump(result, open(out_path, "w"))
    print("cte: %d sampled pairs, median %.1f ms, %d timeouts at %d ms" % (len(chosen), result["p50_us"] / 1000, timeouts, timeout_ms))


def verify_path(port, pairs_path, distances_path, out_path, sample):
    """Asks the daemon PATH for some pairs and checks the hop count equals networkx's distance."""
    distances = json.load(open(distances_path))
    pairs = [line.split() for line in open(pairs_path, encoding="utf-8") if line.strip()][:sample]
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    reader = sock.makefile("r", encoding="utf-8")
    reader.readline()  # greeting
    checked, mismatches = 0, []
    for a, b in pairs:
        sock.sendall(("PATH %s %s\n" % (a, b)).encode())
        while True:
            line = reader.readline().rstrip("\n")
            if line == "OK" or line.startswith("OK ") or line.startswith("ERR "):
                break
        hops = None
        for token in line.split():
            if token.startswith("hops="):
                hops = int(token[5:])
        checked += 1
        if hops != distances["%s %s" % (a, b)]:
            mismatches.append("%s %s: daemon %s, networkx %d" % (a, b, line, distances["%s %s" % (a, b)]))
    sock.close()
    json.dump({"checked": checked, "mismatches": mismatches}, open(out_path, "w"))
    print("verify-path: %d pairs, %d with a different length than networkx" % (checked, len(mismatches)))


def rss_kib(pid):
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- the protocol, for the helpers below

class Line:
    """A blocking line-protocol client: a response is the lines up to a status line that is
    `OK`, starts with `OK ` or `ERR `."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.greeting = self.line()

    def line(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                out, self.buf = self.buf[:i], self.buf[i + 1:]
                return out.decode("utf-8", "replace")
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("connection closed by the daemon")
            self.buf += chunk

    def response(self):
        lines = []
        while True:
            line = self.line()
            if line == "OK" or line.startswith("OK ") or line.startswith("ERR "):
                return lines, line
            lines.append(line)

    def send(self, text):
        self.sock.sendall(text.encode("utf-8"))

    def request(self, text):
        self.send(text + "\n")
        return self.response()

    def close(self):
        self.sock.close()


def fields(line):
    """key=value tokens of a record line (values without spaces are all this needs)."""
    out = {}
    for token in line.split():
        if "=" in token:
            k, v = token.split("=", 1)
            out[k] = v.strip('"')
    return out


def info(port, out_path):
    """INFO of a running daemon as {name: value}."""
    client = Line(port)
    lines, status = client.request("INFO")
    client.close()
    stats = {}
    for line in lines:
        f = fields(line)
        if "name" in f:
            v = f.get("value", "")
            stats[f["name"]] = int(v) if v.isdigit() else v
    json.dump(stats, open(out_path, "w"))
    print("info: %s" % {k: stats.get(k) for k in ("nodes", "relations", "index_bytes")})


def reminders(port, due, out_path, count, workers, limit):
    """REMINDERS CLAIM + ACK of COUNT due occurrences by WORKERS workers (one connection and one
    thread each). Set-up: a trajectory led by GM0153 with one contact, and COUNT milestones due on
    DUE (today + 2 in Europe/Amsterdam), pipelined; each has exactly one due occurrence (its 3d
    reminder). Each worker loops `REMINDERS CLAIM wN limit=LIMIT`, then pipelines one
    `REMINDERS ACK id token` per record, until a CLAIM returns `OK claimed=0`. The rate is
    reminders acknowledged / (last ACK answered - first CLAIM sent)."""
    import threading
    setup = Line(port)
    t0 = time.perf_counter()
    for command in ('TRAJECTORY ADD bench "Bench" kind=codesign lead=GM0153', 'CONTACT ADD GM0153 "Bench" bench@example.org'):
        _, status = setup.request(command)
        if not status.startswith("OK"):
            sys.exit("reminders: %s -> %s" % (command, status))
    failed = []
    chunk = 500
    for start in range(0, count, chunk):
        n = min(chunk, count - start)
        setup.send("".join('MILESTONE ADD bench %s "m %d"\n' % (due, start + i) for i in range(n)))
        for _ in range(n):
            _, status = setup.response()
            if not status.startswith("OK id="):
                failed.append(status)
    setup_s = time.perf_counter() - t0
    setup.close()
    if failed:
        sys.exit("reminders: %d MILESTONE ADD failed, e.g. %s" % (len(failed), failed[0]))

    barrier = threading.Barrier(workers + 1)
    results = [None] * workers

    def work(index):
        client = Line(port)
        acked, conflicts, claims, ids, errors = 0, 0, 0, [], []
        claim_us = []
        barrier.wait()
        first = time.perf_counter()
        while True:
            c0 = time.perf_counter()
            lines, status = client.request("REMINDERS CLAIM w%d limit=%d" % (index, limit))
            claim_us.append((time.perf_counter() - c0) * 1e6)
            claims += 1
            if not status.startswith("OK claimed="):
                errors.append(status)
                break
            records = [fields(l) for l in lines]
            if not records:
                break
            client.send("".join("REMINDERS ACK %s %s\n" % (r["id"], r["token"]) for r in records))
            for r in records:
                _, status = client.response()
                if status.startswith("OK"):
                    acked += 1
                    ids.append(r["id"])
                else:
                    conflicts += 1
                    errors.append(status)
        last = time.perf_counter()
        client.close()
        results[index] = {"first": first, "last": last, "acked": acked, "conflicts": conflicts, "claims": claims,
                          "ids": ids, "errors": errors[:3], "claim_us": claim_us}

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    barrier.wait()
    for t in threads:
        t.join()
    if any(r is None for r in results):
        sys.exit("reminders: a worker failed")
    first = min(r["first"] for r in results)
    last = max(r["last"] for r in results)
    acked = sum(r["acked"] for r in results)
    ids = [i for r in results for i in r["ids"]]
    claim_us = sorted(x for r in results for x in r["claim_us"])
    seconds = last - first
    result = {"count": count, "workers": workers, "limit": limit, "acked": acked, "distinct": len(set(ids)),
              "conflicts": sum(r["conflicts"] for r in results), "claims": sum(r["claims"] for r in results),
              "per_worker": [r["acked"] for r in results], "seconds": round(seconds, 3),
              "rate": acked / seconds if seconds > 0 else 0, "setup_s": round(setup_s, 2),
              "claim_p50_us": round(statistics.median(claim_us), 1), "claim_p99_us": round(percentile(claim_us, 99), 1),
              "errors": [e for r in results for e in r["errors"]][:5]}
    json.dump(result, open(out_path, "w"))
    print("reminders: %d milestones added in %.1f s; %d acknowledged (%d distinct, %d conflicts) by %d workers in %.2f s = %.0f reminders/s; CLAIM p50 %.1f ms" % (
        count, setup_s, acked, result["distinct"], result["conflicts"], workers, seconds, result["rate"], result["claim_p50_us"] / 1000))


# ---------------------------------------------------------------- report

def load(results, name):
    path = os.path.join(results, name + ".json")
    if not os.path.exists(path):
        return None
    try:
        return json.load(open(path))
    except ValueError:
        return None


def fmt_rps(v):
    return "—" if v is None else "{:,.0f} req/s".format(v)


def fmt_us(v):
    if v is None:
        return "—"
    return "%.0f µs" % v if v < 1000 else "%.2f ms" % (v / 1000)


def report(results, out_md, command, quick, workflow_only=False):
    rows = []  # (workload, ours, baseline, ratio, target, verdict)

    def ratio_row(name, ours_j, base_j, target, want, base_name, ours_field="rps", base_field="rps", kind="rps"):
        ours = ours_j.get(ours_field) if ours_j else None
        base = base_j.get(base_field) if base_j else None
        if ours is None or base is None or base == 0:
            rows.append((name, fmt_rps(ours) if kind == "rps" else fmt_us(ours), base_name + ": " + (fmt_rps(base) if kind == "rps" else fmt_us(base)),
                         "—", target, "not measured"))
            return
        r = ours / base
        rows.append((name, fmt_rps(ours), base_name + ": " + fmt_rps(base), "%.2f×" % r, target, "pass" if r >= want else "MISS"))

    ping1, rping1 = load(results, "verbinder-ping-p1"), load(results, "redis-ping-p1")
    ping16, rping16 = load(results, "verbinder-ping-p16"), load(results, "redis-ping-p16")
    ratio_row("PING c=16 P=1", ping1, rping1, "≥ 0.8× redis PING", 0.8, "redis inline PING")
    ratio_row("PING c=16 P=16", ping16, rping16, "≥ 0.5× redis PING P=16", 0.5, "redis inline PING P=16")
    rget = load(results, "redis-get")
    ratio_row("SHOW <municipality> c=16", load(results, "verbinder-show"), rget, "≥ 0.5× redis GET", 0.5, "redis inline GET")
    ratio_row("NEIGHBORS <municipality> c=16", load(results, "verbinder-neighbors"), rget, "≥ 0.5× redis GET", 0.5, "redis inline GET")

    matrix = load(results, "instrument") or {}
    for case in matrix.get("cases", []):
        base = "redis inline PING" if case["workload"] == "PING" else "redis inline GET"
        name = "%s c=16 P=1, generator %d thread%s, %s (median of %d rounds)" % (
            "PING" if case["workload"] == "PING" else "SHOW <municipality>", case["threads"], "" if case["threads"] == 1 else "s",
            "servers core 0, generator core 1" if case["pin"] == "pinned" else "unpinned", case["rounds"])
        if case["ratio_median"] is None:
            rows.append((name, "—", base, "—", "≥ %.1f× %s" % (case["want"], base), "not measured"))
            continue
        rows.append((name, fmt_rps(case["ours_median_rps"]), base + ": " + fmt_rps(case["base_median_rps"]),
                     "%.2f× (%.2f–%.2f)" % (case["ratio_median"], case["ratio_min"], case["ratio_max"]),
                     "≥ %.1f× %s" % (case["want"], base.replace("redis inline ", "redis ")),
                     "pass" if case["ratio_median"] >= case["want"] else "MISS"))

    sizes = load(results, "http-sizes") or {}
    ratio_row("HTTP GET /node/<municipality> c=16 (%s B page)" % "{:,}".format(sizes.get("node", 0)), load(results, "http-node"),
              load(results, "nginx-node"), "≥ 0.3× nginx", 0.3, "nginx, static file of the same size")
    ratio_row("HTTP calendar feed c=16 (%s B)" % "{:,}".format(sizes.get("feed", 0)), load(results, "http-feed"),
              load(results, "nginx-feed"), "≥ 0.3× nginx", 0.3, "nginx, static file of the same size")

    link, pgb = load(results, "verbinder-link"), load(results, "pgbench-insert")
    if link and pgb:
        ok_rps = link["rps"] * (1 - (link["errors"] / link["completed"] if link["completed"] else 0))
        r = ok_rps / pgb["tps"] if pgb.get("tps") else 0
        rows.append(("LINK of new pairs c=16", fmt_rps(ok_rps) + (" (%d errors)" % link["errors"] if link["errors"] else ""),
                     "pgbench single-row INSERT c=16: {:,.0f} tps".format(pgb["tps"]), "%.2f×" % r,
                     "≥ 0.7× raw INSERT", "pass" if r >= 0.7 else "MISS"))
    shape = load(results, "pgbench-link-sql")
    if shape and pgb and pgb.get("tps"):
        r = shape["tps"] / pgb["tps"]
        rows.append(("LINK's own SQL, one write per transaction (pgbench -M prepared c=16, for information)", "{:,.0f} tps".format(shape["tps"]),
                     "pgbench single-row INSERT c=16: {:,.0f} tps".format(pgb["tps"]), "%.2f×" % r,
                     "— (the database's ceiling for LINK without grouping)", "info"))
    mixed = load(results, "verbinder-mixed")
    # The rows with writes compare with the redis GET rounds that took turns with them, where
    # measured (same minute of this shared machine), else with the GET run above.
    rget_mixed = load(results, "redis-get-mixed") or rget
    rget_beside = load(results, "redis-get-beside") or rget
    mixed_base = "redis inline GET, in turns with the mix" if load(results, "redis-get-mixed") else "redis inline GET"
    beside_base = "redis inline GET, in turns with these runs" if load(results, "redis-get-beside") else "redis inline GET"
    if mixed and rget_mixed:
        rget = rget_mixed
        verbs = mixed.get("verbs", {})
        reads = [verbs[v] for v in ("SHOW", "NEIGHBORS") if v in verbs]
        read_rps = sum(v["rps"] for v in reads)
        r = read_rps / rget["rps"]
        rows.append(("mixed 90/10, reads c=16", fmt_rps(read_rps), mixed_base + ": " + fmt_rps(rget["rps"]),
                     "%.2f×" % r, "reads ≥ 0.4× redis GET", "pass" if r >= 0.4 else "MISS"))
        read_p99 = max(v["p99_us"] for v in reads) if reads else None
        write = verbs.get("LINK", {})
        if read_p99 is not None and write.get("p50_us"):
            rows.append(("mixed 90/10: read p99 vs write p50", fmt_us(read_p99), "LINK p50 in the mix: " + fmt_us(write["p50_us"]),
                         "%.2f×" % (read_p99 / write["p50_us"]), "no read waits on a write (read p99 < write p50)",
                         "pass" if read_p99 < write["p50_us"] else "MISS"))

    br, bw = load(results, "verbinder-beside-reads"), load(results, "verbinder-beside-writes")
    rget = rget_beside
    if br and bw and rget:
        r = br["rps"] / rget["rps"]
        rows.append(("reads beside writes: 14 read + 2 LINK connections", fmt_rps(br["rps"]) + " reads, " + fmt_rps(bw["rps"]) + " writes",
                     beside_base + ": " + fmt_rps(rget["rps"]), "%.2f×" % r, "reads ≥ 0.4× redis GET", "pass" if r >= 0.4 else "MISS"))
        rp99, wp50 = br["latency"]["p99_us"], bw["latency"].get("p50_us")
        only = [load(results, n) for n in ("verbinder-show", "verbinder-neighbors")]
        only_p99 = max(o["latency"]["p99_us"] for o in only if o)
        if wp50:
            rows.append(("reads beside writes: read p99", fmt_us(rp99), "reads alone p99 %s; LINK p50 beside %s" % (fmt_us(only_p99), fmt_us(wp50)),
                         "%.2f× write p50" % (rp99 / wp50), "no read waits on a write (read p99 < write p50)",
                         "pass" if rp99 < wp50 else "MISS"))

    path, nx_j, cte = load(results, "verbinder-path"), load(results, "networkx"), load(results, "cte")
    if path and nx_j:
        ours = path["latency"]["p50_us"]
        r = nx_j["p50_us"] / ours
        rows.append(("PATH median, %d pairs, c=1 (round trip)" % path["completed"], fmt_us(ours),
                     "networkx shortest_path in-process: " + fmt_us(nx_j["p50_us"]), "%.2f× faster" % r,
                     "≤ networkx", "pass" if ours <= nx_j["p50_us"] else "MISS"))
    if path and cte:
        ours = path["latency"]["p50_us"]
        r = cte["p50_us"] / ours
        bound = "≥ " if cte["timeouts"] else ""
        rows.append(("PATH vs recursive CTE (median)", fmt_us(ours),
                     "CTE, %d sampled pairs%s: %s%s" % (cte["sample"], ", %d timed out at %d ms" % (cte["timeouts"], cte["timeout_ms"]) if cte["timeouts"] else "", bound, fmt_us(cte["p50_us"])),
                     "%s%.0f× faster" % (bound, r), "≥ 500×", "pass" if r >= 500 else "MISS"))
    if path:
        p99 = path["latency"]["p99_us"]
        rows.append(("PATH p99", fmt_us(p99), "—", "—", "≤ 5 ms", "pass" if p99 <= 5000 else "MISS"))
    suggest = load(results, "verbinder-suggest")
    if suggest:
        p50 = suggest["latency"]["p50_us"]
        rows.append(("SUGGEST p50 (%d requests, c=1)" % suggest["completed"], fmt_us(p50), "—", "—", "≤ 5 ms", "pass" if p50 <= 5000 else "MISS"))
    startup = load(results, "startup")
    if startup:
        rows.append(("start-up with the synthetic graph to `listening`", "%.2f s" % startup["startup_s"],
                     "%d nodes / %d relations" % (startup["nodes"], startup["relations"]), "—", "≤ 10 s",
                     "pass" if startup["startup_s"] <= 10 else "MISS"))
        index_per = startup.get("index_bytes_per_relation")
        if index_per is not None:
            rows.append(("index memory per relation (`INFO` index_bytes / relations)", "%.0f B" % index_per,
                         "index_bytes %s MiB for %s relations, %s nodes (the daemon's own estimate)" % (
                             "{:,.1f}".format(startup["index_bytes"] / 1048576), "{:,}".format(startup["info_relations"]),
                             "{:,}".format(startup["info_nodes"]) if startup.get("info_nodes") is not None else "?"),
                         "—", "≤ 150 B", "pass" if index_per <= 150 else "MISS"))
        per = startup.get("bytes_per_relation")
        if per is not None:
            rows.append(("daemon memory per relation (RSS growth / relations)", "%.0f B" % per,
                         "daemon RSS %.0f MiB with the synthetic graph, %.0f MiB with the seed; an upper bound (nodes, strings, malloc slack)" % (
                             startup["rss_kib"] / 1024, startup["seed_rss_kib"] / 1024),
                         "—", "≤ 150 B (the target is about the index; for information)", "pass" if per <= 150 else "over"))
    idle = load(results, "idle")
    if idle:
        growth = idle["growth_kib"] / 1024
        rows.append(("%d idle connections: RSS growth" % idle["connections"], "%.1f MiB" % growth,
                     "RSS %.0f → %.0f MiB" % (idle["before_kib"] / 1024, idle["after_kib"] / 1024), "—", "≤ 50 MiB",
                     "pass" if growth <= 50 and idle["connected"] == idle["connections"] else "MISS"))
    rem = load(results, "reminders")
    if rem:
        complete = rem["acked"] == rem["count"] and rem["distinct"] == rem["count"] and rem["conflicts"] == 0
        rows.append(("REMINDERS CLAIM+ACK, {:,} due, {} workers (limit={})".format(rem["count"], rem["workers"], rem["limit"]),
                     "{:,.0f} reminders/s".format(rem["rate"]),
                     "{:,} acknowledged, {:,} distinct, {} conflicts in {:.2f} s; CLAIM p50 {}".format(
                         rem["acked"], rem["distinct"], rem["conflicts"], rem["seconds"], fmt_us(rem["claim_p50_us"])),
                     "—", "≥ 2,000/s", "pass" if rem["rate"] >= 2000 and complete else "MISS"))
    else:
        rows.append(("REMINDERS CLAIM+ACK, 10,000 due, 4 workers", "—", "—", "—", "≥ 2,000/s", "not measured"))

    lines = ["| workload | Verbinder | baseline (same run) | ratio | target | result |", "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append("| " + " | ".join(row) + " |")
    table = "\n".join(lines)

    # The instrument itself and the raw numbers.
    calib = load(results, "calibration")
    details = []
    if calib:
        details.append("Instrument check: against the same redis-server, `verbinder-bench` drove inline PING c=16 P=1 at "
                       "{:,.0f} req/s, `redis-benchmark -t ping_inline -c 16 -P 1` at {:,.0f} req/s; at P=16 "
                       "{:,.0f} vs {:,.0f} req/s. The generator is not the bottleneck.".format(
                           calib.get("ours_p1", 0), calib.get("redis_benchmark_p1", 0), calib.get("ours_p16", 0), calib.get("redis_benchmark_p16", 0)))
    raw = ["| run | req/s | p50 | p90 | p99 | max | errors | generator CPU |", "|---|---|---|---|---|---|---|---|"]
    for name in ["redis-ping-p1", "verbinder-ping-p1", "redis-ping-p16", "verbinder-ping-p16", "redis-get", "verbinder-show",
                 "verbinder-neighbors", "verbinder-link", "verbinder-mixed", "redis-get-mixed", "verbinder-beside-reads", "verbinder-beside-writes",
                 "redis-get-beside", "nginx-node", "http-node", "nginx-feed", "http-feed", "verbinder-path", "verbinder-suggest"]:
        j = load(results, name)
        if not j:
            continue
        l = j["latency"]
        raw.append("| %s | {:,.0f} | %s | %s | %s | %s | %d | %.0f %% |".format(j["rps"]) % (
            name, fmt_us(l.get("p50_us")), fmt_us(l.get("p90_us")), fmt_us(l.get("p99_us")), fmt_us(l.get("max_us")),
            j["errors"], 100 * j.get("client_cpu_share", 0)))
        if name == "verbinder-mixed":
            for verb, v in sorted(j.get("verbs", {}).items()):
                raw.append("| &nbsp;&nbsp;mixed %s | {:,.0f} | %s | %s | %s | %s | %d | |".format(v["rps"]) % (
                    verb, fmt_us(v.get("p50_us")), fmt_us(v.get("p90_us")), fmt_us(v.get("p99_us")), fmt_us(v.get("max_us")), v["errors"]))
    extra = []
    if pgb:
        extra.append("pgbench single-row INSERT c=16 -j 2: {:,.0f} tps (latency avg {} ms).".format(pgb["tps"], pgb.get("latency_ms", "?")))
        if pgb.get("rounds_tps") and link and link.get("rounds_rps"):
            extra.append("Writes in three interleaved rounds (LINK, INSERT, LINK's own SQL): LINK %s req/s, INSERT %s tps, LINK's own SQL %s tps." % (
                " / ".join("{:,.0f}".format(r) for r in link["rounds_rps"]), " / ".join("{:,.0f}".format(t) for t in pgb["rounds_tps"]),
                " / ".join("{:,.0f}".format(t) for t in (shape or {}).get("rounds_tps", []))))
    if nx_j:
        extra.append("networkx %s: graph loaded in %.1f s; %d pairs, median %s, p99 %s; hop counts %s." % (
            nx_j["networkx"], nx_j["load_s"], nx_j["pairs"], fmt_us(nx_j["p50_us"]), fmt_us(nx_j["p99_us"]), nx_j["hops"]))
    if cte:
        extra.append("Recursive CTE: %d pairs sampled (seeded) from the same pairs, statement_timeout %d ms, %d timed out; "
                     "median %s, max %s. The CTE is given each pair's true distance as its depth bound (which favours it); "
                     "the median of the sample stands for all pairs (extrapolated, not measured on all of them)%s." % (
                         cte["sample"], cte["timeout_ms"], cte["timeouts"], fmt_us(cte["p50_us"]), fmt_us(cte["max_us"]),
                         "; with timeouts the CTE figure is a lower bound" if cte["timeouts"] else ""))
    verify = load(results, "verify-path")
    if verify:
        extra.append("PATH cross-check: %d pairs asked over the protocol, %d with a hop count different from networkx's shortest path%s." % (
            verify["checked"], len(verify["mismatches"]), (": " + "; ".join(verify["mismatches"][:3])) if verify["mismatches"] else ""))
    if rem:
        extra.append("Reminders: {:,} milestones due in two days added through the protocol (pipelined) in {:.1f} s; "
                     "{} CLAIMs (p50 {}, p99 {}), reminders per worker {}; rate = acknowledged / (last ACK answered − first CLAIM sent).".format(
                         rem["count"], rem["setup_s"], rem["claims"], fmt_us(rem["claim_p50_us"]), fmt_us(rem["claim_p99_us"]), rem["per_worker"]))
    seedload = load(results, "seedload")
    if seedload:
        extra.append("Loading the synthetic graph through `verbinderd seed --seed-dir`: %.1f s." % seedload["seconds"])

    machine = load(results, "machine") or {}
    header = ("Measured %s on `%s` (%s cores, %s, %s GiB memory), %s.\n\nCommand: `%s`%s" % (
        machine.get("date", "?"), machine.get("host", "?"), machine.get("nproc", "?"), machine.get("cpu", "?"),
        machine.get("mem_gib", "?"), machine.get("kernel", "?"), command,
        " (quick: small graph, short runs; a smoke test, not the figures of record)" if quick else ""))
    spec = importlib.util.spec_from_file_location("bench_workflow", os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench-workflow.py"))
    workflow = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(workflow)
    decade = workflow.report(results)
    if workflow_only:
        section = "%s\n\n%s" % (header, decade)
        print("\n" + decade)
    else:
        section = "%s\n\n%s\n\n%s\n\n%s\nRaw runs (latency is per request, send to complete response, HdrHistogram):\n\n%s\n\n%s\n" % (
            header, table, "\n".join(details), decade, "\n".join(raw), "\n".join("- " + e for e in extra))
        print("\n" + table + "\n")
        print(decade)
        for d in details + extra:
            print(d)

    kind = ("workflow-" if workflow_only else "") + ("quick" if quick else "full")
    marker_begin = "<!-- bench:%s:begin -->" % kind
    marker_end = "<!-- bench:%s:end -->" % kind
    if out_md:
        text = open(out_md, encoding="utf-8").read() if os.path.exists(out_md) else ""
        block = marker_begin + "\n" + section + marker_end
        if marker_begin in text and marker_end in text:
            before = text.split(marker_begin)[0]
            after = text.split(marker_end, 1)[1]
            text = before + block + after
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
        title = "## Latest `%s` run\n\n" % command if quick or workflow_only else "## Latest full `scripts/bench` run\n\n"
        if title.strip() not in text:
            text = text.replace(marker_begin, title + marker_begin)
        open(out_md, "w", encoding="utf-8").write(text)


def merge_writes(results, work, rounds):
    """Sums the interleaved write rounds into verbinder-link, pgbench-insert and pgbench-link-sql."""
    import re
    links = [json.load(open(os.path.join(results, "verbinder-link-%d.json" % r))) for r in range(1, rounds + 1)]
    completed, elapsed = sum(j["completed"] for j in links), sum(j["elapsed_s"] for j in links)
    # Percentiles do not add up: the round with the median throughput stands for them.
    middle = sorted(links, key=lambda j: j["rps"])[len(links) // 2]
    merged = dict(middle)
    merged.update({"label": "verbinder-link", "completed": completed, "elapsed_s": elapsed, "rps": completed / elapsed,
                   "errors": sum(j["errors"] for j in links),
                   "client_cpu_share": sum(j.get("client_cpu_s", 0) for j in links) / elapsed,
                   "rounds_rps": [j["rps"] for j in links]})
    json.dump(merged, open(os.path.join(results, "verbinder-link.json"), "w"))

    def pgbench(prefix):
        runs = []
        for r in range(1, rounds + 1):
            text = open(os.path.join(work, "%s-%d.out" % (prefix, r))).read()
            lat = re.search(r"latency average = ([0-9.]+) ms", text)
            runs.append((float(re.search(r"tps = ([0-9.]+)", text).group(1)), float(lat.group(1)) if lat else None))
        return runs
    inserts, shapes = pgbench("pgbench"), pgbench("pgbench-shape")
    tps = sum(t for t, _ in inserts) / rounds  # equal durations: the mean is the rate over all rounds
    lats = [l for _, l in inserts if l is not None]
    json.dump({"tps": tps, "latency_ms": round(sum(lats) / len(lats), 3) if lats else None, "rounds_tps": [t for t, _ in inserts]},
              open(os.path.join(results, "pgbench-insert.json"), "w"))
    json.dump({"tps": sum(t for t, _ in shapes) / rounds, "rounds_tps": [t for t, _ in shapes]},
              open(os.path.join(results, "pgbench-link-sql.json"), "w"))
    print("verbinder-link         %10.0f req/s  rounds %s  errors %d" % (merged["rps"], [round(r) for r in merged["rounds_rps"]], merged["errors"]))
    print("pgbench-insert         %10.0f tps    rounds %s" % (tps, [round(t) for t, _ in inserts]))
    print("pgbench-link-sql       %10.0f tps    rounds %s" % (sum(t for t, _ in shapes) / rounds, [round(t) for t, _ in shapes]))


def wrk_run(url, out_path, duration):
    """One wrk run (-t2 -c16, --latency) against URL, as the generator's JSON: rate, completed,
    elapsed, errors (socket errors and non-2xx/3xx answers) and the latency percentiles."""
    out = subprocess.run(["wrk", "-t2", "-c16", "-d%ds" % duration, "--latency", url],
                         capture_output=True, text=True, check=True).stdout

    def micros(text):
        value, unit = float(re.match(r"[\d.]+", text).group()), re.sub(r"[\d.]+", "", text)
        return value * {"us": 1, "ms": 1000, "s": 1_000_000}[unit]

    latency = {}
    for p, key in (("50", "p50_us"), ("90", "p90_us"), ("99", "p99_us")):
        found = re.search(r"^\s+%s%%\s+(\S+)" % p, out, re.M)
        if found:
            latency[key] = micros(found.group(1))
    found = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out)
    if found:
        latency["max_us"] = micros(found.group(1))
    completed = int(re.search(r"(\d+) requests in ([\d.]+)(\w+)", out).group(1))
    seconds = re.search(r"requests in ([\d.]+)(ms|s|m)\b", out)
    elapsed = float(seconds.group(1)) * {"ms": 0.001, "s": 1, "m": 60}[seconds.group(2)]
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non2xx.group(1)) if non2xx else 0
    label = os.path.basename(out_path)[:-5]
    json.dump({"label": label, "rps": completed / elapsed, "completed": completed, "elapsed_s": elapsed, "errors": errors,
               "latency": latency}, open(out_path, "w"))
    print("%-22s %10.0f req/s  p50 %7.1f us  p99 %8.1f us  errors %d" % (
        label, completed / elapsed, latency.get("p50_us", 0), latency.get("p99_us", 0), errors))


def instrument_matrix(results, rounds):
    """The ratios of the instrument matrix (scripts/bench: generator threads 1 and 2, unpinned
    and pinned, interleaved rounds): per case the median ratio and its lowest and highest,
    with the median rates of both sides, into instrument.json."""
    cases = []
    for threads in (1, 2):
        for pin in ("unpinned", "pinned"):
            for name, ours, base, want in (("PING", "m-ping", "m-redis-ping", 0.8), ("SHOW", "m-show", "m-redis-get", 0.5)):
                ratios, ours_rps, base_rps = [], [], []
                for r in range(1, rounds + 1):
                    tag = "t%d-%s-%d" % (threads, pin, r)
                    o = json.load(open(os.path.join(results, "%s-%s.json" % (ours, tag))))
                    b = json.load(open(os.path.join(results, "%s-%s.json" % (base, tag))))
                    if b["rps"]:
                        ratios.append(o["rps"] / b["rps"])
                    ours_rps.append(o["rps"])
                    base_rps.append(b["rps"])
                case = {"workload": name, "threads": threads, "pin": pin, "rounds": rounds, "want": want,
                        "ratio_median": statistics.median(ratios) if ratios else None,
                        "ratio_min": min(ratios) if ratios else None, "ratio_max": max(ratios) if ratios else None,
                        "ours_median_rps": statistics.median(ours_rps), "base_median_rps": statistics.median(base_rps)}
                cases.append(case)
                print("%-4s threads=%d %-8s ratio median %.2f (%.2f-%.2f), ours %.0f req/s, redis %.0f req/s" % (
                    name, threads, pin, case["ratio_median"] or 0, case["ratio_min"] or 0, case["ratio_max"] or 0,
                    case["ours_median_rps"], case["base_median_rps"]))
    json.dump({"cases": cases}, open(os.path.join(results, "instrument.json"), "w"))


def merge_rounds(results, name, rounds):
    """Sums NAME-1..N (generator runs taking turns with their baseline) into NAME: the rate over
    all rounds (per verb too); percentiles from the round with the median rate."""
    runs = [json.load(open(os.path.join(results, "%s-%d.json" % (name, r)))) for r in range(1, rounds + 1)]
    completed, elapsed = sum(j["completed"] for j in runs), sum(j["elapsed_s"] for j in runs)
    middle = sorted(runs, key=lambda j: j["rps"])[len(runs) // 2]
    merged = dict(middle)
    merged.update({"label": name, "completed": completed, "elapsed_s": elapsed, "rps": completed / elapsed,
                   "errors": sum(j["errors"] for j in runs),
                   "client_cpu_share": sum(j.get("client_cpu_s", 0) for j in runs) / elapsed,
                   "rounds_rps": [j["rps"] for j in runs]})
    verbs = {}
    for verb, summary in middle.get("verbs", {}).items():
        merged_verb = dict(summary)
        count = sum(j.get("verbs", {}).get(verb, {}).get("count", 0) for j in runs)
        merged_verb.update({"count": count, "rps": count / elapsed,
                            "errors": sum(j.get("verbs", {}).get(verb, {}).get("errors", 0) for j in runs)})
        verbs[verb] = merged_verb
    if verbs:
        merged["verbs"] = verbs
    json.dump(merged, open(os.path.join(results, name + ".json"), "w"))
    print("%-22s %10.0f req/s  rounds %s  errors %d" % (name, merged["rps"], [round(r) for r in merged["rounds_rps"]], merged["errors"]))


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

    def flag(name):
        if name in rest:
            rest.remove(name)
            return True
        return False

    if verb == "free-port":
        free_port()
    elif verb == "requests":
        requests(rest[0], rest[1])
    elif verb == "synthetic-requests":
        pairs = option("--pairs", 1000, int)
        suggest = option("--suggest", 200, int)
        synthetic_requests(rest[0], rest[1], pairs, suggest)
    elif verb == "networkx":
        pairs = option("--pairs", 1000, int)
        networkx_baseline(rest[0], rest[1], rest[2], pairs)
    elif verb == "cte":
        psql = option("--psql", "psql")
        conninfo = option("--conninfo")
        sample = option("--sample", 20, int)
        timeout = option("--timeout-ms", 10000, int)
        cte_baseline(rest[0], rest[1], rest[2], rest[3], psql, conninfo, sample, timeout)
    elif verb == "verify-path":
        sample = option("--sample", 50, int)
        verify_path(int(rest[0]), rest[1], rest[2], rest[3], sample)
    elif verb == "rss":
        print(rss_kib(rest[0]))
    elif verb == "info":
        info(int(rest[0]), rest[1])
    elif verb == "reminders":
        count = option("--count", 10000, int)
        workers = option("--workers", 4, int)
        limit = option("--limit", 50, int)
        reminders(int(rest[0]), rest[1], rest[2], count, workers, limit)
    elif verb == "wrk":
        duration = option("--duration", 10, int)
        wrk_run(rest[0], rest[1], duration)
    elif verb == "instrument-matrix":
        instrument_matrix(rest[0], int(rest[1]))
    elif verb == "merge-rounds":
        merge_rounds(rest[0], rest[1], int(rest[2]))
    elif verb == "merge-writes":
        merge_writes(rest[0], rest[1], int(rest[2]))
    elif verb == "report":
        command = option("--command", "scripts/bench")
        quick = flag("--quick")
        workflow_only = flag("--workflow")
        report(rest[0], rest[1] if len(rest) > 1 else None, command, quick, workflow_only)
    else:
        sys.exit("unknown command " + verb)


if __name__ == "__main__":
    main()
