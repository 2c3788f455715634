#!/usr/bin/env python3
"""The dashboard in a real browser: headless Chromium driven by Selenium.

Opens /, /regions, /node/<node>, /trajectory/<key> and a search, compares what each page shows
with the line protocol's answers to the same questions, checks that a node named like a script
is shown as text, and saves a screenshot of every page. Prints one JSON object: the checks that
failed (empty when all passed) and the screenshots written.

    dashboard.py --http PORT --line PORT --node GM1731 --trajectory ka-twente \
                 --xss-key script-alert-1-script --search sudwest --screens DIR
"""
import argparse, json, os, re, shlex, socket, sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def line_protocol(port, request):
    """The records and status line the daemon answers to one request, as nc would show them."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        stream = sock.makefile("rwb")
        stream.readline()  # greeting
        stream.write((request + "\n").encode())
        stream.flush()
        records = []
        while True:
            line = stream.readline().decode().rstrip("\n")
            if line.startswith("OK") or line.startswith("ERR"):
                return records, line
            records.append(line)


def fields(record):
    """`type k=v k="a b"` -> (type, {k: v})."""
    words = shlex.split(record, posix=True)
    return words[0], dict(word.split("=", 1) for word in words[1:] if "=" in word)


def main():
    parser = argparse.ArgumentParser()
    for name in ("http", "line"):
        parser.add_argument("--" + name, type=int, required=True)
    for name in ("node", "trajectory", "xss-key", "search", "screens"):
        parser.add_argument("--" + name, required=True)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.http}"
    os.makedirs(args.screens, exist_ok=True)

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,2000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    failed, shots, alerts = [], [], []

    def check(condition, what):
        if not condition:
            failed.append(what)

    def visit(path, shot):
        driver.get(base + path)
        # A script that ran would have opened an alert; none may.
        try:
            alerts.append(driver.switch_to.alert.text)
        except Exception:
            pass
        file = os.path.join(args.screens, shot + ".png")
        driver.save_screenshot(file)
        shots.append(file)
        return driver.find_element(By.ID, "content")

    def table_cells(element):
        return [[cell.text for cell in row.find_elements(By.CSS_SELECTOR, "th,td")] for row in element.find_elements(By.CSS_SELECTOR, "tr")]

    try:
        # / : the meetings per axis per month table holds REPORT's meetings_held figures.
        content = visit("/", "overview")
        check(content.find_element(By.TAG_NAME, "h1").text == "Overzicht", "/ has its title")
        records, status = line_protocol(args.line, "REPORT")
        held = {}
        for record in records:
            kind, values = fields(record)
            if values.get("name") == "meetings_held":
                held[(values["month"], values["axis"])] = int(values["value"])
        check(status.startswith("OK") and held, f"REPORT has meetings_held figures: {status} {held}")
        rows = table_cells(content.find_element(By.CSS_SELECTOR, "#meetings table.data"))
        shown = sum(int(cell) for row in rows[1:] for cell in row[1:] if cell.isdigit())
        check(shown == sum(held.values()), f"/ shows {shown} meetings held, REPORT says {sum(held.values())}")
        check(len(content.find_elements(By.CSS_SELECTOR, "svg.chart")) >= 3, "/ draws its charts")

        # /regions : the uncovered municipalities are GAPS agenda's, by key.
        content = visit("/regions", "regions")
        records, status = line_protocol(args.line, "GAPS agenda by=province")
        uncovered = set()
        for record in records:
            kind, values = fields(record)
            uncovered.update(key for key in values.get("uncovered", "").split(",") if key)
        links = {a.get_attribute("href").rsplit("/", 1)[-1] for a in content.find_elements(By.CSS_SELECTOR, "#uncovered a")}
        check(links == uncovered, f"/regions lists {len(links)} uncovered municipalities, GAPS agenda {len(uncovered)}")
        # Sorting by a header click (the little script), the page itself works without it.
        table = content.find_element(By.CSS_SELECTOR, "table.sortable")
        first_before = table.find_elements(By.CSS_SELECTOR, "tbody tr")[0].text
        table.find_elements(By.CSS_SELECTOR, "th")[0].click()
        table.find_elements(By.CSS_SELECTOR, "th")[0].click()
        check(table.find_elements(By.CSS_SELECTOR, "tbody tr")[0].text != first_before, "a header click sorts the table")

        # /node/<node> : the name SHOW gives, its relations as NEIGHBORS lists them, the picture.
        content = visit(f"/node/{args.node}", "node")
        records, _ = line_protocol(args.line, f"SHOW {args.node}")
        _, node = fields(records[0])
        check(content.find_element(By.TAG_NAME, "h1").text.startswith(node["name"]), f"/node shows {node['name']}")
        records, _ = line_protocol(args.line, f"NEIGHBORS {args.node}")
        neighbours = {fields(r)[1].get("to") if fields(r)[1].get("from", "").lower() == node["key"].lower() else fields(r)[1].get("from") for r in records}
        linked = set()
        for section in ("relations-horizontal", "relations-vertical"):
            linked |= {a.get_attribute("href").rsplit("/", 1)[-1] for a in content.find_elements(By.CSS_SELECTOR, f"#{section} a")}
        check(linked == neighbours, f"/node links {len(linked)} related parties, NEIGHBORS {len(neighbours)}")
        picture = content.find_elements(By.CSS_SELECTOR, "#ego img")
        check(picture and driver.execute_script("return arguments[0].naturalWidth", picture[0]) > 100, "the ego network is drawn")
        records, _ = line_protocol(args.line, f"SUGGEST {args.node} limit=8")
        suggested = [fields(r)[1]["key"] for r in records if r.startswith("suggestion")]
        shown = [a.get_attribute("href").rsplit("/", 1)[-1] for a in content.find_elements(By.CSS_SELECTOR, "#suggestions a")]
        check(shown[:len(suggested)] == suggested, f"whom to meet: page {shown}, SUGGEST {suggested}")

        # /trajectory/<key> : milestones and meetings as TRAJECTORY lists them; the calendar link.
        content = visit(f"/trajectory/{args.trajectory}", "trajectory")
        records, _ = line_protocol(args.line, f"TRAJECTORY {args.trajectory}")
        milestones = [fields(r)[1] for r in records if r.startswith("milestone ")]
        rows = content.find_elements(By.CSS_SELECTOR, "#milestones tbody tr")
        check(len(rows) == len(milestones), f"/trajectory shows {len(rows)} milestones, TRAJECTORY {len(milestones)}")
        overdue = [m for m in milestones if m.get("overdue") == "yes"]
        check(len(content.find_elements(By.CSS_SELECTOR, "#milestones tr.overdue")) == len(overdue), "overdue milestones are marked")
        calendar = content.find_element(By.ID, "calendar").get_attribute("href")
        check(calendar.endswith(f"/calendar/trajectory/{args.trajectory}.ics"), f"calendar link {calendar}")

        # A search from the box behaves like FIND (accents folded).
        visit("/", "search-start")
        box = driver.find_element(By.ID, "search")
        box.send_keys(args.search)
        box.submit()
        content = driver.find_element(By.ID, "content")
        driver.save_screenshot(os.path.join(args.screens, "search.png"))
        shots.append(os.path.join(args.screens, "search.png"))
        records, _ = line_protocol(args.line, f"FIND {args.search} limit=50")
        found = [fields(r)[1]["key"] for r in records]
        results = [a.get_attribute("href").rsplit("/", 1)[-1] for a in content.find_elements(By.CSS_SELECTOR, "a[href^='/node/']")]
        check(results == found, f"search shows {results}, FIND {found}")

        # A node named like a script is text, never run.
        content = visit(f"/node/{args.xss_key}", "script-name")
        check("<script>alert(1)</script>" in content.find_element(By.TAG_NAME, "h1").text, "the script name is shown as text")
        check(not alerts, f"no script ran: {alerts}")
    finally:
        driver.quit()
    print(json.dumps({"failed": failed, "screenshots": shots}))


if __name__ == "__main__":
    main()
