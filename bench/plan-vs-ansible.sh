#!/usr/bin/env bash
# Times the whole `plexform plan` process against `ansible-playbook --check` doing the
# same job (remove the four PlexOnline* attributes from Preferences.xml with
# community.general.xml), then plexform plan over 1,000 files and over a 5 MB
# Preferences.xml, and checks which bytes each tool rewrites when it really applies.
# Prints a markdown table of medians against the targets of issue 2.
#
# Usage: bench/plan-vs-ansible.sh            (from anywhere; needs go, hyperfine,
#                                              ansible, python3-lxml, GNU time)
#        KEEP=1 bench/plan-vs-ansible.sh     keep the temp dir (JSON exports, files)
#        RUNS=20 ANSIBLE_RUNS=5 ...          number of timed runs
#
# Everything happens in a temp dir; the repository is only read.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-30}
ansible_runs=${ANSIBLE_RUNS:-5}

for tool in go hyperfine ansible-playbook ansible-doc python3; do
	command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y golang hyperfine ansible python3-lxml)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "missing /usr/bin/time (apt-get install -y time)" >&2; exit 1; }
if ! ansible-doc community.general.xml >/dev/null 2>&1; then
	echo "the community.general collection is missing (Debian: apt-get install -y ansible; else: ansible-galaxy collection install community.general)" >&2
	exit 1
fi
# The module runs under Ansible's own Python, which may not be the python3 on PATH.
ansible_python=$(sed -n '1s/^#! *//p' "$(command -v ansible-playbook)")
case "$ansible_python" in *env*) ansible_python=python3 ;; esac
$ansible_python -c 'import lxml' 2>/dev/null || { echo "community.general.xml needs lxml for $ansible_python: apt-get install -y python3-lxml" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/plexform-bench.XXXXXX")
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "keeping $work" >&2; fi

# Ansible keeps its temp files and facts in the temp dir too, not in ~/.ansible.
export ANSIBLE_HOME="$work/ansible-home" ANSIBLE_LOCAL_TEMP="$work/ansible-tmp" \
	ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false \
	ANSIBLE_RETRY_FILES_ENABLED=false ANSIBLE_NOCOLOR=1

(cd "$repo" && go build -o "$work/plexform" ./cmd/plexform && go build -o "$work/mkfixtures" ./bench/cmd/mkfixtures)
"$work/mkfixtures" "$work/fx"
prefs_host_path="/var/lib/plexmediaserver/Library/Application Support/Plex Media Server/Preferences.xml"

# plan_cmd NAME prints the command line that plans fixture NAME, quoted for hyperfine.
plan_cmd() { printf '%q plan -root %q -f %q' "$work/plexform" "$work/fx/$1/host" "$work/fx/$1/plan.yaml"; }

# bench NAME WARMUP RUNS COMMAND: hyperfine without a shell, exported to NAME.json.
bench() {
	hyperfine -N --style basic --warmup "$2" --runs "$3" --export-json "$work/$1.json" -n "$1" "$4" >&2
}

# stat NAME FIELD: the FIELD (median, user, system) of NAME.json, in seconds.
stat() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(r[sys.argv[2]])' "$work/$1.json" "$2"; }

bench plexform-reset 10 "$runs" "$(plan_cmd reset)"
# -e as JSON: key=value would split the path at its spaces.
prefs_var() { printf '{"prefs": "%s"}' "$1"; }
bench ansible-check 1 "$ansible_runs" "$(printf 'ansible-playbook -i localhost, --check -e %q %q' "$(prefs_var "$work/fx/reset/host$prefs_host_path")" "$repo/bench/ansible-reset.yml")"
bench plan-1000-files 2 "$((runs / 3 + 1))" "$(plan_cmd many)"
bench plan-5mb-attrs 2 "$((runs / 3 + 1))" "$(plan_cmd big-attrs)"
bench plan-5mb-children 2 "$((runs / 3 + 1))" "$(plan_cmd big-children)"

# Peak RSS of the whole process; the largest of three runs.
peak_rss_kib() {
	local max=0 kib
	for _ in 1 2 3; do
		kib=$(/usr/bin/time -v "$work/plexform" plan -root "$work/fx/$1/host" -f "$work/fx/$1/plan.yaml" 2>&1 >/dev/null |
			awk -F': ' '/Maximum resident set size/ {print $2}')
		[ "$kib" -gt "$max" ] && max=$kib
	done
	echo "$max"
}
rss_many=$(peak_rss_kib many)
rss_big=$(peak_rss_kib big-attrs)

# What each tool does to the bytes of the demo file when it really applies.
demo="$repo/examples/demo-host$prefs_host_path"
cp "$demo" "$work/ansible-applied.xml"
ansible-playbook -i localhost, -e "$(prefs_var "$work/ansible-applied.xml")" "$repo/bench/ansible-reset.yml" >/dev/null
mkdir -p "$work/plexform-host$(dirname "$prefs_host_path")"
cp "$demo" "$work/plexform-host$prefs_host_path"
"$work/plexform" apply -auto-approve -root "$work/plexform-host" -f "$work/fx/reset/plan.yaml" >/dev/null

python3 - "$work" "$demo" "$rss_many" "$rss_big" <<'EOF'
import json, re, sys
work, demo, rss_many, rss_big = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def result(name):
    return json.load(open(f"{work}/{name}.json"))["results"][0]

def ms(s):
    return f"{s * 1000:.1f} ms" if s < 10 else f"{s:.2f} s"

def cpu(r):
    return ms(r["user"] + r["system"])

def verdict(ok, by):
    return "met" if ok else f"**missed** ({by})"

rows = []
pf, an = result("plexform-reset"), result("ansible-check")
ratio = an["median"] / pf["median"]
rows.append(("`plexform plan`, reset plan, 1 file", ms(pf["median"]), cpu(pf), "", ""))
rows.append(("`ansible-playbook --check`, same job", ms(an["median"]), cpu(an), "", ""))
rows.append(("ratio Ansible / plexform (medians)", f"{ratio:.0f}×", f"{(an['user'] + an['system']) / (pf['user'] + pf['system']):.0f}× (CPU)",
             "≥ 100×", verdict(ratio >= 100, f"{100 / ratio:.1f}× short")))
many = result("plan-1000-files")
rows.append(("`plexform plan`, 1,000 resources in 1,000 files", ms(many["median"]), cpu(many), "< 1 s",
             verdict(many["median"] < 1, f"{many['median']:.2f} s")))
mib = rss_many / 1024
rows.append(("peak RSS of that process", f"{mib:.1f} MiB", "", "< 100 MiB", verdict(mib < 100, f"{mib:.0f} MiB")))
for shape in ("attrs", "children"):
    r = result(f"plan-5mb-{shape}")
    rows.append((f"`plexform plan`, 5 MB Preferences.xml ({shape})", ms(r["median"]), cpu(r), "< 200 ms",
                 verdict(r["median"] < 0.2, f"{r['median'] / 0.2:.1f}× the target")))
rows.append(("peak RSS, 5 MB (attrs)", f"{rss_big / 1024:.1f} MiB", "", "", ""))

print("| measurement | median wall | mean CPU (user+sys) | target | result |")
print("|---|---|---|---|---|")
for row in rows:
    print("| " + " | ".join(row) + " |")

def rewritten(path):
    """What changed besides the removal of the sign-in attributes, checked byte for byte."""
    before, after = open(demo, "rb").read(), open(path, "rb").read()
    expected = re.sub(rb'\s+PlexOnline(Token|Mail|Username|Home)="[^"]*"', b"", before)
    if after == expected:
        return "byte-identical to the original minus the four attributes"
    decl = lambda b: b.split(b"?>")[0] + b"?>"
    notes = []
    if decl(before) != decl(after):
        notes.append(f"declaration `{decl(before).decode()}` → `{decl(after).decode()}`")
    if before.endswith(b"\n") and not after.endswith(b"\n"):
        notes.append("final newline dropped")
    return "; ".join(notes) or "other bytes changed too"

print()
print("Applied for real to a copy of examples/demo-host's Preferences.xml:")
print(f"- ansible-playbook (community.general.xml): {rewritten(work + '/ansible-applied.xml')}")
print(f"- plexform apply: {rewritten(work + '/plexform-host' + '/var/lib/plexmediaserver/Library/Application Support/Plex Media Server/Preferences.xml')}")
EOF
