#!/usr/bin/env bash
# Sets up Jupyter with the .NET (C#) kernel for the notebooks in this folder:
#  0. checks what it needs first and names the package that provides each missing piece;
#  1. restores the pinned dotnet-interactive tool from .config/dotnet-tools.json (a local tool, nothing global);
#  2. gives the tool FSharp.Core 10.1 (Plotly.NET 6 needs it; the tool ships 10.0, so chart cells would fail with
#     "Could not load file or assembly 'FSharp.Core, Version=10.1.0.0'");
#  3. registers the kernels with Jupyter, listening on localhost only (--http-local-only), telemetry off;
#  4. publishes the library the notebooks load (artifacts/publish/Grpo.Lib.dll).
# Needs: the .NET 10 SDK and Jupyter with `jupyter kernelspec` and `jupyter nbconvert` (Debian/Ubuntu packages
# jupyter-client and jupyter-nbconvert, or the conda environment of environment.yml). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== 0. what this needs"
missing=()
# need COMMAND WHAT HOW-TO-GET-IT
need() { command -v "$1" >/dev/null || missing+=("$2 ($1 not on PATH): $3"); }
need dotnet "the .NET 10 SDK" "https://dot.net, or your distribution's dotnet-sdk-10.0"
need python3 "Python 3" "Debian/Ubuntu: apt-get install python3"
need jupyter "Jupyter" "Debian/Ubuntu: apt-get install jupyter-core (comes with jupyter-nbconvert); conda: environment.yml"
need jupyter-kernelspec "jupyter kernelspec" "Debian/Ubuntu: apt-get install jupyter-client; conda/pip: jupyter_client"
need jupyter-nbconvert "jupyter nbconvert" "Debian/Ubuntu: apt-get install jupyter-nbconvert; conda/pip: nbconvert"
if command -v dotnet >/dev/null && ! grep -q '^10\.' <<<"$(dotnet --list-sdks 2>/dev/null)"; then
  missing+=("the .NET 10 SDK (dotnet --list-sdks shows no 10.x): https://dot.net")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-jupyter: missing, nothing was changed:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  echo "  On Debian/Ubuntu all at once: sudo apt-get install jupyter-client jupyter-nbconvert (README, 'Jupyter')" >&2
  exit 1
fi
echo "ok: $(dotnet --version) SDK, $(jupyter kernelspec --version 2>/dev/null | head -n1) jupyter_client, nbconvert $(jupyter nbconvert --version 2>/dev/null)"

# The SDK's and dotnet-interactive's telemetry off and their first-run banners skipped (the kernels get the same in
# their kernel.json, step 3).
telemetry_off='{"DOTNET_CLI_TELEMETRY_OPTOUT": "1", "DOTNET_NOLOGO": "1",
  "DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT": "1", "DOTNET_INTERACTIVE_SKIP_FIRST_TIME_EXPERIENCE": "1"}'
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT=1 \
       DOTNET_INTERACTIVE_SKIP_FIRST_TIME_EXPERIENCE=1

echo "== 1. dotnet-interactive (local tool)"
dotnet tool restore

echo "== 2. FSharp.Core 10.1.403 for Plotly.NET 6"
packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
fsharp="$packages/fsharp.core/10.1.403/lib/netstandard2.1/FSharp.Core.dll"
if [ ! -f "$fsharp" ]; then
  # Restoring the library brings FSharp.Core 10.1.403 into the NuGet cache (Grpo.Lib.csproj references it).
  dotnet restore Grpo.Lib.csproj >/dev/null
fi
[ -f "$fsharp" ] || { echo "setup-jupyter: $fsharp not found after restore" >&2; exit 1; }
tool_dir=$(find "$packages/microsoft.dotnet-interactive/1.0.712001" -type f -name DotnetToolSettings.xml -printf '%h\n' | head -n1)
[ -n "$tool_dir" ] || { echo "setup-jupyter: dotnet-interactive 1.0.712001 not found under $packages" >&2; exit 1; }
if ! cmp -s "$fsharp" "$tool_dir/FSharp.Core.dll"; then
  [ -f "$tool_dir/FSharp.Core.dll.orig" ] || cp "$tool_dir/FSharp.Core.dll" "$tool_dir/FSharp.Core.dll.orig"
  cp "$fsharp" "$tool_dir/FSharp.Core.dll"
  echo "replaced $tool_dir/FSharp.Core.dll (original kept as FSharp.Core.dll.orig)"
else
  echo "already done: $tool_dir/FSharp.Core.dll is 10.1.403"
fi

echo "== 3. Jupyter kernels (.net-csharp, .net-fsharp, .net-powershell), localhost only, telemetry off"
# The installer goes through `jupyter kernelspec install --user` and, where that fails, writes into the user's
# kernels folder itself, which must then exist; a fresh HOME has none.
mkdir -p "$(jupyter --data-dir)/kernels"
dotnet dotnet-interactive jupyter install
# `install` has no --http-local-only; the kernel command has. Without it the kernel's HTTP API listens on every
# interface, so add it to each installed kernel's argv. Jupyter starts the kernel, not this script, so the telemetry
# opt-outs go into the kernel's env. The kernels run `dotnet interactive`, which finds the local tool through
# .config/dotnet-tools.json as long as the notebook lives inside this repository.
# Its stderr warns about kernels this project does not use (python3 without ipykernel); a failure is reported.
specs=$(jupyter kernelspec list --json 2>/dev/null) || { echo "setup-jupyter: \`jupyter kernelspec list --json\` failed" >&2; exit 1; }
TELEMETRY_OFF="$telemetry_off" python3 -c '
import json, os, sys
specs = json.loads(sys.argv[1])["kernelspecs"]
if ".net-csharp" not in specs:
    sys.exit("setup-jupyter: the .NET (C#) kernel is not registered after `dotnet interactive jupyter install`")
for name, spec in specs.items():
    if not name.startswith(".net-"): continue
    path = os.path.join(spec["resource_dir"], "kernel.json")
    with open(path) as f: kernel = json.load(f)
    if "--http-local-only" not in kernel["argv"]:
        kernel["argv"].append("--http-local-only")
    kernel.setdefault("env", {}).update(json.loads(os.environ["TELEMETRY_OFF"]))
    with open(path, "w") as f: json.dump(kernel, f, indent=2)
    print(name, "->", path, "|", " ".join(kernel["argv"]))
' "$specs"

echo "== 4. the library the notebooks load"
dotnet publish Grpo.Lib.csproj -c Release -v quiet -nologo
echo "ready: jupyter lab notebooks/   or   jupyter nbconvert --to notebook --execute notebooks/01-data-prep.ipynb"
